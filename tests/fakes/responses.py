"""The Responses API (``/v1/responses``): no routes yet.

The family is registered so that the Responses work lands here, in its own file, without touching
the core: add ``@FAMILY.route("POST", "/responses")`` (and ``GET``/``DELETE /responses/{id}``,
``POST /responses/{id}/cancel``, ``GET /responses/{id}/input_items``) with the answers and SSE
events (``response.created``, ``response.output_text.delta``, ``response.completed``, …) it needs.
Until then a request to ``/v1/responses`` gets the API's 404 ``Invalid URL``.
"""

from __future__ import annotations

from tests.fakes.server import Family

FAMILY = Family("responses")
