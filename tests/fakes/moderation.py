"""``POST /v1/moderations``: text, lists of text, and the omni models' multi-modal input, with
results from :func:`tests.fakes.openai_payloads.moderation_result`."""

from __future__ import annotations

from tests.fakes import openai_payloads as payloads
from tests.fakes.server import Family, Handler
from tests.fakes.wire import JsonDict, Reply, error_body, new_id

FAMILY = Family("moderation")


@FAMILY.route("POST", "/moderations")
def _create(h: Handler) -> None:
    body = h.json_body()
    model = h.check_model(body.get("model"), required=False) or "omni-moderation-latest"
    raw = h.require(body, "input")
    results: list[JsonDict] = []
    if isinstance(raw, str):
        results.append(payloads.moderation_result([raw]))
    elif isinstance(raw, list) and raw and all(isinstance(item, str) for item in raw):
        results.extend(payloads.moderation_result([item]) for item in raw)
    elif isinstance(raw, list) and raw and all(isinstance(item, dict) for item in raw):
        if not model.startswith("omni-moderation"):
            # Like the API: only the omni models take multi-modal (image) input.
            raise Reply(
                400,
                error_body(f"Model {model} does not support image inputs.", param="input"),
            )
        texts = [str(part.get("text", "")) for part in raw if part.get("type") == "text"]
        images = [
            str((part.get("image_url") or {}).get("url", ""))
            for part in raw
            if part.get("type") == "image_url"
        ]
        results.append(payloads.moderation_result(texts, images))
    else:
        raise Reply(400, error_body("'$.input' is invalid.", param="input"))
    h.send_json(200, {"id": new_id("modr-", 24), "model": model, "results": results})
