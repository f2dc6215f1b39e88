"""Plain data shared by every layer: messages, usage, ledger rows, provider profiles.

Everything here is an immutable dataclass with no behaviour beyond small derived values, so it can be
passed between the GUI thread, worker threads and the database without copies or locks.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

Role = Literal["system", "developer", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image attached to a user message (vision models).

    Attributes:
        url: an https URL or a `data:<mime>;base64,...` URL.
        detail: "auto", "low" or "high": how closely the model looks (and how many tokens it costs).
        width: pixel width if known (for the token estimate), else None.
        height: pixel height if known, else None.
    """

    url: str
    detail: str = "auto"
    width: int | None = None
    height: int | None = None

    def to_api(self) -> dict[str, Any]:
        return {"type": "image_url", "image_url": {"url": self.url, "detail": self.detail}}


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A function call the model asked for; `arguments` is the JSON text the model wrote."""

    id: str
    name: str
    arguments: str

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message.

    Attributes:
        role: system, developer, user, assistant or tool.
        content: the text.
        name: an optional participant name.
        images: images attached to a user message.
        tool_calls: calls an assistant message made.
        tool_call_id: for a tool message, the call it answers.
    """

    role: Role
    content: str
    name: str | None = None
    images: tuple[ImagePart, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None

    def to_api(self) -> dict[str, Any]:
        """The message in the wire shape of the Chat Completions API."""
        out: dict[str, Any] = {"role": self.role}
        if self.images:
            parts: list[dict[str, Any]] = []
            if self.content:
                parts.append({"type": "text", "text": self.content})
            parts.extend(image.to_api() for image in self.images)
            out["content"] = parts
        elif self.tool_calls and not self.content:
            out["content"] = None
        else:
            out["content"] = self.content
        if self.name:
            out["name"] = self.name
        if self.tool_calls:
            out["tool_calls"] = [call.to_api() for call in self.tool_calls]
        if self.tool_call_id:
            out["tool_call_id"] = self.tool_call_id
        return out


class Endpoint(StrEnum):
    """The API endpoint a request went to, as written to the ledger."""

    CHAT = "chat.completions"
    IMAGES = "images"
    SPEECH = "audio.speech"
    TRANSCRIPTION = "audio.transcriptions"
    TRANSLATION = "audio.translations"
    EMBEDDINGS = "embeddings"
    MODERATIONS = "moderations"
    MODELS = "models"
    DECISIONS = "decisions"  # beta, priced on input only (Prompt Lab's graders)
    REALTIME = "realtime"


@dataclass(frozen=True, slots=True)
class Usage:
    """What one request consumed, as reported by the server (or estimated, see `estimated`).

    Attributes:
        input_tokens: prompt tokens, including cached ones.
        output_tokens: completion tokens, including reasoning ones.
        cached_tokens: the part of `input_tokens` served from the prompt cache.
        reasoning_tokens: the part of `output_tokens` spent on hidden reasoning.
        images: images generated.
        audio_seconds: seconds of audio sent (transcription) or produced.
        characters: characters of text sent to text-to-speech.
        audio_tokens: the part of `input_tokens` that was audio (gpt-4o-transcribe prices them apart).
        estimated: True when the numbers are a local tiktoken estimate, not the server's report.
        image_input_tokens: the part of `input_tokens` that were image tokens (Images API).
        image_output_tokens: the part of `output_tokens` that were image tokens (Images API).
        output_audio_tokens: the part of `output_tokens` that was audio (a realtime model's
            answer); a usage that has it itemises both directions, zero counts included.
        cache_write_tokens: the part of `input_tokens` written to the prompt cache (providers
            that charge for cache writes; OpenAI does not).
        web_searches: web searches a Responses answer made (built-in tool, billed per call).
        file_searches: file searches a Responses answer made (built-in tool, billed per call).
        code_runs: code interpreter calls a Responses answer made (billed by container session;
            priced only where the price data gives a per-run price).
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    images: int = 0
    audio_seconds: float = 0.0
    characters: int = 0
    estimated: bool = False
    image_input_tokens: int = 0
    image_output_tokens: int = 0
    audio_tokens: int = 0
    output_audio_tokens: int = 0
    cache_write_tokens: int = 0
    web_searches: int = 0
    file_searches: int = 0
    code_runs: int = 0

    @property
    def tool_calls(self) -> int:
        """The built-in tool calls billed per call (web and file searches, code runs)."""
        return self.web_searches + self.file_searches + self.code_runs

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            images=self.images + other.images,
            audio_seconds=self.audio_seconds + other.audio_seconds,
            characters=self.characters + other.characters,
            estimated=self.estimated or other.estimated,
            image_input_tokens=self.image_input_tokens + other.image_input_tokens,
            image_output_tokens=self.image_output_tokens + other.image_output_tokens,
            audio_tokens=self.audio_tokens + other.audio_tokens,
            output_audio_tokens=self.output_audio_tokens + other.output_audio_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            web_searches=self.web_searches + other.web_searches,
            file_searches=self.file_searches + other.file_searches,
            code_runs=self.code_runs + other.code_runs,
        )


class RequestStatus(StrEnum):
    OK = "ok"
    ERROR = "error"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One row of the usage ledger: every request the app sends becomes one of these.

    `cost` is None when the price of the model is unknown (shown as "—", never guessed).
    """

    time: datetime
    provider: str
    model: str
    endpoint: Endpoint
    usage: Usage
    cost: Decimal | None
    latency_ms: float | None
    status: RequestStatus
    session_id: str
    conversation_id: str | None = None
    request_id: str | None = None
    tab: str = ""  # the tab that sent it (its key in ui/registry.py); "" in rows from before


@dataclass(frozen=True, slots=True)
class UsageTotals:
    """Summed ledger rows for a period (a conversation, the session or a day).

    Attributes:
        requests: number of rows.
        usage: summed usage.
        cost: summed cost of the rows whose price is known.
        unpriced: rows whose cost is unknown; a UI shows "+ ?" when this is not zero.
    """

    requests: int = 0
    usage: Usage = field(default_factory=Usage)
    cost: Decimal = Decimal(0)
    unpriced: int = 0


class ProviderKind(StrEnum):
    OPENAI = "openai"
    AZURE = "azure"
    COMPATIBLE = "compatible"


@dataclass(frozen=True, slots=True)
class ProviderProfile:
    """A server the app can talk to. Never holds the key: that lives in the `SecretStore` under `id`.

    Attributes:
        id: stable identifier, also the keyring entry name.
        name: what the user sees.
        kind: OpenAI, Azure OpenAI or any OpenAI-compatible server.
        base_url: for compatible servers (and an optional override for OpenAI).
        organization: optional OpenAI organization id.
        project: optional OpenAI project id.
        azure_endpoint: `https://<resource>.openai.azure.com` for Azure.
        azure_deployment: the Azure deployment name.
        api_version: the Azure api-version.
        timeout_s: per-request timeout in seconds.
        max_retries: how often the SDK retries 408/409/429/5xx/connection errors.
        proxy: an http:// or https:// proxy URL for every request, or empty.
        key_required: False for local servers (Ollama, LM Studio) that accept any key.
        price_provider: the genai-prices provider id used to price this profile's models.
        responses_api: a compatible server that also serves `/v1/responses` (found by Test
            connection): new conversations use the Responses API there.
    """

    id: str
    name: str
    kind: ProviderKind = ProviderKind.OPENAI
    base_url: str = ""
    organization: str = ""
    project: str = ""
    azure_endpoint: str = ""
    azure_deployment: str = ""
    api_version: str = ""
    timeout_s: float = 60.0
    max_retries: int = 2
    proxy: str = ""
    key_required: bool = True
    price_provider: str = "openai"
    responses_api: bool = False

    def replace(self, **changes: object) -> ProviderProfile:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class PriceOverride:
    """A user's own price for a model, in dollars per million tokens (e.g. 0 for a local model)."""

    input_per_mtok: Decimal
    output_per_mtok: Decimal
    cached_input_per_mtok: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A model as `GET /v1/models` lists it."""

    id: str
    owned_by: str = ""
    created: int = 0
    shutdown_date: str | None = None
