"""A local fake OpenAI server that speaks the real wire format, for tests through the real SDK.

Usage::

    with FakeOpenAI() as fake:                       # or the ``fake_openai`` fixture
        fake.scenario.reply_text = "Hi there"
        fake.rate_limit(retry_after=2)               # the next request gets a 429
        client = AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
        ...
        await client.close()
        assert fake.last("/chat/completions").json["model"] == "gpt-4o-mini"

This module is the front door: it names the endpoint families :class:`FakeOpenAI` serves
(:data:`FAMILIES`) and re-exports the names tests use. The HTTP plumbing (a stdlib
``ThreadingHTTPServer`` on ``127.0.0.1``, HTTP/1.1 keep-alive, chunked streams) is in
:mod:`tests.fakes.server`; each family is its own module (see :mod:`tests.fakes` for how to add
one).

Routes (each also under Azure's ``/openai/deployments/{deployment}/…?api-version=…`` for the
deployment-based endpoints, and ``/openai/models`` for the model list):

* ``GET /v1/models``, ``GET /v1/models/{id}``
* ``POST /v1/chat/completions`` (JSON or SSE, ``n``, ``logprobs``, tool calls, ``stop``,
  ``max_tokens``/``max_completion_tokens`` truncation, ``stream_options.include_usage``)
* ``POST /v1/images/generations`` (JSON), ``/v1/images/edits``, ``/v1/images/variations``
  (multipart); ``response_format="url"`` links to ``GET /files/<name>`` on this server;
  ``stream=true`` sends ``image_generation.*`` / ``image_edit.*`` events
* ``POST /v1/audio/speech`` (a real WAV tone for ``wav``, raw 24 kHz PCM for ``pcm``; ``mp3``,
  ``opus``, ``aac`` and ``flac`` get the same WAV bytes under their own content type),
  ``/v1/audio/transcriptions``, ``/v1/audio/translations`` (``Scenario.transcript_text``)
* ``POST /v1/embeddings``, ``POST /v1/moderations``
* ``POST /v1/files``, ``GET /v1/files/{id}[/content]``, ``POST /v1/batches``,
  ``GET /v1/batches/{id}``, ``POST /v1/batches/{id}/cancel``
* ``POST /v1/decisions`` (beta, ``gpt-6-luna``; see :mod:`tests.fakes.decisions`)
* Files, uploads in parts, vector stores, batches and fine-tuning jobs: the routes are listed in
  :mod:`~tests.fakes.files`, :mod:`~tests.fakes.vector_stores`, :mod:`~tests.fakes.batches` and
  :mod:`~tests.fakes.fine_tuning`
* ``GET /v1/organization/costs``, ``GET /v1/organization/usage/completions`` (admin key only)
* ``GET /v1/realtime`` and ``/v1/realtime/translations`` upgraded to WebSockets (live speech,
  voice chat, live translation; :mod:`tests.fakes.realtime`)

Token counts and other generated content follow :mod:`tests.fakes.openai_payloads`; see
:func:`~tests.fakes.openai_payloads.count_prompt_tokens` and
:func:`~tests.fakes.openai_payloads.count_tokens` to predict ``usage``.
"""

from __future__ import annotations

from tests.fakes import (
    audio,
    batches,
    chat,
    conversations,
    decisions,
    embeddings,
    files,
    fine_tuning,
    images,
    models,
    moderation,
    organization,
    realtime,
    responses,
    vector_stores,
)
from tests.fakes.batches import FakeBatches
from tests.fakes.files import FakeFiles
from tests.fakes.fine_tuning import FakeFineTuning
from tests.fakes.scenario import DEFAULT_MODELS, DEFAULT_REPLY, DEFAULT_TRANSCRIPT, Scenario
from tests.fakes.server import FakeServer, Family
from tests.fakes.vector_stores import FakeVectorStores
from tests.fakes.wire import (
    SERVER_ERROR_BODIES,
    JsonDict,
    RecordedRequest,
    UploadedFile,
    error_body,
)

__all__ = [
    "DEFAULT_MODELS",
    "DEFAULT_REPLY",
    "DEFAULT_TRANSCRIPT",
    "FAMILIES",
    "SERVER_ERROR_BODIES",
    "FakeOpenAI",
    "JsonDict",
    "RecordedRequest",
    "Scenario",
    "UploadedFile",
    "error_body",
]

FAMILIES: tuple[Family, ...] = (
    models.FAMILY,
    chat.FAMILY,
    responses.FAMILY,
    images.FAMILY,
    audio.FAMILY,
    embeddings.FAMILY,
    moderation.FAMILY,
    files.FAMILY,
    batches.FAMILY,
    decisions.FAMILY,
    vector_stores.FAMILY,
    fine_tuning.FAMILY,
    organization.FAMILY,
    realtime.FAMILY,
    conversations.FAMILY,
)
"""Every endpoint family the fake serves, in routing order (a new family adds one line here)."""


class FakeOpenAI(FakeServer):
    """The fake OpenAI (and Azure OpenAI) server with every endpoint family.

    See :class:`tests.fakes.server.FakeServer` for the lifecycle, the request log and fault
    injection (``fail_next``, ``rate_limit``, ``quota_exceeded``, ``refuse_image_next``,
    ``invalid_json_next``).
    """

    families = FAMILIES

    @property
    def realtime_sessions(self) -> list[realtime.RealtimeSession]:
        """The Realtime WebSocket sessions served so far (oldest first)."""
        log = self.state(realtime.RealtimeLog)
        with log.lock:
            return list(log.sessions)

    @property
    def batches(self) -> FakeBatches:
        """Uploaded files and batches (set ``steps`` and ``fail_ids`` to shape the answers)."""
        return self.state(FakeBatches)

    @property
    def files(self) -> FakeFiles:
        """Stored files and uploads in parts (shared by batches, vector stores, fine-tuning)."""
        return self.state(FakeFiles)

    @property
    def vector_stores(self) -> FakeVectorStores:
        """Vector stores and their files' indexing states."""
        return self.state(FakeVectorStores)

    @property
    def fine_tuning(self) -> FakeFineTuning:
        """Fine-tuning jobs (set ``accepts_new_jobs = False`` for the provider's refusal)."""
        return self.state(FakeFineTuning)
