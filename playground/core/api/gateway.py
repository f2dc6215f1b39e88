"""The only place an OpenAI SDK client is built.

`make_client()` takes a profile (timeouts, retries, proxy, Azure deployment) and the `Connection`
`providers.resolve_connection()` worked out (key, base URL, organization, project). The connection is
authoritative: the SDK would read `OPENAI_ORG_ID`, `OPENAI_PROJECT_ID` and `OPENAI_ADMIN_KEY` from the
environment again when given `None`, so those attributes are set from the connection after the client
is built. What the UI showed is then exactly what is sent.

The caller owns the client and must `await client.close()` when done (that also closes the proxy's
HTTP client).
"""

from __future__ import annotations

from typing import Final

from playground.core.api.imports import heavy_import_lock

with heavy_import_lock:  # see playground.core.api.imports
    import openai

from playground.core.api.providers import Connection
from playground.core.models import ProviderKind, ProviderProfile

#: Sent to local servers that need no key: the SDK refuses to build a client with an empty one.
PLACEHOLDER_KEY: Final = "no-key-needed"

_SETTINGS_HINT: Final = "Open Settings → Providers to add one."


class GatewayError(Exception):
    """A client cannot be built from this profile. The message is plain language, without the key."""


class MissingKeyError(GatewayError):
    """The profile needs an API key and none is stored or set in the environment.

    Attributes:
        profile_id: the profile that has no key.
    """

    def __init__(self, profile: ProviderProfile) -> None:
        super().__init__(f"No API key for {profile.name}. {_SETTINGS_HINT}")
        self.profile_id = profile.id


class IncompleteProfileError(GatewayError):
    """The profile lacks a base URL, Azure endpoint or Azure API version.

    Attributes:
        profile_id: the incomplete profile.
    """

    def __init__(self, profile: ProviderProfile, what: str) -> None:
        super().__init__(f"No {what} for {profile.name}. {_SETTINGS_HINT}")
        self.profile_id = profile.id


def make_client(profile: ProviderProfile, connection: Connection) -> openai.AsyncOpenAI:
    """Build the SDK client for `profile`.

    Args:
        profile: timeout, retries, proxy, kind and Azure deployment come from here.
        connection: key, base URL, organization, project (and Azure endpoint and api-version) come
            from here, as `providers.resolve_connection()` resolved them.

    Returns:
        An `openai.AsyncOpenAI`, or an `openai.AsyncAzureOpenAI` for Azure profiles.

    Raises:
        MissingKeyError: the profile requires a key and the connection has none.
        IncompleteProfileError: no base URL (or, for Azure, no endpoint or API version).
    """
    api_key = connection.api_key
    if not api_key:
        if profile.key_required:
            raise MissingKeyError(profile)
        api_key = PLACEHOLDER_KEY

    client: openai.AsyncOpenAI
    if profile.kind is ProviderKind.AZURE:
        if not connection.azure_endpoint:
            raise IncompleteProfileError(profile, "Azure endpoint")
        if not connection.api_version:
            raise IncompleteProfileError(profile, "Azure API version")
        client = openai.AsyncAzureOpenAI(
            azure_endpoint=connection.azure_endpoint,
            azure_deployment=profile.azure_deployment.strip() or None,
            api_version=connection.api_version,
            api_key=api_key,
            organization=connection.organization or None,
            project=connection.project or None,
            timeout=profile.timeout_s,
            max_retries=profile.max_retries,
            http_client=_http_client(profile),
        )
    else:
        if not connection.base_url:
            raise IncompleteProfileError(profile, "base URL")
        client = openai.AsyncOpenAI(
            api_key=api_key,
            base_url=connection.base_url,
            organization=connection.organization or None,
            project=connection.project or None,
            timeout=profile.timeout_s,
            max_retries=profile.max_retries,
            http_client=_http_client(profile),
        )
    # The SDK filled blanks from os.environ; the connection already decided what applies.
    client.organization = connection.organization or None
    client.project = connection.project or None
    client.admin_api_key = None
    return client


def _http_client(profile: ProviderProfile) -> openai.DefaultAsyncHttpxClient | None:
    """An HTTP client routed through the profile's proxy, or None for the SDK's own default.

    openai 3.x runs on httpx2; `DefaultAsyncHttpx2Client` keeps the SDK's connection limits, timeout
    and redirect defaults, which a bare `httpx2.AsyncClient` would lose. httpx2 takes the proxy URL
    as `proxy=` and sends every request through it.
    """
    proxy = profile.proxy.strip()
    if not proxy:
        return None
    return openai.DefaultAsyncHttpx2Client(proxy=proxy)
