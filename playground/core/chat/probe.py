"""Does a server speak the Responses API? (Test connection asks compatible servers.)

The probe costs nothing: it posts a Responses request without input. A server that has the
endpoint refuses it as incomplete (400 or 422); one without answers 404, 405 or 501, or a web
page. Anything else (a key problem, a dropped connection) says nothing either way.
"""

from __future__ import annotations

from typing import Any

PROBE_TIMEOUT_S = 10.0


async def serves_responses(client: Any, model: str) -> bool:
    """Whether the server behind `client` (an `AsyncOpenAI`) serves `POST /v1/responses`.

    Args:
        client: the SDK client of the profile being tested.
        model: a model the server listed (a server may check it before the input).
    """
    import openai  # deferred: the SDK is loaded off the GUI thread at start

    probe = client.with_options(max_retries=0, timeout=PROBE_TIMEOUT_S)
    try:
        await probe.responses.create(model=model)
    except (openai.BadRequestError, openai.UnprocessableEntityError):
        return True  # the endpoint is there: it wants the input we left out
    except (openai.APIStatusError, openai.APIConnectionError, openai.APIResponseValidationError):
        return False
    return True  # it even answered
