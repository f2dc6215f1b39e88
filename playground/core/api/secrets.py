"""Where API keys live: the system keyring when there is one, this session's memory otherwise.

A key is stored under its provider profile's id and is never written to settings, logs, the
database, exports or exception text. Every store's `repr()` names its backend, never a key.

`open_secret_store()` picks the store the app uses:

* a real keyring (Secret Service, KWallet, macOS Keychain, Windows Credential Locker) wrapped in a
  `SessionFallbackSecretStore`, so a save that fails at run time (keyring locked, daemon gone)
  keeps the key for the session instead of losing it, and says so through `notice`;
* otherwise a `MemorySecretStore` whose `notice` tells the user the key is kept for this session only.

The `keyrings.alt` backends (a plain or weakly encrypted file) are refused unless the user picked one
explicitly with `PYTHON_KEYRING_BACKEND`: installing that package silently makes a plaintext file the
default keyring when no Secret Service runs.

Keyring calls may block (a D-Bus round trip, an unlock prompt), so callers on a GUI thread should run
them in an executor.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, Executor, Future
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # `keyring` is imported where it is used: it costs ~30 ms at start-up
    from keyring.backend import KeyringBackend
    from keyring.backends.chainer import ChainerBackend

log = logging.getLogger(__name__)

DEFAULT_SERVICE = "playground"
SESSION_ONLY = "Session only"
KEYRING_BACKEND_ENV = "PYTHON_KEYRING_BACKEND"

# Display names for the backends a user may know by name, keyed by "module.Class".
_BACKEND_NAMES = {
    "keyring.backends.SecretService.Keyring": "Secret Service",
    "keyring.backends.libsecret.Keyring": "Secret Service",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.kwallet.DBusKeyringKWallet4": "KWallet",
    "keyring.backends.macOS.Keyring": "macOS Keychain",
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Locker",
    "keyrings.alt.file.PlaintextKeyring": "Plain-text file (keyrings.alt)",
    "keyrings.alt.file.EncryptedKeyring": "Encrypted file (keyrings.alt)",
}
_UNSAFE_BACKEND_PACKAGE = "keyrings.alt"


class SecretStoreError(Exception):
    """A keyring operation failed. The message is plain language and never contains a key."""


class SecretStore(Protocol):
    """Keeps one API key per provider profile id.

    Attributes:
        persistent: False when keys are kept for this session only.
        backend_name: what the UI shows, e.g. "Secret Service" or "Session only".
        notice: empty, or plain-language text the UI shows because keys are not (all) persisted.
    """

    @property
    def persistent(self) -> bool: ...

    @property
    def backend_name(self) -> str: ...

    @property
    def notice(self) -> str: ...

    def get(self, profile_id: str) -> str | None:
        """The key stored for `profile_id`, or None."""
        ...

    def set(self, profile_id: str, key: str) -> None:
        """Store `key` for `profile_id`, replacing any previous one."""
        ...

    def delete(self, profile_id: str) -> None:
        """Forget the key of `profile_id`; does nothing if there is none."""
        ...


@runtime_checkable
class KeyOrigin(Protocol):
    """Optional extra of a store that holds some keys persistently and others for the session only."""

    def is_persistent(self, profile_id: str) -> bool:
        """True if the key of `profile_id` survives a restart."""
        ...


def key_is_persistent(store: SecretStore, profile_id: str) -> bool:
    """Whether the key `store` holds for `profile_id` survives a restart.

    Uses the store's per-key answer when it has one (`KeyOrigin`), else its `persistent` flag.
    """
    if isinstance(store, KeyOrigin):
        return store.is_persistent(profile_id)
    return store.persistent


def mask_key(key: str) -> str:
    """A key made safe for display: "sk-…abcd".

    Never shows more than the last 4 characters, and none of a key shorter than 12 characters (where 4
    would be a large share of it). The "sk-" prefix is kept because it tells the user what kind of key
    it is.

    Args:
        key: the key, or an empty string.

    Returns:
        "" for an empty key, else the masked form.
    """
    key = key.strip()
    if not key:
        return ""
    if len(key) < 12:
        return "…"
    prefix = "sk-" if key.startswith("sk-") else ""
    return f"{prefix}…{key[-4:]}"


def _clean_key(key: str) -> str:
    """The key without surrounding whitespace (a pasted newline breaks the HTTP header)."""
    cleaned = key.strip()
    if not cleaned:
        raise ValueError("An empty key cannot be stored; delete the entry instead.")
    return cleaned


class MemorySecretStore:
    """Keeps keys in memory for this session only (tests, and the fallback without a keyring).

    Args:
        notice: what the UI shows about keys not being remembered ("" in tests).
        backend_name: the name the UI shows.
    """

    def __init__(self, notice: str = "", backend_name: str = SESSION_ONLY) -> None:
        self._keys: dict[str, str] = {}
        self._lock = threading.Lock()
        self._notice = notice
        self._backend_name = backend_name

    @property
    def persistent(self) -> bool:
        return False

    @property
    def backend_name(self) -> str:
        return self._backend_name

    @property
    def notice(self) -> str:
        return self._notice

    def get(self, profile_id: str) -> str | None:
        with self._lock:
            return self._keys.get(profile_id)

    def set(self, profile_id: str, key: str) -> None:
        cleaned = _clean_key(key)
        with self._lock:
            self._keys[profile_id] = cleaned

    def delete(self, profile_id: str) -> None:
        with self._lock:
            self._keys.pop(profile_id, None)

    def holds(self, profile_id: str) -> bool:
        """True if a key is stored for `profile_id`."""
        with self._lock:
            return profile_id in self._keys

    def count(self) -> int:
        """How many keys are stored."""
        with self._lock:
            return len(self._keys)

    def __repr__(self) -> str:
        return f"MemorySecretStore(backend_name={self._backend_name!r}, keys={self.count()})"


class KeyringSecretStore:
    """One keyring entry per profile id, under `service`.

    Every failure of the backend becomes a `SecretStoreError` with a plain message; the original
    exception is kept as `__cause__` for the log (keyring backends do not put secrets in messages).

    Args:
        service: the keyring service name the entries are filed under.
        backend: the keyring backend; the one `keyring.get_keyring()` returns by default.
    """

    def __init__(
        self, service: str = DEFAULT_SERVICE, backend: KeyringBackend | None = None
    ) -> None:
        import keyring

        self.service = service
        self._backend = backend if backend is not None else keyring.get_keyring()

    @property
    def persistent(self) -> bool:
        return True

    @property
    def backend_name(self) -> str:
        return backend_display_name(self._backend)

    @property
    def notice(self) -> str:
        if _is_unsafe_backend(self._backend):
            return (
                f"Your key is saved in a file by {self.backend_name}, which is less safe than a "
                "system keyring."
            )
        return ""

    def get(self, profile_id: str) -> str | None:
        try:
            value = self._backend.get_password(self.service, profile_id)
        except Exception as exc:  # backends raise their own types (secretstorage, jeepney, OSError)
            raise SecretStoreError(self._message("read the key from", exc)) from exc
        return value or None

    def set(self, profile_id: str, key: str) -> None:
        cleaned = _clean_key(key)
        try:
            self._backend.set_password(self.service, profile_id, cleaned)
        except Exception as exc:  # see get()
            raise SecretStoreError(self._message("save the key in", exc)) from exc

    def delete(self, profile_id: str) -> None:
        import keyring.errors

        try:
            self._backend.delete_password(self.service, profile_id)
        except keyring.errors.PasswordDeleteError:
            # Raised for "no such entry" by every bundled backend: deleting nothing is fine. A real
            # failure to delete shows up on the next get(), which still returns the key.
            return
        except Exception as exc:  # see get()
            raise SecretStoreError(self._message("remove the key from", exc)) from exc

    def _message(self, action: str, exc: Exception) -> str:
        return f"Could not {action} {self.backend_name}: {_reason(exc)}."

    def __repr__(self) -> str:
        return f"KeyringSecretStore(service={self.service!r}, backend={self.backend_name!r})"


class SessionFallbackSecretStore:
    """A keyring store that keeps a key in memory when saving it fails at run time.

    The keyring can become unusable after start-up (the user locks it, the daemon exits). Losing the key
    the user just typed would be worse than not remembering it, so a failed `set()` keeps the key for
    this session, logs a warning (without the key) and explains itself through `notice`. A later
    successful `set()` for the same profile moves the key back to the keyring.

    `get()` returns a session key first, then asks the keyring; a keyring failure while reading raises
    `SecretStoreError`, since answering "no key" would be misleading.

    Args:
        inner: the keyring store to use while it works.
    """

    def __init__(self, inner: KeyringSecretStore) -> None:
        self.inner = inner
        self._session = MemorySecretStore(backend_name=SESSION_ONLY)
        self._notice = ""

    @property
    def persistent(self) -> bool:
        """False while any key is held for this session only."""
        return self._session.count() == 0

    @property
    def backend_name(self) -> str:
        return self.inner.backend_name

    @property
    def notice(self) -> str:
        if self._session.count():
            return self._notice
        return self.inner.notice

    def is_persistent(self, profile_id: str) -> bool:
        return not self._session.holds(profile_id)

    def get(self, profile_id: str) -> str | None:
        session_key = self._session.get(profile_id)
        if session_key is not None:
            return session_key
        return self.inner.get(profile_id)

    def set(self, profile_id: str, key: str) -> None:
        try:
            self.inner.set(profile_id, key)
        except SecretStoreError as exc:
            log.warning("keeping the key of profile %r for this session only: %s", profile_id, exc)
            self._session.set(profile_id, key)
            self._notice = (
                f"{exc} Your key is kept for this session only. Unlock the keyring and enter the "
                "key again to remember it."
            )
        else:
            self._session.delete(profile_id)

    def delete(self, profile_id: str) -> None:
        self._session.delete(profile_id)
        self.inner.delete(profile_id)

    def __repr__(self) -> str:
        return f"SessionFallbackSecretStore(inner={self.inner!r}, session_keys={self._session.count()})"


def backend_display_name(backend: KeyringBackend) -> str:
    """What the UI calls a keyring backend ("Secret Service", "macOS Keychain"…)."""
    return _BACKEND_NAMES.get(_qualified_name(backend)) or str(type(backend).name)


def open_secret_store(service: str = DEFAULT_SERVICE) -> SecretStore:
    """The store the app uses: the system keyring if a real one is available, else memory.

    A real backend is one with priority > 0 (`keyring.backends.fail.Keyring` has 0, the null keyring
    -1). A chainer is looked through: the highest-priority usable backend in it is used. `keyrings.alt`
    backends are only accepted when `PYTHON_KEYRING_BACKEND` names them.

    Args:
        service: the keyring service name entries are filed under.

    Returns:
        A `SessionFallbackSecretStore` over the keyring, or a `MemorySecretStore` with a `notice`.
    """
    import keyring
    from keyring.backends.chainer import ChainerBackend

    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a bad PYTHON_KEYRING_BACKEND raises ImportError, RuntimeError…
        log.warning("no keyring: %s", exc)
        return MemorySecretStore(
            notice=(
                f"The keyring named by {KEYRING_BACKEND_ENV} could not be loaded, so your key is kept "
                "for this session only."
            )
        )
    chosen = _usable_backend(backend)
    if chosen is None:
        if _is_unsafe_backend(backend) or (
            isinstance(backend, ChainerBackend) and any(map(_is_unsafe_backend, _chained(backend)))
        ):
            notice = (
                "Only a keyring that saves keys in a plain file was found, so your key is kept for "
                f"this session only. {_install_hint()} (or set {KEYRING_BACKEND_ENV} to use the file "
                "anyway)."
            )
        else:
            notice = f"No system keyring was found, so your key is kept for this session only. {_install_hint()}."
        log.info("secrets: session only (keyring backend %s)", _qualified_name(backend))
        return MemorySecretStore(notice=notice)
    log.info("secrets: keyring backend %s", _qualified_name(chosen))
    return SessionFallbackSecretStore(KeyringSecretStore(service, chosen))


def _usable_backend(backend: KeyringBackend) -> KeyringBackend | None:
    from keyring.backends.chainer import ChainerBackend

    if isinstance(backend, ChainerBackend):
        for candidate in _chained(backend):
            if _usable_backend(candidate) is not None:
                return candidate
        return None
    if _priority(backend) <= 0:
        return None
    if _is_unsafe_backend(backend) and not _explicitly_chosen(backend):
        return None
    return backend


def _chained(backend: ChainerBackend) -> list[KeyringBackend]:
    try:
        return list(backend.backends)
    except Exception as exc:  # a chained backend failed to construct
        log.warning("keyring chainer: %s", exc)
        return []


def _priority(backend: KeyringBackend) -> float:
    # `priority` re-checks viability (a D-Bus round trip for Secret Service) and raises
    # RuntimeError when the backend is not usable any more.
    try:
        return float(type(backend).priority)
    except Exception as exc:
        log.warning("keyring backend %s is not usable: %s", _qualified_name(backend), exc)
        return 0.0


def _qualified_name(backend: KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_unsafe_backend(backend: KeyringBackend) -> bool:
    module = type(backend).__module__
    return module == _UNSAFE_BACKEND_PACKAGE or module.startswith(_UNSAFE_BACKEND_PACKAGE + ".")


def _explicitly_chosen(backend: KeyringBackend) -> bool:
    return os.environ.get(KEYRING_BACKEND_ENV, "").strip() == _qualified_name(backend)


def _install_hint() -> str:
    if sys.platform == "darwin":
        return "Check that your login keychain is available to remember it"
    if sys.platform == "win32":
        return "Check that Windows Credential Manager is available to remember it"
    return "Install and unlock GNOME Keyring or KWallet to remember it"


def _reason(exc: Exception) -> str:
    """A short plain-language cause for a keyring failure (never the exception's own text)."""
    import keyring.errors

    if isinstance(exc, keyring.errors.KeyringLocked):
        return "the keyring is locked"
    if isinstance(exc, keyring.errors.NoKeyringError):
        return "no keyring is available"
    if isinstance(exc, keyring.errors.InitError):
        return "the keyring could not be opened"
    return f"the keyring reported an error ({type(exc).__name__})"


class DeferredSecretStore:
    """A store opened in a worker thread, so finding the keyring (an import and D-Bus round trips,
    ~100 ms) never holds up the window. Every call waits for the opening to finish.

    The thread is the caller's to give (the app passes `TaskRunner.executor`, the one door for
    blocking work); without an executor the store is opened at once, in the calling thread.

    Args:
        opener: builds the real store (`open_secret_store` in the app).
        executor: where `opener` runs; None runs it now, in the caller's thread.
    """

    def __init__(
        self,
        opener: Callable[[], SecretStore] = open_secret_store,
        *,
        executor: Executor | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._store: SecretStore | None = None
        self._opening: Future[SecretStore]
        if executor is not None:
            self._opening = executor.submit(opener)
        else:
            self._opening = Future()
            try:
                self._opening.set_result(opener())
            except Exception as exc:  # reported on first use, as from a worker
                self._opening.set_exception(exc)

    def store(self) -> SecretStore:
        """The opened store (waits for the opening); a session-only store if it failed."""
        with self._lock:
            if self._store is None:
                try:
                    self._store = self._opening.result()
                except (Exception, CancelledError) as exc:
                    log.warning("no keyring: %s", exc)
                    self._store = MemorySecretStore(
                        notice="The keyring could not be opened, so your key is kept for this "
                        "session only."
                    )
            return self._store

    @property
    def persistent(self) -> bool:
        return self.store().persistent

    @property
    def backend_name(self) -> str:
        return self.store().backend_name

    @property
    def notice(self) -> str:
        return self.store().notice

    def get(self, profile_id: str) -> str | None:
        return self.store().get(profile_id)

    def set(self, profile_id: str, key: str) -> None:
        self.store().set(profile_id, key)

    def delete(self, profile_id: str) -> None:
        self.store().delete(profile_id)

    def is_persistent(self, profile_id: str) -> bool:
        return key_is_persistent(self.store(), profile_id)

    def __repr__(self) -> str:
        opening = self._opening
        if self._store is not None:
            state = repr(self._store)
        elif not opening.done():
            state = "opening"
        elif opening.cancelled() or opening.exception() is not None:
            state = "failed"
        else:
            state = repr(opening.result())
        return f"DeferredSecretStore({state})"


# --- remote MCP servers' headers ------------------------------------------------------------------

MCP_ENTRY_PREFIX = "mcp-headers:"
"""Each remote MCP server's headers (a key or token it needs) are one entry, `mcp-headers:<label>`,
in the same store as the API keys: never in settings, history, exports or logs."""


def mcp_entry(server_label: str) -> str:
    """The secret store entry of the MCP server labelled `server_label`."""
    return MCP_ENTRY_PREFIX + server_label.strip()


def mcp_headers(store: SecretStore, server_label: str) -> tuple[tuple[str, str], ...]:
    """The headers kept for the server (none when nothing is kept or the entry is unreadable).
    May block (keyring)."""
    import json

    raw = store.get(mcp_entry(server_label)) if server_label.strip() else None
    if not raw:
        return ()
    try:
        value = json.loads(raw)
    except ValueError:
        log.warning("the kept headers of an MCP server are unreadable; ignored")
        return ()
    if not isinstance(value, dict):
        return ()
    return tuple((str(k), str(v)) for k, v in value.items() if str(k).strip() and str(v))


def set_mcp_headers(
    store: SecretStore, server_label: str, headers: tuple[tuple[str, str], ...]
) -> None:
    """Keeps `headers` for the server (replacing what was kept); no headers forget the entry.
    May block (keyring).

    Raises:
        SecretStoreError: the store refused.
        ValueError: no server label.
    """
    import json

    if not server_label.strip():
        raise ValueError("An MCP server needs a label before its headers can be kept.")
    if not headers:
        store.delete(mcp_entry(server_label))
        return
    store.set(mcp_entry(server_label), json.dumps(dict(headers)))
