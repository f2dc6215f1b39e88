"""A local fake OpenAI server for tests through the real ``openai`` SDK, split by endpoint family.

Tests use :class:`tests.fakes.openai_server.FakeOpenAI` (or the ``fake_openai`` fixture); the
modules behind it:

* :mod:`~tests.fakes.openai_server`: the front door: ``FakeOpenAI``, the list of families
  (``FAMILIES``) and the names tests import (``Scenario``, ``DEFAULT_REPLY``, ``JsonDict``, …).
* :mod:`~tests.fakes.server`: the core: the HTTP server and request handler (parsing, request log,
  faults, access checks, SSE/chunked/JSON answers, validation helpers) and the routing
  (:class:`~tests.fakes.server.Family`, :class:`~tests.fakes.server.Router`).
* :mod:`~tests.fakes.wire`: shared wire types: ``RecordedRequest``, ``UploadedFile``, error bodies,
  ``Reply`` (raise it from a route to answer with an error), ids, multipart parsing.
* :mod:`~tests.fakes.scenario`: ``Scenario`` (what the server answers) and its defaults.
* :mod:`~tests.fakes.openai_payloads`: deterministic content (tokens, vectors, images, audio) a
  test can compute too.
* :mod:`~tests.fakes.prompt_cache`: prompt caching for the chat families (its 400s, and
  ``cached_tokens`` for a repeated start under one ``prompt_cache_key``).
* One module per endpoint family: :mod:`~tests.fakes.models`, :mod:`~tests.fakes.chat`,
  :mod:`~tests.fakes.responses` (no routes yet), :mod:`~tests.fakes.images`,
  :mod:`~tests.fakes.audio`, :mod:`~tests.fakes.embeddings`, :mod:`~tests.fakes.moderation`,
  :mod:`~tests.fakes.files` (Files and Uploads), :mod:`~tests.fakes.batches` (Batch API),
  :mod:`~tests.fakes.vector_stores`, :mod:`~tests.fakes.fine_tuning`,
  :mod:`~tests.fakes.decisions`, :mod:`~tests.fakes.organization` (the organisation's costs and
  usage, admin key only), :mod:`~tests.fakes.conversations` (OpenAI conversations, which the
  Responses fake reads and grows).

How to add an endpoint family (e.g. fine-tuning):

1. Create ``tests/fakes/fine_tuning.py`` with ``FAMILY = Family("fine-tuning")`` and one function
   per route, registered with ``@FAMILY.route("POST", "/fine_tuning/jobs")``. Patterns are the
   path after ``/v1`` (Azure's ``/openai/…`` prefixes are stripped the same way);
   ``{job_id}`` matches one segment and lands in ``h.params["job_id"]``, ``{name:path}`` takes
   the rest of the path.
2. A route receives the :class:`~tests.fakes.server.Handler`: read ``h.record`` (the parsed
   request: ``json``, ``form``, ``files``, ``azure``…), ``h.fake.scenario``; validate with
   ``h.json_body()``, ``h.require()``, ``h.check_model()``, ``h.check_range()``; answer with
   ``h.send_json()``, ``h.send_bytes()`` or ``h.send_sse()``, or ``raise Reply(status, body)``.
   Faults, latency, API keys and the request log are already handled before the route runs.
3. State kept between requests (created jobs, uploaded files) goes in a class named by
   ``Family(..., state=Jobs)``; a route reaches it with ``h.fake.state(Jobs)``, and
   ``FakeOpenAI`` may expose it as a property for tests (as ``fake.batches``).
4. Knobs a test turns go in :class:`~tests.fakes.scenario.Scenario` as new fields whose default
   leaves every other answer unchanged.
5. Add ``fine_tuning.FAMILY`` to ``FAMILIES`` in :mod:`~tests.fakes.openai_server` (a test in
   ``tests/unit/test_fake_server.py`` fails if a family module is missing there, and the router
   refuses two families registering the same route), list the routes in that module's
   docstring, and test the family through the SDK in ``tests/unit/test_fake_server.py``.
"""
