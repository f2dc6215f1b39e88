"""make_client(): client settings per provider kind, and real round trips to a loopback server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import openai
import pytest

from playground.core.api.gateway import (
    PLACEHOLDER_KEY,
    IncompleteProfileError,
    MissingKeyError,
    make_client,
)
from playground.core.api.providers import Connection, new_profile, resolve_connection
from playground.core.api.secrets import MemorySecretStore
from playground.core.models import ProviderKind, ProviderProfile

KEY = "sk-proj-GATEWAYKEY0123456789abcdefDDDD"

# Environment variables the SDK reads on its own; the tests must not depend on the machine's.
SDK_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_ADMIN_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "OPENAI_CUSTOM_HEADERS",
    "OPENAI_API_VERSION",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_AD_TOKEN",
    "AZURE_OPENAI_ENDPOINT",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SDK_ENV:
        monkeypatch.delenv(name, raising=False)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class FakeServer:
    url: str
    requests: list[Seen] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _answer(self, body: dict[str, object]) -> None:
        self.server.seen.append(
            Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        )
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer(
            {
                "object": "list",
                "data": [{"id": "test-model", "object": "model", "created": 0, "owned_by": "me"}],
            }
        )

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        self._answer(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 0,
                "model": "test-model",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "hi"},
                        "finish_reason": "stop",
                    }
                ],
            }
        )

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output quiet


class _Server(ThreadingHTTPServer):
    seen: list[Seen]


@pytest.fixture
def server() -> Iterator[FakeServer]:
    """A loopback HTTP server that answers any GET with a model list and any POST with a chat reply."""
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.seen = []
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    host, port = httpd.server_address[:2]
    fake = FakeServer(url=f"http://{host!s}:{port}")
    fake.requests = httpd.seen
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def memory(profile_id: str, key: str) -> MemorySecretStore:
    store = MemorySecretStore()
    store.set(profile_id, key)
    return store


def openai_profile(**changes: object) -> ProviderProfile:
    return ProviderProfile(id="openai", name="OpenAI").replace(**changes)


def azure_profile(endpoint: str = "https://my-resource.openai.azure.com") -> ProviderProfile:
    return ProviderProfile(
        id="azure",
        name="Azure work",
        kind=ProviderKind.AZURE,
        azure_endpoint=endpoint,
        azure_deployment="my-deployment",
        api_version="2024-10-21",
    )


# --- client attributes -------------------------------------------------------------------------


async def test_openai_client_attributes() -> None:
    profile = openai_profile(organization="org-1", project="proj_1", timeout_s=12.5, max_retries=4)
    client = make_client(profile, resolve_connection(profile, memory("openai", KEY), {}))
    try:
        assert type(client) is openai.AsyncOpenAI
        assert str(client.base_url) == "https://api.openai.com/v1/"
        assert client.api_key == KEY
        assert client.organization == "org-1"
        assert client.project == "proj_1"
        assert client.timeout == 12.5
        assert client.max_retries == 4
    finally:
        await client.close()


async def test_openai_client_with_base_url_override() -> None:
    profile = openai_profile(base_url="https://eu.api.openai.com/v1")
    client = make_client(profile, resolve_connection(profile, memory("openai", KEY), {}))
    try:
        assert str(client.base_url) == "https://eu.api.openai.com/v1/"
        assert client.organization is None
        assert client.project is None
    finally:
        await client.close()


async def test_environment_values_reach_the_client() -> None:
    env = {
        "OPENAI_API_KEY": KEY,
        "OPENAI_BASE_URL": "https://gateway.example.com/v1",
        "OPENAI_ORG_ID": "org-env",
        "OPENAI_PROJECT_ID": "proj_env",
    }
    profile = openai_profile()
    client = make_client(profile, resolve_connection(profile, MemorySecretStore(), env))
    try:
        assert client.api_key == KEY
        assert str(client.base_url) == "https://gateway.example.com/v1/"
        assert (client.organization, client.project) == ("org-env", "proj_env")
    finally:
        await client.close()


async def test_connection_wins_over_what_the_sdk_reads_from_os_environ(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The SDK fills organization/project/admin key from os.environ when given None; the connection
    # (which decided that OPENAI_* does not apply to a local server) must be what the client uses.
    monkeypatch.setenv("OPENAI_ORG_ID", "org-leak")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_leak")
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-admin-leak")
    profile = new_profile("ollama")
    client = make_client(profile, resolve_connection(profile, MemorySecretStore(), {}))
    try:
        assert client.organization is None
        assert client.project is None
        assert client.admin_api_key is None
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("preset", "url"),
    [
        ("ollama", "http://localhost:11434/v1/"),
        ("lmstudio", "http://localhost:1234/v1/"),
        ("vllm", "http://localhost:8000/v1/"),
    ],
)
async def test_local_presets_get_a_placeholder_key(preset: str, url: str) -> None:
    profile = new_profile(preset)
    client = make_client(profile, resolve_connection(profile, MemorySecretStore(), {}))
    try:
        assert type(client) is openai.AsyncOpenAI
        assert client.api_key == PLACEHOLDER_KEY
        assert str(client.base_url) == url
        assert client.timeout == 60.0
        assert client.max_retries == 2
    finally:
        await client.close()


async def test_custom_server_with_stored_key() -> None:
    profile = new_profile("custom").replace(base_url="https://llm.example.com/v1", max_retries=0)
    client = make_client(profile, resolve_connection(profile, memory(profile.id, KEY), {}))
    try:
        assert client.api_key == KEY
        assert str(client.base_url) == "https://llm.example.com/v1/"
        assert client.max_retries == 0
    finally:
        await client.close()


async def test_azure_client_attributes() -> None:
    profile = azure_profile().replace(timeout_s=30.0, max_retries=1)
    client = make_client(profile, resolve_connection(profile, memory("azure", KEY), {}))
    try:
        assert isinstance(client, openai.AsyncAzureOpenAI)
        assert str(client.base_url) == (
            "https://my-resource.openai.azure.com/openai/deployments/my-deployment/"
        )
        assert client.api_key == KEY
        assert client.timeout == 30.0
        assert client.max_retries == 1
        assert client.organization is None
    finally:
        await client.close()


# --- errors ------------------------------------------------------------------------------------


def test_missing_key_error() -> None:
    profile = openai_profile(name="My OpenAI")
    connection = resolve_connection(profile, MemorySecretStore(), {})
    with pytest.raises(MissingKeyError) as caught:
        make_client(profile, connection)
    assert str(caught.value) == "No API key for My OpenAI. Open Settings → Providers to add one."
    assert caught.value.profile_id == "openai"


def test_missing_key_error_for_azure_and_compatible_servers_that_need_one() -> None:
    with pytest.raises(MissingKeyError):
        make_client(azure_profile(), resolve_connection(azure_profile(), MemorySecretStore(), {}))
    profile = new_profile("custom").replace(
        base_url="https://llm.example.com/v1", key_required=True
    )
    with pytest.raises(MissingKeyError):
        make_client(profile, resolve_connection(profile, MemorySecretStore(), {}))


def test_incomplete_profiles() -> None:
    custom = new_profile("custom", name="My server")
    with pytest.raises(IncompleteProfileError, match=r"^No base URL for My server\. Open Settings"):
        make_client(custom, resolve_connection(custom, MemorySecretStore(), {}))
    no_endpoint = azure_profile(endpoint="")
    with pytest.raises(IncompleteProfileError, match="No Azure endpoint for Azure work"):
        make_client(no_endpoint, resolve_connection(no_endpoint, memory("azure", KEY), {}))
    no_version = azure_profile().replace(api_version="")
    with pytest.raises(IncompleteProfileError, match="No Azure API version for Azure work"):
        make_client(no_version, resolve_connection(no_version, memory("azure", KEY), {}))


def test_errors_never_contain_the_key() -> None:
    profile = openai_profile()
    connection = Connection(api_key=None, key_source="none", base_url="")
    with pytest.raises(MissingKeyError) as caught:
        make_client(profile, connection)
    assert KEY not in repr(caught.value)


# --- round trips -------------------------------------------------------------------------------


async def test_openai_round_trip_sends_key_organization_and_project(server: FakeServer) -> None:
    profile = openai_profile(
        base_url=f"{server.url}/v1", organization="org-rt", project="proj_rt", max_retries=0
    )
    client = make_client(profile, resolve_connection(profile, memory("openai", KEY), {}))
    try:
        page = await client.models.list()
    finally:
        await client.close()
    assert [m.id for m in page.data] == ["test-model"]
    (request,) = server.requests
    assert (request.method, request.path) == ("GET", "/v1/models")
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["openai-organization"] == "org-rt"
    assert request.headers["openai-project"] == "proj_rt"


async def test_local_round_trip_sends_placeholder_and_no_openai_headers(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_ORG_ID", "org-should-not-leak")
    profile = new_profile("ollama").replace(base_url=f"{server.url}/v1", max_retries=0)
    client = make_client(profile, resolve_connection(profile, MemorySecretStore(), {}))
    try:
        await client.models.list()
    finally:
        await client.close()
    (request,) = server.requests
    assert request.headers["authorization"] == f"Bearer {PLACEHOLDER_KEY}"
    assert "openai-organization" not in request.headers
    assert "openai-project" not in request.headers


async def test_azure_round_trip(server: FakeServer) -> None:
    profile = azure_profile(endpoint=server.url).replace(max_retries=0)
    client = make_client(profile, resolve_connection(profile, memory("azure", KEY), {}))
    try:
        await client.models.list()
        reply = await client.chat.completions.create(
            model="ignored-by-azure", messages=[{"role": "user", "content": "hi"}]
        )
    finally:
        await client.close()
    assert reply.choices[0].message.content == "hi"
    models, chat = server.requests
    assert (models.method, models.path) == ("GET", "/openai/models?api-version=2024-10-21")
    assert (chat.method, chat.path) == (
        "POST",
        "/openai/deployments/my-deployment/chat/completions?api-version=2024-10-21",
    )
    for request in (models, chat):
        assert request.headers["api-key"] == KEY
        assert "authorization" not in request.headers


async def test_requests_go_through_the_proxy(server: FakeServer) -> None:
    # The loopback server plays the proxy: an HTTP proxy receives the absolute target URL.
    profile = openai_profile(
        base_url="http://upstream.invalid/v1", proxy=server.url, max_retries=0, timeout_s=10
    )
    client = make_client(profile, resolve_connection(profile, memory("openai", KEY), {}))
    try:
        await client.models.list()
    finally:
        await client.close()
    (request,) = server.requests
    assert request.path == "http://upstream.invalid/v1/models"
    assert request.headers["host"] == "upstream.invalid"
    assert request.headers["authorization"] == f"Bearer {KEY}"


async def test_azure_requests_go_through_the_proxy(server: FakeServer) -> None:
    profile = azure_profile(endpoint="http://azure.invalid").replace(
        proxy=server.url, max_retries=0
    )
    client = make_client(profile, resolve_connection(profile, memory("azure", KEY), {}))
    try:
        await client.models.list()
    finally:
        await client.close()
    (request,) = server.requests
    assert request.path == "http://azure.invalid/openai/models?api-version=2024-10-21"
