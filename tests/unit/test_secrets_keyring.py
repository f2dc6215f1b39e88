"""KeyringSecretStore against a real Secret Service (gnome-keyring).

Runs where a Secret Service answers on the session bus, e.g.:

    HOME=$(mktemp -d) dbus-run-session -- sh -c 'echo -n pw | gnome-keyring-daemon --unlock \
        --components=secrets >/dev/null; PLAYGROUND_REQUIRE_KEYRING=1 python -m pytest -m keyring -q'

Elsewhere the tests skip, unless PLAYGROUND_REQUIRE_KEYRING=1 is set (CI): then they fail, so they
cannot skip silently.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import SecretService

from playground.core.api.providers import resolve_connection
from playground.core.api.secrets import (
    KEYRING_BACKEND_ENV,
    KeyringSecretStore,
    SecretStoreError,
    SessionFallbackSecretStore,
    open_secret_store,
)
from playground.core.models import ProviderProfile

pytestmark = pytest.mark.keyring

REQUIRE_ENV = "PLAYGROUND_REQUIRE_KEYRING"
KEY = "sk-proj-REALKEYRING0123456789abcdefXYZ1"
NEW_KEY = "sk-proj-REPLACEDKEY9876543210zyxwvuQRS2"
PROFILE_IDS = ("openai", "azure-work")


def _secret_service_problem() -> str | None:
    """Why no Secret Service can be used here, or None when one answers."""
    try:
        priority = SecretService.Keyring.priority
    except Exception as exc:  # RuntimeError from keyring, or secretstorage/jeepney errors
        return f"no Secret Service on the session bus ({exc})"
    if priority <= 0:
        return "the Secret Service backend is not usable"
    return None


@pytest.fixture
def secret_service() -> SecretService.Keyring:
    problem = _secret_service_problem()
    if problem is not None:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{problem}; {REQUIRE_ENV}=1 requires a real keyring")
        pytest.skip(f"{problem}; run inside dbus-run-session with gnome-keyring unlocked")
    return SecretService.Keyring()


@pytest.fixture
def service(secret_service: SecretService.Keyring) -> Iterator[str]:
    """A service name unique to this test; its entries are deleted afterwards."""
    name = f"playground-test-{uuid.uuid4().hex}"
    yield name
    cleanup = KeyringSecretStore(name, secret_service)
    for profile_id in PROFILE_IDS:
        with contextlib.suppress(SecretStoreError):
            cleanup.delete(profile_id)
    for profile_id in PROFILE_IDS:
        assert cleanup.get(profile_id) is None


def test_round_trip(secret_service: SecretService.Keyring, service: str) -> None:
    store = KeyringSecretStore(service, secret_service)
    assert store.backend_name == "Secret Service"
    assert store.persistent is True
    assert store.notice == ""
    assert store.get("openai") is None

    store.set("openai", KEY)
    assert store.get("openai") == KEY
    # Really in the Secret Service, not in this object: a fresh backend reads it back.
    assert KeyringSecretStore(service, SecretService.Keyring()).get("openai") == KEY

    store.set("openai", NEW_KEY)
    assert store.get("openai") == NEW_KEY

    store.set("azure-work", KEY)
    store.delete("openai")
    assert store.get("openai") is None
    assert store.get("azure-work") == KEY
    store.delete("openai")  # already gone: no error
    assert KEY not in repr(store)


def test_open_secret_store_picks_the_secret_service(
    secret_service: SecretService.Keyring, service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEYRING_BACKEND_ENV, raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(secret_service)
    try:
        store = open_secret_store(service)
        assert isinstance(store, SessionFallbackSecretStore)
        assert store.backend_name == "Secret Service"
        assert store.persistent is True
        assert store.notice == ""
        store.set("openai", KEY)
        connection = resolve_connection(ProviderProfile(id="openai", name="OpenAI"), store, {})
        assert connection.api_key == KEY
        assert connection.key_source == "keyring"
        store.delete("openai")
        assert store.get("openai") is None
    finally:
        keyring.set_keyring(previous)
