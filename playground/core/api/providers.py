"""Provider presets, profile checks, and resolving what a profile connects with.

`resolve_connection()` merges a `ProviderProfile`, the key in the `SecretStore` and the environment
into a `Connection`: the values a client is built from, each labelled with where it came from, so the
UI can say "from environment". `gateway.make_client()` uses the `Connection` as is; it does not let the
SDK read the environment a second time.

Environment rules, matched to openai 3.54 (`lib/_client_auth.py` for `AsyncOpenAI`, `lib/azure.py`
for `AsyncAzureOpenAI`): the SDK reads a variable only when the argument is `None`, so an explicitly
configured value always wins and the environment fills what is blank.

* OpenAI profiles: `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `OPENAI_ORG_ID`, `OPENAI_PROJECT_ID`; without a
  base URL anywhere, `https://api.openai.com/v1`.
* Azure profiles: `AZURE_OPENAI_API_KEY`, `AZURE_OPENAI_ENDPOINT`, `OPENAI_API_VERSION` (the SDK's Azure
  names). The SDK's Azure client would also read `OPENAI_ORG_ID`/`OPENAI_PROJECT_ID`; those headers
  mean nothing to Azure, so here organization and project come from the profile only.
* OpenAI-compatible servers: only `OPENAI_API_KEY`, and only when the profile requires a key and none
  is stored. The base URL, organization and project come from the profile alone, so a local server
  never receives what was meant for api.openai.com.

Deliberate differences from the SDK: a variable set to an empty or blank string counts as unset (the
SDK would use `OPENAI_BASE_URL=""` as the base URL), and Azure AD tokens (`AZURE_OPENAI_AD_TOKEN`) are
not supported: an Azure profile authenticates with an API key.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal
from urllib.parse import urlsplit

from playground.core.api.secrets import SecretStore, key_is_persistent
from playground.core.models import ProviderKind, ProviderProfile

OPENAI_DEFAULT_BASE_URL: Final = "https://api.openai.com/v1"

# The SDK's environment variable names.
ENV_OPENAI_API_KEY: Final = "OPENAI_API_KEY"
ENV_OPENAI_BASE_URL: Final = "OPENAI_BASE_URL"
ENV_OPENAI_ORG_ID: Final = "OPENAI_ORG_ID"
ENV_OPENAI_PROJECT_ID: Final = "OPENAI_PROJECT_ID"
ENV_AZURE_API_KEY: Final = "AZURE_OPENAI_API_KEY"
ENV_AZURE_ENDPOINT: Final = "AZURE_OPENAI_ENDPOINT"
ENV_API_VERSION: Final = "OPENAI_API_VERSION"

MAX_RETRIES_LIMIT: Final = 10

KeySource = Literal["keyring", "session", "environment", "none", "not needed"]
ValueSource = Literal["profile", "environment", "default", "none"]


@dataclass(frozen=True, slots=True)
class ProviderPreset:
    """A starting point for a new profile ("Ollama", "Azure OpenAI"…).

    Attributes:
        id: stable preset id, also the base of new profile ids.
        name: what the user sees.
        kind: the profile kind it creates.
        description: one plain sentence for the "Add provider" list.
        base_url: the server's usual base URL ("" when there is none or the user types it).
        key_required: False for local servers that accept any key.
        price_provider: the genai-prices provider id; "local" for free local models, "" for unknown.
    """

    id: str
    name: str
    kind: ProviderKind
    description: str
    base_url: str = ""
    key_required: bool = True
    price_provider: str = "openai"


def _local_server(id: str, name: str, description: str, base_url: str) -> ProviderPreset:
    """A preset for a server on this machine: OpenAI-compatible, no key needed, priced as local."""
    return ProviderPreset(
        id=id,
        name=name,
        kind=ProviderKind.COMPATIBLE,
        description=description,
        base_url=base_url,
        key_required=False,
        price_provider="local",
    )


#: Every preset, in the order the UI lists them; the first one is the default.
PRESETS: Final[tuple[ProviderPreset, ...]] = (
    ProviderPreset(
        id="openai",
        name="OpenAI",
        kind=ProviderKind.OPENAI,
        description="The OpenAI API at api.openai.com, with your API key.",
    ),
    ProviderPreset(
        id="azure",
        name="Azure OpenAI",
        kind=ProviderKind.AZURE,
        description="A model deployment on Azure: needs the endpoint, deployment name and API version.",
        price_provider="azure",
    ),
    _local_server(
        "ollama",
        "Ollama",
        "Models running locally in Ollama. No key needed.",
        "http://localhost:11434/v1",
    ),
    _local_server(
        "lmstudio",
        "LM Studio",
        "Models running locally in LM Studio's server. No key needed.",
        "http://localhost:1234/v1",
    ),
    _local_server(
        "vllm",
        "vLLM",
        "A vLLM server on this machine. No key needed unless it was started with one.",
        "http://localhost:8000/v1",
    ),
    ProviderPreset(
        id="custom",
        name="Custom OpenAI-compatible",
        kind=ProviderKind.COMPATIBLE,
        description="Any server that speaks the OpenAI API. Type its base URL; a key is optional.",
        key_required=False,
        price_provider="",
    ),
)
DEFAULT_PRESET: Final = PRESETS[0]


def preset_by_key(key: str) -> ProviderPreset:
    """The preset with this id ("openai", "azure", "ollama", "lmstudio", "vllm", "custom").

    Raises:
        KeyError: no preset has this id.
    """
    for preset in PRESETS:
        if preset.id == key:
            return preset
    raise KeyError(key)


def slugify(text: str, fallback: str = "provider") -> str:
    """A lowercase ASCII id from `text`: "LM Studio (work)" -> "lm-studio-work"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40].strip("-")
    return slug or fallback


def new_profile(
    preset: ProviderPreset | str = DEFAULT_PRESET,
    name: str | None = None,
    existing_ids: Collection[str] = (),
) -> ProviderProfile:
    """A new profile from a preset, with a fresh id unique among `existing_ids`.

    Args:
        preset: a `ProviderPreset` or its id (see `preset_by_key`).
        name: the profile's name; the preset's name by default.
        existing_ids: ids already in use; the new id is a slug of the name, with "-2", "-3"… added
            until it is unique.

    Returns:
        The profile. Its key, if any, is stored separately under its `id`.

    Raises:
        KeyError: `preset` is an unknown preset id.
    """
    if isinstance(preset, str):
        preset = preset_by_key(preset)
    display_name = (name or "").strip() or preset.name
    base = slugify(display_name, fallback=preset.id)
    taken = set(existing_ids)
    profile_id, n = base, 1
    while profile_id in taken:
        n += 1
        profile_id = f"{base}-{n}"
    return ProviderProfile(
        id=profile_id,
        name=display_name,
        kind=preset.kind,
        base_url=preset.base_url,
        key_required=preset.key_required,
        price_provider=preset.price_provider,
    )


def _url_problem(url: str) -> bool:
    """True if `url` is not an absolute http(s) URL with a host."""
    if any(c.isspace() for c in url):
        return True
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a bad port
    except ValueError:
        return True
    return parts.scheme not in ("http", "https") or not parts.hostname


def _env(environ: Mapping[str, str], name: str) -> str:
    """The variable's value, with a blank one counted as unset."""
    return environ.get(name, "").strip()


def validate_profile(
    profile: ProviderProfile, environ: Mapping[str, str] = os.environ
) -> list[str]:
    """Plain-language problems that would stop `profile` from working; empty when it is fine.

    Args:
        profile: the profile to check.
        environ: the environment, whose Azure variables can fill a blank endpoint or API version (pass
            `{}` to check the profile alone).

    Returns:
        One sentence per problem, in the order of the form's fields.
    """
    problems: list[str] = []
    if not profile.name.strip():
        problems.append("Give the provider a name.")
    if not profile.id.strip():
        problems.append("The provider has no id.")
    base_url = profile.base_url.strip()
    if profile.kind is ProviderKind.COMPATIBLE:
        if not base_url:
            problems.append("Enter the server's base URL, for example http://localhost:11434/v1.")
        elif _url_problem(base_url):
            problems.append(
                "The base URL must start with http:// or https:// and name a server, for example "
                "http://localhost:11434/v1."
            )
    elif profile.kind is ProviderKind.OPENAI:
        if base_url and _url_problem(base_url):
            problems.append(
                "The base URL must start with http:// or https:// and name a server, or be left "
                f"empty for {OPENAI_DEFAULT_BASE_URL}."
            )
    elif profile.kind is ProviderKind.AZURE:
        endpoint = profile.azure_endpoint.strip() or _env(environ, ENV_AZURE_ENDPOINT)
        if not endpoint:
            problems.append(
                "Enter the Azure endpoint, for example https://my-resource.openai.azure.com."
            )
        elif _url_problem(endpoint):
            problems.append(
                "The Azure endpoint must be a web address such as "
                "https://my-resource.openai.azure.com."
            )
        if not profile.azure_deployment.strip():
            problems.append("Enter the name of the Azure deployment.")
        if not (profile.api_version.strip() or _env(environ, ENV_API_VERSION)):
            problems.append("Enter the Azure API version, for example 2024-10-21.")
    proxy = profile.proxy.strip()
    if proxy and _url_problem(proxy):
        problems.append(
            "The proxy must be an http:// or https:// URL, for example http://proxy.example.com:8080 "
            "(SOCKS proxies are not supported)."
        )
    if not (math.isfinite(profile.timeout_s) and profile.timeout_s > 0):
        problems.append("The timeout must be a number of seconds greater than 0.")
    if not 0 <= profile.max_retries <= MAX_RETRIES_LIMIT:
        problems.append(f"Retries must be between 0 and {MAX_RETRIES_LIMIT}.")
    return problems


@dataclass(frozen=True, slots=True)
class Connection:
    """What a client is built from, after merging profile, stored key and environment.

    `repr()` never shows the key, only whether there is one and where it came from.

    Attributes:
        api_key: the key, or None (no key, or none needed).
        key_source: "keyring" (saved), "session" (kept for this session only), "environment",
            "none" (a key is required but missing) or "not needed" (a local server).
        base_url: the URL requests go to. For Azure, the deployment URL the SDK will use.
        organization: OpenAI organization id, or "".
        project: OpenAI project id, or "".
        azure_endpoint: Azure only: `https://<resource>.openai.azure.com`, or "".
        api_version: Azure only: the api-version, or "".
        sources: for "api_key", "base_url", "organization", "project" (and for Azure "azure_endpoint",
            "api_version"): "profile", "environment", "default" (the SDK's built-in base URL) or
            "none" (set nowhere).
        env_vars: for each value that came from the environment, the variable's name (e.g.
            {"api_key": "AZURE_OPENAI_API_KEY"}), so the UI can say which one.
    """

    api_key: str | None
    key_source: KeySource
    base_url: str
    organization: str = ""
    project: str = ""
    azure_endpoint: str = ""
    api_version: str = ""
    sources: dict[str, ValueSource] = field(default_factory=dict)
    env_vars: dict[str, str] = field(default_factory=dict)

    def from_environment(self, name: str) -> bool:
        """True if the value `name` ("api_key", "base_url"…) came from an environment variable."""
        return self.sources.get(name) == "environment"

    def __repr__(self) -> str:
        key = "set" if self.api_key else "none"
        return (
            f"Connection(api_key=<{key}>, key_source={self.key_source!r}, "
            f"base_url={self.base_url!r}, organization={self.organization!r}, "
            f"project={self.project!r}, azure_endpoint={self.azure_endpoint!r}, "
            f"api_version={self.api_version!r}, sources={self.sources!r}, env_vars={self.env_vars!r})"
        )

    __str__ = __repr__


def _pick(
    explicit: str, environ: Mapping[str, str], env_name: str | None
) -> tuple[str, ValueSource]:
    """The SDK's rule: an explicit value wins, the environment fills a blank."""
    if explicit.strip():
        return explicit.strip(), "profile"
    if env_name is not None:
        value = _env(environ, env_name)
        if value:
            return value, "environment"
    return "", "none"


def resolve_connection(
    profile: ProviderProfile,
    secrets: SecretStore,
    environ: Mapping[str, str] = os.environ,
) -> Connection:
    """Merge `profile`, its stored key and the environment into a `Connection`.

    A stored key and filled profile fields win; the environment fills what is blank (see the module
    docstring for which variables apply to which kind).

    Args:
        profile: the provider profile.
        secrets: where the profile's key is stored (under `profile.id`).
        environ: the environment; `os.environ` by default.

    Returns:
        The connection. It is not checked for completeness: `gateway.make_client()` does that.

    Raises:
        SecretStoreError: the keyring could not be read.
    """
    kind = profile.kind
    is_openai = kind is ProviderKind.OPENAI
    is_azure = kind is ProviderKind.AZURE
    key_env: str | None = None
    if is_azure:
        key_env = ENV_AZURE_API_KEY
    elif is_openai or profile.key_required:
        # A compatible server only borrows OPENAI_API_KEY when it needs a key and has none.
        key_env = ENV_OPENAI_API_KEY
    # The variable that may fill each value for this kind of profile (None: the profile alone).
    candidates: dict[str, str | None] = {
        "api_key": key_env,
        "organization": ENV_OPENAI_ORG_ID if is_openai else None,
        "project": ENV_OPENAI_PROJECT_ID if is_openai else None,
        "base_url": ENV_OPENAI_BASE_URL if is_openai else None,
        "azure_endpoint": ENV_AZURE_ENDPOINT if is_azure else None,
        "api_version": ENV_API_VERSION if is_azure else None,
    }
    sources: dict[str, ValueSource] = {}

    def pick(name: str, explicit: str) -> str:
        value, sources[name] = _pick(explicit, environ, candidates[name])
        return value

    stored = (secrets.get(profile.id) or "").strip()
    key_source: KeySource
    api_key = pick("api_key", stored) or None
    if api_key is None:
        key_source = "none" if profile.key_required else "not needed"
    elif sources["api_key"] == "environment":
        key_source = "environment"
    else:
        key_source = "keyring" if key_is_persistent(secrets, profile.id) else "session"

    organization = pick("organization", profile.organization)
    project = pick("project", profile.project)
    azure_endpoint = api_version = ""
    if is_azure:
        azure_endpoint = pick("azure_endpoint", profile.azure_endpoint)
        api_version = pick("api_version", profile.api_version)
        base_url = azure_base_url(azure_endpoint, profile.azure_deployment)
        sources["base_url"] = sources["azure_endpoint"]
        candidates["base_url"] = candidates["azure_endpoint"]
    else:
        base_url = pick("base_url", profile.base_url)
        if not base_url and is_openai:
            base_url, sources["base_url"] = OPENAI_DEFAULT_BASE_URL, "default"

    env_vars = {
        name: var
        for name, source in sources.items()
        if source == "environment" and (var := candidates[name]) is not None
    }
    return Connection(
        api_key=api_key,
        key_source=key_source,
        base_url=base_url,
        organization=organization,
        project=project,
        azure_endpoint=azure_endpoint,
        api_version=api_version,
        sources=sources,
        env_vars=env_vars,
    )


def azure_base_url(endpoint: str, deployment: str) -> str:
    """The base URL the SDK's Azure client derives: `<endpoint>/openai/deployments/<deployment>`.

    Returns "" without an endpoint, and `<endpoint>/openai` without a deployment.
    """
    if not endpoint:
        return ""
    root = f"{endpoint.rstrip('/')}/openai"
    deployment = deployment.strip()
    return f"{root}/deployments/{deployment}" if deployment else root
