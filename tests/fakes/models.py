"""``GET /v1/models`` and ``GET /v1/models/{id}``: the scenario's models (``Scenario.models``)."""

from __future__ import annotations

from urllib.parse import unquote

from tests.fakes.server import Family, Handler
from tests.fakes.wire import Reply, error_body

FAMILY = Family("models")


@FAMILY.route("GET", "/models")
def _list(h: Handler) -> None:
    h.send_json(200, {"object": "list", "data": h.fake.scenario.model_entries()})


@FAMILY.route("GET", "/models/{model_id:path}")
def _retrieve(h: Handler) -> None:
    model_id = unquote(h.params["model_id"])
    for entry in h.fake.scenario.model_entries():
        if entry["id"] == model_id:
            h.send_json(200, entry)
            return
    raise Reply(
        404,
        error_body(f"The model '{model_id}' does not exist", param="model", code="model_not_found"),
    )
