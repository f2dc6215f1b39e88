"""SecretStore implementations, the keyring choice in open_secret_store(), and mask_key()."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.backends.chainer import ChainerBackend

from playground.core.api.secrets import (
    KEYRING_BACKEND_ENV,
    KeyringSecretStore,
    MemorySecretStore,
    SecretStoreError,
    SessionFallbackSecretStore,
    key_is_persistent,
    mask_key,
    open_secret_store,
)

KEY = "sk-proj-TESTKEY0123456789abcdefSECRET"
OTHER_KEY = "sk-proj-OTHERKEY987654321zyxwvuMORE"

# keyring registers every KeyringBackend subclass and, when it detects a backend, instantiates each
# one it can build without arguments. These test backends take a required argument, so they never
# leak into that detection (and into other tests) through the registry.


class DictKeyring(KeyringBackend):
    """A working in-memory backend."""

    priority = 1

    def __init__(self, entries: dict[tuple[str, str], str]) -> None:
        super().__init__()
        self.entries = entries

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("No such password!")


class LockableKeyring(DictKeyring):
    """Works until `locked` is set, then refuses to save, as a locked Secret Service does."""

    locked = False

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.locked:
            raise keyring.errors.KeyringLocked("Failed to unlock the collection!")
        super().set_password(service, username, password)

    def get_password(self, service: str, username: str) -> str | None:
        if self.locked:
            raise keyring.errors.KeyringLocked("Failed to unlock the collection!")
        return super().get_password(service, username)


class FakePlaintextKeyring(DictKeyring):
    """Stands in for keyrings.alt's plaintext file backend (not installed here)."""

    __module__ = "keyrings.alt.file"
    priority = 0.5  # type: ignore[assignment]


class FixedChainer(ChainerBackend):
    """A chainer over a fixed list of backends instead of whatever this machine has."""

    def __init__(self, chained: list[KeyringBackend]) -> None:
        super().__init__()
        self._chained = chained

    @property
    def backends(self) -> list[KeyringBackend]:
        return self._chained


FAKE_PLAINTEXT_NAME = "keyrings.alt.file.FakePlaintextKeyring"


@pytest.fixture
def use_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[KeyringBackend], None]]:
    """Install a keyring backend for one test; the previous one is restored afterwards."""
    monkeypatch.delenv(KEYRING_BACKEND_ENV, raising=False)
    previous = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(previous)


def assert_no_key(text: str) -> None:
    for key in (KEY, OTHER_KEY):
        assert key not in text
        assert key[-8:] not in text


# --- MemorySecretStore -------------------------------------------------------------------------


def test_memory_store_round_trip() -> None:
    store = MemorySecretStore()
    assert store.get("openai") is None
    store.set("openai", KEY)
    store.set("azure", OTHER_KEY)
    assert store.get("openai") == KEY
    store.set("openai", OTHER_KEY)
    assert store.get("openai") == OTHER_KEY
    store.delete("openai")
    assert store.get("openai") is None
    assert store.get("azure") == OTHER_KEY
    store.delete("never-stored")  # no error


def test_memory_store_is_session_only() -> None:
    store = MemorySecretStore()
    assert store.persistent is False
    assert store.backend_name == "Session only"
    assert store.notice == ""
    store.set("openai", KEY)
    assert key_is_persistent(store, "openai") is False


def test_stores_strip_pasted_whitespace_and_refuse_empty_keys() -> None:
    store = MemorySecretStore()
    store.set("openai", f"  {KEY}\n")
    assert store.get("openai") == KEY
    with pytest.raises(ValueError, match="empty key"):
        store.set("openai", "   ")


# --- mask_key ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        ("", ""),
        ("   ", ""),
        (KEY, "sk-…CRET"),
        ("sk-abcdefghijklmnop9876", "sk-…9876"),
        ("abcdefghijklmnopWXYZ", "…WXYZ"),
        ("  sk-abcdefghijkl9876\n", "sk-…9876"),
        ("short", "…"),
        ("sk-12345678", "…"),
    ],
)
def test_mask_key(key: str, masked: str) -> None:
    assert mask_key(key) == masked


def test_mask_key_never_shows_more_than_four_characters_of_the_secret() -> None:
    for n in range(1, 60):
        key = "sk-" + "".join(chr(ord("A") + i % 26) for i in range(n))
        shown = mask_key(key).removeprefix("sk-").replace("…", "")
        assert len(shown) <= 4


# --- open_secret_store: no usable keyring ------------------------------------------------------


def test_no_keyring_falls_back_to_session_memory(
    use_keyring: Callable[[KeyringBackend], None],
) -> None:
    use_keyring(fail.Keyring())
    store = open_secret_store()
    assert isinstance(store, MemorySecretStore)
    assert store.persistent is False
    assert store.backend_name == "Session only"
    assert "session only" in store.notice
    assert "No system keyring was found" in store.notice
    store.set("openai", KEY)
    assert store.get("openai") == KEY


def test_null_keyring_falls_back_to_session_memory(
    use_keyring: Callable[[KeyringBackend], None],
) -> None:
    use_keyring(null.Keyring())
    store = open_secret_store()
    assert isinstance(store, MemorySecretStore)
    assert store.notice


def test_chainer_without_usable_backends_falls_back(
    use_keyring: Callable[[KeyringBackend], None],
) -> None:
    use_keyring(FixedChainer([fail.Keyring()]))
    assert isinstance(open_secret_store(), MemorySecretStore)


def test_chainer_uses_its_best_real_backend(
    use_keyring: Callable[[KeyringBackend], None],
) -> None:
    plain: dict[tuple[str, str], str] = {}
    real: dict[tuple[str, str], str] = {}
    use_keyring(FixedChainer([FakePlaintextKeyring(plain), DictKeyring(real)]))
    store = open_secret_store("svc")
    assert isinstance(store, SessionFallbackSecretStore)
    store.set("openai", KEY)
    assert real == {("svc", "openai"): KEY}
    assert plain == {}


# --- open_secret_store: keyrings.alt -----------------------------------------------------------


def test_plaintext_backend_is_refused(use_keyring: Callable[[KeyringBackend], None]) -> None:
    entries: dict[tuple[str, str], str] = {}
    use_keyring(FakePlaintextKeyring(entries))
    store = open_secret_store()
    assert isinstance(store, MemorySecretStore)
    assert "plain file" in store.notice
    assert KEYRING_BACKEND_ENV in store.notice
    store.set("openai", KEY)
    assert entries == {}  # nothing reached the file


def test_chainer_with_only_plaintext_backends_is_refused(
    use_keyring: Callable[[KeyringBackend], None],
) -> None:
    use_keyring(FixedChainer([FakePlaintextKeyring({}), fail.Keyring()]))
    store = open_secret_store()
    assert isinstance(store, MemorySecretStore)
    assert "plain file" in store.notice


def test_plaintext_backend_is_used_when_chosen_explicitly(
    use_keyring: Callable[[KeyringBackend], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    entries: dict[tuple[str, str], str] = {}
    use_keyring(FakePlaintextKeyring(entries))
    monkeypatch.setenv(KEYRING_BACKEND_ENV, FAKE_PLAINTEXT_NAME)
    store = open_secret_store("svc")
    assert isinstance(store, SessionFallbackSecretStore)
    assert store.persistent is True
    assert "file" in store.notice  # still says it is weaker than a system keyring
    store.set("openai", KEY)
    assert entries == {("svc", "openai"): KEY}


# --- KeyringSecretStore ------------------------------------------------------------------------


def test_keyring_store_keeps_one_entry_per_profile() -> None:
    entries: dict[tuple[str, str], str] = {}
    store = KeyringSecretStore("svc", DictKeyring(entries))
    assert store.persistent is True
    assert store.get("openai") is None
    store.set("openai", KEY)
    store.set("azure", OTHER_KEY)
    assert entries == {("svc", "openai"): KEY, ("svc", "azure"): OTHER_KEY}
    store.set("openai", OTHER_KEY)
    assert store.get("openai") == OTHER_KEY
    store.delete("openai")
    store.delete("openai")  # already gone: no error
    assert entries == {("svc", "azure"): OTHER_KEY}


def test_keyring_errors_become_plain_secret_store_errors() -> None:
    store = KeyringSecretStore("svc", fail.Keyring())
    with pytest.raises(SecretStoreError) as caught:
        store.set("openai", KEY)
    message = str(caught.value)
    assert message == "Could not save the key in fail Keyring: no keyring is available."
    assert_no_key(message)
    assert_no_key(repr(caught.value))
    assert isinstance(caught.value.__cause__, keyring.errors.NoKeyringError)
    with pytest.raises(SecretStoreError, match="Could not read the key"):
        store.get("openai")
    with pytest.raises(SecretStoreError, match="Could not remove the key"):
        store.delete("openai")


def test_locked_keyring_error_says_so() -> None:
    backend = LockableKeyring({})
    backend.locked = True
    with pytest.raises(SecretStoreError, match="the keyring is locked"):
        KeyringSecretStore("svc", backend).set("openai", KEY)


# --- SessionFallbackSecretStore: keyring fails at run time -------------------------------------


def test_failed_save_keeps_the_key_for_the_session(
    use_keyring: Callable[[KeyringBackend], None], caplog: pytest.LogCaptureFixture
) -> None:
    entries: dict[tuple[str, str], str] = {}
    backend = LockableKeyring(entries)
    use_keyring(backend)
    store = open_secret_store("svc")
    assert isinstance(store, SessionFallbackSecretStore)
    assert store.persistent is True
    assert store.notice == ""

    backend.locked = True  # the user locked the keyring after start-up
    with caplog.at_level(logging.DEBUG):
        store.set("openai", KEY)  # no exception: the key is not lost
    assert store.get("openai") == KEY
    assert store.persistent is False
    assert key_is_persistent(store, "openai") is False
    assert "the keyring is locked" in store.notice
    assert "session only" in store.notice
    assert entries == {}
    assert_no_key(caplog.text)

    backend.locked = False  # unlocked again: saving once more moves the key to the keyring
    store.set("openai", KEY)
    assert entries == {("svc", "openai"): KEY}
    assert store.persistent is True
    assert key_is_persistent(store, "openai") is True
    assert store.notice == ""


def test_fallback_store_delete_forgets_session_and_keyring_keys() -> None:
    entries: dict[tuple[str, str], str] = {("svc", "azure"): OTHER_KEY}
    backend = LockableKeyring(entries)
    store = SessionFallbackSecretStore(KeyringSecretStore("svc", backend))
    backend.locked = True
    store.set("openai", KEY)
    backend.locked = False
    store.delete("openai")
    store.delete("azure")
    assert store.get("openai") is None
    assert store.get("azure") is None
    assert store.persistent is True


def test_fallback_store_read_failure_is_an_error_not_a_missing_key() -> None:
    backend = LockableKeyring({("svc", "openai"): KEY})
    store = SessionFallbackSecretStore(KeyringSecretStore("svc", backend))
    backend.locked = True
    with pytest.raises(SecretStoreError, match="Could not read the key"):
        store.get("openai")


# --- repr never shows a key --------------------------------------------------------------------


def test_repr_of_stores_never_contains_a_key() -> None:
    memory = MemorySecretStore()
    keyring_store = KeyringSecretStore("svc", DictKeyring({}))
    locked = LockableKeyring({})
    fallback = SessionFallbackSecretStore(KeyringSecretStore("svc", locked))
    memory.set("openai", KEY)
    keyring_store.set("openai", KEY)
    fallback.set("openai", KEY)
    locked.locked = True
    fallback.set("azure", OTHER_KEY)
    for store in (memory, keyring_store, fallback):
        assert_no_key(repr(store))
        assert_no_key(str(store))
        assert_no_key(store.notice)
    assert repr(memory) == "MemorySecretStore(backend_name='Session only', keys=1)"


def test_deferred_store_answers_from_the_store_its_thread_opened() -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from playground.core.api.secrets import DeferredSecretStore, MemorySecretStore

    inner = MemorySecretStore(backend_name="Test keyring")
    release = threading.Event()
    opened_in: list[str] = []

    def opener() -> MemorySecretStore:
        release.wait(30)
        opened_in.append(threading.current_thread().name)
        return inner

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="keyring-test") as pool:
        store = DeferredSecretStore(opener, executor=pool)
        assert repr(store) == "DeferredSecretStore(opening)"  # built without waiting
        release.set()
        store.set("openai", "sk-deferred-000111222333")
    assert opened_in == ["keyring-test_0"]
    assert store.backend_name == "Test keyring"
    assert inner.get("openai") == "sk-deferred-000111222333"
    assert store.get("openai") == "sk-deferred-000111222333"


def test_deferred_store_without_an_executor_opens_at_once() -> None:
    import threading

    from playground.core.api.secrets import DeferredSecretStore, MemorySecretStore

    opened_in: list[threading.Thread] = []

    def opener() -> MemorySecretStore:
        opened_in.append(threading.current_thread())
        return MemorySecretStore(backend_name="Test keyring")

    store = DeferredSecretStore(opener)
    assert opened_in == [threading.current_thread()]
    assert "Test keyring" in repr(store)
    assert store.backend_name == "Test keyring"


def test_deferred_store_falls_back_to_this_session_when_opening_fails() -> None:
    from typing import NoReturn

    from playground.core.api.secrets import DeferredSecretStore

    def broken() -> NoReturn:
        raise RuntimeError("D-Bus is gone")

    store = DeferredSecretStore(broken)
    assert repr(store) == "DeferredSecretStore(failed)"
    assert not store.persistent
    assert "session only" in store.notice
    store.set("openai", "sk-deferred-000111222333")
    assert store.get("openai") == "sk-deferred-000111222333"


def test_deferred_store_falls_back_when_opening_fails_in_a_worker() -> None:
    from concurrent.futures import ThreadPoolExecutor
    from typing import NoReturn

    from playground.core.api.secrets import DeferredSecretStore

    def broken() -> NoReturn:
        raise RuntimeError("D-Bus is gone")

    with ThreadPoolExecutor(max_workers=1) as pool:
        store = DeferredSecretStore(broken, executor=pool)
        assert "session only" in store.notice
    assert not store.persistent
    assert repr(store).startswith("DeferredSecretStore(MemorySecretStore(")
