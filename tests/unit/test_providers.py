"""Presets, profile validation and resolve_connection()'s environment rules."""

from __future__ import annotations

import pytest

from playground.core.api.providers import (
    DEFAULT_PRESET,
    OPENAI_DEFAULT_BASE_URL,
    PRESETS,
    Connection,
    new_profile,
    preset_by_key,
    resolve_connection,
    slugify,
    validate_profile,
)
from playground.core.api.secrets import (
    KeyringSecretStore,
    MemorySecretStore,
    SessionFallbackSecretStore,
)
from playground.core.models import ProviderKind, ProviderProfile
from tests.unit.test_secrets import DictKeyring, LockableKeyring

STORED = "sk-proj-STOREDKEY0123456789abcdefAAAA"
ENV_KEY = "sk-proj-ENVIRONKEY987654321zyxwvuBBBB"
AZURE_ENV_KEY = "azure-ENVIRONKEY0123456789abcdefCCCC"

OPENAI_ENV = {
    "OPENAI_API_KEY": ENV_KEY,
    "OPENAI_BASE_URL": "https://proxy.example.com/v1",
    "OPENAI_ORG_ID": "org-env",
    "OPENAI_PROJECT_ID": "proj_env",
}
AZURE_ENV = {
    "AZURE_OPENAI_API_KEY": AZURE_ENV_KEY,
    "AZURE_OPENAI_ENDPOINT": "https://env-resource.openai.azure.com/",
    "OPENAI_API_VERSION": "2024-10-21",
}


def stored(profile_id: str = "openai", key: str = STORED) -> MemorySecretStore:
    store = MemorySecretStore()
    store.set(profile_id, key)
    return store


def openai_profile(**changes: object) -> ProviderProfile:
    return ProviderProfile(id="openai", name="OpenAI").replace(**changes)


def azure_profile(**changes: object) -> ProviderProfile:
    return ProviderProfile(
        id="azure",
        name="Azure work",
        kind=ProviderKind.AZURE,
        azure_endpoint="https://my-resource.openai.azure.com",
        azure_deployment="gpt-4o-mini",
        api_version="2024-10-21",
        price_provider="azure",
    ).replace(**changes)


# --- presets -----------------------------------------------------------------------------------


def test_presets() -> None:
    assert [p.id for p in PRESETS] == ["openai", "azure", "ollama", "lmstudio", "vllm", "custom"]
    assert DEFAULT_PRESET is PRESETS[0] is preset_by_key("openai")
    assert preset_by_key("openai").kind is ProviderKind.OPENAI
    azure = preset_by_key("azure")
    assert (azure.kind, azure.key_required, azure.price_provider) == (
        ProviderKind.AZURE,
        True,
        "azure",
    )
    local = {"ollama": 11434, "lmstudio": 1234, "vllm": 8000}
    for preset_id, port in local.items():
        preset = preset_by_key(preset_id)
        assert preset.kind is ProviderKind.COMPATIBLE
        assert preset.base_url == f"http://localhost:{port}/v1"
        assert preset.key_required is False
        assert preset.price_provider == "local"
    custom = preset_by_key("custom")
    assert (custom.base_url, custom.key_required, custom.price_provider) == ("", False, "")
    assert all(p.name and p.description for p in PRESETS)


def test_new_profile_from_preset() -> None:
    profile = new_profile("ollama")
    assert profile == ProviderProfile(
        id="ollama",
        name="Ollama",
        kind=ProviderKind.COMPATIBLE,
        base_url="http://localhost:11434/v1",
        key_required=False,
        price_provider="local",
    )
    assert new_profile().id == "openai"
    assert new_profile(preset_by_key("azure")).kind is ProviderKind.AZURE


def test_new_profile_ids_are_unique_slugs_of_the_name() -> None:
    assert new_profile("lmstudio", name="LM Studio (work)").id == "lm-studio-work"
    assert new_profile("ollama", existing_ids={"ollama"}).id == "ollama-2"
    assert new_profile("ollama", existing_ids=["ollama", "ollama-2"]).id == "ollama-3"
    assert new_profile("custom", name="  Größe  ").name == "Größe"
    assert new_profile("custom", name="Größe").id == "groe"
    assert new_profile("custom", name="日本").id == "custom"  # nothing ASCII left: the preset id
    assert new_profile("custom", name="   ").name == "Custom OpenAI-compatible"


def test_new_profile_unknown_preset() -> None:
    with pytest.raises(KeyError):
        new_profile("nope")


def test_slugify() -> None:
    assert slugify("My  Server!! v2") == "my-server-v2"
    assert len(slugify("x" * 100)) == 40


# --- validate_profile --------------------------------------------------------------------------


def test_presets_validate_once_filled_in() -> None:
    for preset_id in ("openai", "ollama", "lmstudio", "vllm"):
        assert validate_profile(new_profile(preset_id), {}) == []
    assert validate_profile(azure_profile(), {}) == []
    assert (
        validate_profile(new_profile("custom").replace(base_url="http://10.0.0.2:8080/v1"), {})
        == []
    )


@pytest.mark.parametrize(
    ("profile", "problem"),
    [
        (
            new_profile("custom"),
            "Enter the server's base URL, for example http://localhost:11434/v1.",
        ),
        (
            new_profile("custom").replace(base_url="localhost:11434/v1"),
            "The base URL must start with http:// or https:// and name a server, for example "
            "http://localhost:11434/v1.",
        ),
        (
            new_profile("custom").replace(base_url="ftp://example.com/v1"),
            "The base URL must start with http:// or https:// and name a server, for example "
            "http://localhost:11434/v1.",
        ),
        (
            new_profile("custom").replace(base_url="http://host:99999/v1"),
            "The base URL must start with http:// or https:// and name a server, for example "
            "http://localhost:11434/v1.",
        ),
        (
            openai_profile(base_url="https:///v1"),
            "The base URL must start with http:// or https:// and name a server, or be left empty "
            "for https://api.openai.com/v1.",
        ),
        (
            azure_profile(azure_endpoint=""),
            "Enter the Azure endpoint, for example https://my-resource.openai.azure.com.",
        ),
        (
            azure_profile(azure_endpoint="my-resource.openai.azure.com"),
            "The Azure endpoint must be a web address such as https://my-resource.openai.azure.com.",
        ),
        (azure_profile(azure_deployment=" "), "Enter the name of the Azure deployment."),
        (azure_profile(api_version=""), "Enter the Azure API version, for example 2024-10-21."),
        (
            openai_profile(proxy="socks5://127.0.0.1:1080"),
            "The proxy must be an http:// or https:// URL, for example http://proxy.example.com:8080 "
            "(SOCKS proxies are not supported).",
        ),
        (openai_profile(proxy="proxy:8080"), "The proxy must be an http:// or https:// URL"),
        (openai_profile(timeout_s=0), "The timeout must be a number of seconds greater than 0."),
        (openai_profile(timeout_s=-5.0), "The timeout must be a number of seconds greater than 0."),
        (
            openai_profile(timeout_s=float("nan")),
            "The timeout must be a number of seconds greater than 0.",
        ),
        (openai_profile(max_retries=-1), "Retries must be between 0 and 10."),
        (openai_profile(max_retries=11), "Retries must be between 0 and 10."),
        (openai_profile(name=""), "Give the provider a name."),
    ],
)
def test_validate_profile_problems(profile: ProviderProfile, problem: str) -> None:
    problems = validate_profile(profile, {})
    assert len(problems) == 1
    assert problems[0].startswith(problem)


def test_validate_profile_accepts_the_limits() -> None:
    assert validate_profile(openai_profile(max_retries=0, timeout_s=0.5), {}) == []
    assert (
        validate_profile(openai_profile(max_retries=10, proxy="https://p.example:3128"), {}) == []
    )


def test_validate_profile_reports_every_problem() -> None:
    broken = azure_profile(azure_endpoint="", azure_deployment="", api_version="", max_retries=99)
    assert len(validate_profile(broken, {})) == 4


def test_azure_environment_fills_endpoint_and_version_for_validation() -> None:
    blank = azure_profile(azure_endpoint="", api_version="")
    assert validate_profile(blank, AZURE_ENV) == []


# --- resolve_connection: OpenAI ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile_fields", "has_stored_key", "env", "expected", "sources"),
    [
        # Nothing configured anywhere.
        (
            {},
            False,
            {},
            (None, "none", OPENAI_DEFAULT_BASE_URL, "", ""),
            ("none", "default", "none", "none"),
        ),
        # Environment fills every blank.
        (
            {},
            False,
            OPENAI_ENV,
            (ENV_KEY, "environment", "https://proxy.example.com/v1", "org-env", "proj_env"),
            ("environment", "environment", "environment", "environment"),
        ),
        # The stored key and the profile's fields beat the environment.
        (
            {
                "base_url": "https://eu.api.openai.com/v1",
                "organization": "org-p",
                "project": "proj_p",
            },
            True,
            OPENAI_ENV,
            (STORED, "keyring", "https://eu.api.openai.com/v1", "org-p", "proj_p"),
            ("profile", "profile", "profile", "profile"),
        ),
        # Mixed: stored key, environment for the rest.
        (
            {"organization": "org-p"},
            True,
            OPENAI_ENV,
            (STORED, "keyring", "https://proxy.example.com/v1", "org-p", "proj_env"),
            ("profile", "environment", "profile", "environment"),
        ),
        # Blank environment values count as unset.
        (
            {},
            False,
            {"OPENAI_API_KEY": "  ", "OPENAI_BASE_URL": "", "OPENAI_ORG_ID": ""},
            (None, "none", OPENAI_DEFAULT_BASE_URL, "", ""),
            ("none", "default", "none", "none"),
        ),
    ],
)
def test_openai_precedence(
    profile_fields: dict[str, str],
    has_stored_key: bool,
    env: dict[str, str],
    expected: tuple[str | None, str, str, str, str],
    sources: tuple[str, str, str, str],
) -> None:
    profile = openai_profile(**profile_fields)
    secrets = stored() if has_stored_key else MemorySecretStore()
    connection = resolve_connection(profile, _persistent(secrets), env)
    got = (
        connection.api_key,
        connection.key_source,
        connection.base_url,
        connection.organization,
        connection.project,
    )
    assert got == expected
    assert (
        connection.sources["api_key"],
        connection.sources["base_url"],
        connection.sources["organization"],
        connection.sources["project"],
    ) == sources


def _persistent(memory: MemorySecretStore) -> SessionFallbackSecretStore:
    """The same keys in a keyring-backed store, so key_source reads "keyring"."""
    entries = {
        ("svc", pid): key for pid in ("openai", "azure", "ollama") if (key := memory.get(pid))
    }
    return SessionFallbackSecretStore(KeyringSecretStore("svc", DictKeyring(entries)))


def test_env_vars_name_the_variables_used() -> None:
    openai_conn = resolve_connection(
        openai_profile(organization="org-p"), MemorySecretStore(), OPENAI_ENV
    )
    assert openai_conn.env_vars == {
        "api_key": "OPENAI_API_KEY",
        "base_url": "OPENAI_BASE_URL",
        "project": "OPENAI_PROJECT_ID",
    }
    azure_conn = resolve_connection(
        azure_profile(azure_endpoint=""), MemorySecretStore(), AZURE_ENV | OPENAI_ENV
    )
    assert azure_conn.env_vars == {
        "api_key": "AZURE_OPENAI_API_KEY",
        "azure_endpoint": "AZURE_OPENAI_ENDPOINT",
        "base_url": "AZURE_OPENAI_ENDPOINT",
    }
    assert resolve_connection(openai_profile(), stored(), {}).env_vars == {}


def test_from_environment_flag() -> None:
    connection = resolve_connection(
        openai_profile(organization="org-p"), MemorySecretStore(), OPENAI_ENV
    )
    assert connection.from_environment("api_key")
    assert connection.from_environment("base_url")
    assert not connection.from_environment("organization")


def test_key_source_session_for_memory_store() -> None:
    connection = resolve_connection(openai_profile(), stored(), {})
    assert (connection.api_key, connection.key_source) == (STORED, "session")


def test_key_source_session_for_a_key_the_keyring_refused() -> None:
    backend = LockableKeyring({("svc", "azure"): "sk-azure-saved-0123456789"})
    secrets = SessionFallbackSecretStore(KeyringSecretStore("svc", backend))
    backend.locked = True
    secrets.set("openai", STORED)
    backend.locked = False
    assert resolve_connection(openai_profile(), secrets, {}).key_source == "session"
    assert resolve_connection(azure_profile(), secrets, {}).key_source == "keyring"


def test_openai_profile_without_key_requirement() -> None:
    connection = resolve_connection(openai_profile(key_required=False), MemorySecretStore(), {})
    assert (connection.api_key, connection.key_source) == (None, "not needed")


# --- resolve_connection: Azure -----------------------------------------------------------------


def test_azure_profile_values() -> None:
    connection = resolve_connection(azure_profile(), stored("azure"), AZURE_ENV | OPENAI_ENV)
    assert connection.api_key == STORED
    assert connection.azure_endpoint == "https://my-resource.openai.azure.com"
    assert connection.api_version == "2024-10-21"
    assert (
        connection.base_url == "https://my-resource.openai.azure.com/openai/deployments/gpt-4o-mini"
    )
    # OPENAI_ORG_ID / OPENAI_PROJECT_ID mean nothing to Azure.
    assert (connection.organization, connection.project) == ("", "")
    assert connection.sources["azure_endpoint"] == "profile"


def test_azure_uses_the_sdk_azure_environment_names() -> None:
    profile = azure_profile(azure_endpoint="", api_version="")
    connection = resolve_connection(profile, MemorySecretStore(), AZURE_ENV | OPENAI_ENV)
    assert connection.api_key == AZURE_ENV_KEY  # not OPENAI_API_KEY
    assert connection.key_source == "environment"
    assert connection.azure_endpoint == "https://env-resource.openai.azure.com/"
    assert connection.api_version == "2024-10-21"
    assert (
        connection.base_url
        == "https://env-resource.openai.azure.com/openai/deployments/gpt-4o-mini"
    )
    for name in ("api_key", "azure_endpoint", "api_version", "base_url"):
        assert connection.sources[name] == "environment"


def test_azure_ignores_openai_api_key() -> None:
    connection = resolve_connection(azure_profile(), MemorySecretStore(), OPENAI_ENV)
    assert (connection.api_key, connection.key_source) == (None, "none")


# --- resolve_connection: OpenAI-compatible servers ---------------------------------------------


def test_local_server_needs_no_key_and_ignores_the_environment() -> None:
    connection = resolve_connection(new_profile("ollama"), MemorySecretStore(), OPENAI_ENV)
    assert connection.api_key is None
    assert connection.key_source == "not needed"
    assert connection.base_url == "http://localhost:11434/v1"
    assert (connection.organization, connection.project) == ("", "")
    assert connection.sources == {
        "api_key": "none",
        "base_url": "profile",
        "organization": "none",
        "project": "none",
    }


def test_local_server_uses_a_stored_key_when_there_is_one() -> None:
    connection = resolve_connection(new_profile("ollama"), stored("ollama"), OPENAI_ENV)
    assert connection.api_key == STORED


def test_compatible_server_requiring_a_key_borrows_openai_api_key() -> None:
    profile = new_profile("custom").replace(
        base_url="https://llm.example.com/v1", key_required=True
    )
    connection = resolve_connection(profile, MemorySecretStore(), OPENAI_ENV)
    assert (connection.api_key, connection.key_source) == (ENV_KEY, "environment")
    assert connection.base_url == "https://llm.example.com/v1"  # OPENAI_BASE_URL does not apply
    assert connection.organization == ""  # nor OPENAI_ORG_ID

    missing = resolve_connection(profile, MemorySecretStore(), {})
    assert (missing.api_key, missing.key_source) == (None, "none")


def test_compatible_server_without_base_url() -> None:
    connection = resolve_connection(new_profile("custom"), MemorySecretStore(), OPENAI_ENV)
    assert connection.base_url == ""
    assert connection.sources["base_url"] == "none"


# --- Connection repr ---------------------------------------------------------------------------


def test_connection_repr_hides_the_key() -> None:
    connection = resolve_connection(openai_profile(), stored(), {})
    for text in (repr(connection), str(connection), f"{connection}", f"{connection!r}"):
        assert STORED not in text
        assert STORED[-8:] not in text
        assert "api_key=<set>" in text
    assert "api_key=<none>" in repr(Connection(api_key=None, key_source="none", base_url=""))
