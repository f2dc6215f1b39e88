"""The live connection: the active provider profile, its resolved key, and one SDK client.

Every service asks `ApiSession.client()` per request, so a changed key, profile or timeout takes
effect on the next request. Replaced clients are closed, never leaked.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from playground.core.api.providers import Connection, resolve_connection
from playground.core.api.secrets import SecretStore
from playground.core.models import ProviderProfile
from playground.core.storage.settings import Settings

log = logging.getLogger(__name__)


class ApiSession:
    """Owns the SDK client for the active profile.

    Args:
        settings: the current settings (the profile list and which one is active); replaced with
            `set_settings` when the user changes them.
        secrets: where keys live.
        environ: the environment to honour (`OPENAI_API_KEY` and friends); `os.environ` by default.
        client_factory: builds a client; `gateway.make_client` unless a test passes another.
    """

    def __init__(
        self,
        settings: Settings,
        secrets: SecretStore,
        environ: Mapping[str, str] | None = None,
        client_factory: Callable[[ProviderProfile, Connection], Any] | None = None,
    ) -> None:
        self._settings = settings
        self.secrets = secrets
        self._environ = os.environ if environ is None else environ
        self._factory = client_factory or _make_client
        self._client: Any = None
        self._client_profile: ProviderProfile | None = None
        self._retired: list[Any] = []

    @property
    def profile(self) -> ProviderProfile:
        return self._settings.profile()

    def set_settings(self, settings: Settings) -> None:
        """Takes new settings; the next `client()` call rebuilds the client if the profile changed."""
        self._settings = settings

    def connection(self, profile: ProviderProfile | None = None) -> Connection:
        """Where requests go and with which key (resolved from the keyring and the environment)."""
        return resolve_connection(profile or self.profile, self.secrets, dict(self._environ))

    def client(self) -> Any:
        """The `AsyncOpenAI` client for the active profile, built on first use.

        Raises:
            MissingKeyError: the profile needs a key and none is stored or in the environment.
        """
        profile = self.profile
        if self._client is None or self._client_profile != profile:
            self.invalidate()
            self._client = self._factory(profile, self.connection(profile))
            self._client_profile = profile
        return self._client

    def client_for(self, profile: ProviderProfile, api_key: str | None = None) -> Any:
        """A separate client for a profile being edited (Settings → Test connection).

        Args:
            api_key: a key typed but not yet saved; it wins over the stored one. Caller closes the client.
        """
        connection = self.connection(profile)
        if api_key:
            connection = dataclasses.replace(connection, api_key=api_key, key_source="session")
        return self._factory(profile, connection)

    def invalidate(self) -> None:
        """Drops the current client (after a key or profile change); it is closed by `aclose`."""
        if self._client is not None:
            self._retired.append(self._client)
        self._client = None
        self._client_profile = None

    async def aclose(self) -> None:
        """Closes every client this session built."""
        self.invalidate()
        retired, self._retired = self._retired, []
        for client in retired:
            try:
                await client.close()
            except Exception as exc:  # closing is best effort at shutdown
                log.debug("closing a client failed: %s", exc)


def _make_client(profile: ProviderProfile, connection: Connection) -> Any:
    # Deferred: importing the SDK costs a few hundred milliseconds that start-up should not pay.
    from playground.core.api.gateway import make_client

    return make_client(profile, connection)
