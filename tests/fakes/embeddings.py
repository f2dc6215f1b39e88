"""``POST /v1/embeddings``: deterministic vectors (float or base64), ``dimensions``, the API's
input limits, and ``Scenario.embedding_failures`` for a failed batch mid-run."""

from __future__ import annotations

import base64
import math
import struct
from typing import cast

from tests.fakes import openai_payloads as payloads
from tests.fakes.server import Family, Handler
from tests.fakes.wire import JsonDict, Reply, error_body

FAMILY = Family("embeddings")


@FAMILY.route("POST", "/embeddings")
def _create(h: Handler) -> None:
    number = len(h.fake.requests_to("/embeddings"))  # this request is recorded already
    failure = h.fake.scenario.embedding_failures.get(number)
    if failure is not None:
        raise Reply(failure, h.fake._default_error(failure))
    body = h.json_body()
    model = h.check_model(body.get("model"))
    assert model is not None
    raw = h.require(body, "input")
    inputs: list[str | list[int]]
    if isinstance(raw, str):
        inputs = [raw]
    elif isinstance(raw, list) and raw and all(isinstance(t, int) for t in raw):
        inputs = [cast(list[int], raw)]
    elif isinstance(raw, list) and raw and all(isinstance(t, str | list) for t in raw):
        inputs = cast(list[str | list[int]], raw)
    else:
        raise Reply(
            400,
            error_body(
                "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
            ),
        )
    if len(inputs) > 2048:
        raise Reply(
            400,
            error_body(
                f"Too many inputs. The max number of inputs is 2048. We received {len(inputs)}.",
                param="input",
            ),
        )
    # The API's limits: 8,192 tokens per input, 300,000 tokens per request.
    counts = [payloads.count_tokens(t) if isinstance(t, str) else len(t) for t in inputs]
    for index, n in enumerate(counts):
        if n > payloads.EMBEDDING_MAX_INPUT_TOKENS:
            raise Reply(
                400,
                error_body(
                    f"This model's maximum context length is "
                    f"{payloads.EMBEDDING_MAX_INPUT_TOKENS} tokens, however you requested "
                    f"{n} tokens in input[{index}]. Please reduce your prompt.",
                    param="input",
                ),
            )
    if sum(counts) > payloads.EMBEDDING_MAX_REQUEST_TOKENS:
        raise Reply(
            400,
            error_body(
                f"Requested {sum(counts)} tokens, max {payloads.EMBEDDING_MAX_REQUEST_TOKENS} "
                "tokens per request",
                param="input",
            ),
        )
    native = payloads.EMBEDDING_DIMENSIONS.get(model.rsplit("/", 1)[-1], 1536)
    dims = body.get("dimensions")
    if dims is not None:
        if "ada-002" in model:
            raise Reply(
                400,
                error_body(
                    "This model does not support specifying dimensions.", param="dimensions"
                ),
            )
        if not isinstance(dims, int) or not 1 <= dims <= native:
            raise Reply(
                400,
                error_body(
                    f"Invalid value for 'dimensions' = {dims}. Must be between 1 and {native}.",
                    param="dimensions",
                ),
            )
    size = dims or native
    base64_format = body.get("encoding_format") == "base64"
    data: list[JsonDict] = []
    prompt_tokens = 0
    for index, item in enumerate(inputs):
        text = item if isinstance(item, str) else " ".join(f"tok:{t}" for t in item)
        prompt_tokens += counts[index]
        # SHAKE-256 output is prefix-stable, so the first `size` values of the native vector
        # are computed directly (same vector after normalising, far less work).
        full = payloads.embedding_vector(text, size)
        norm = math.sqrt(sum(v * v for v in full)) or 1.0
        vector = [v / norm for v in full]
        packed = struct.pack(f"<{size}f", *vector)
        embedding: object = (
            base64.b64encode(packed).decode("ascii")
            if base64_format
            else list(struct.unpack(f"<{size}f", packed))
        )
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    h.fake._add_tokens(prompt_tokens)
    h.send_json(
        200,
        {
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
        },
    )
