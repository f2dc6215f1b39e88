"""``GET /v1/organization/costs`` and ``GET /v1/organization/usage/completions``: the
organisation's bill, for an admin key only (``Scenario.admin_key``; 401 for any other key, 403
when ``Scenario.admin_forbidden``). Daily buckets from ``Scenario.org_costs`` (``{"YYYY-MM-DD":
dollars}``) and ``Scenario.org_usage`` (``{"YYYY-MM-DD": {model: (input, output, requests)}}``),
one page (``has_more`` false)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.fakes.server import Family, Handler
from tests.fakes.wire import JsonDict, Reply, error_body

FAMILY = Family("organization")


def _check_admin(h: Handler) -> None:
    scenario = h.fake.scenario
    authorization = h.record.headers.get("authorization", "")
    key = authorization[7:] if authorization.lower().startswith("bearer ") else ""
    if scenario.admin_key is None or key != scenario.admin_key:
        raise Reply(
            401,
            error_body(
                "Incorrect API key provided. You must be an organization owner and use an admin "
                "key to access this endpoint.",
                code="invalid_api_key",
            ),
        )
    if scenario.admin_forbidden:
        raise Reply(
            403,
            error_body(
                "You have insufficient permissions for this operation. Missing scopes: "
                "api.usage.read.",
                type="insufficient_permissions",
            ),
        )


def _days(h: Handler) -> list[tuple[str, int, int]]:
    """(ISO day, start, end) of each daily bucket the query asks for."""
    try:
        start = int(h.record.query["start_time"])
    except (KeyError, ValueError):
        raise Reply(400, error_body("start_time is required.", param="start_time")) from None
    end = int(h.record.query.get("end_time", start + 7 * 86400))
    first = datetime.fromtimestamp(start, UTC).date()
    buckets = []
    day = first
    while True:
        begin = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        if begin >= end:
            break
        buckets.append((day.isoformat(), begin, begin + 86400))
        day += timedelta(days=1)
    return buckets[:31]


def _page(buckets: list[JsonDict]) -> JsonDict:
    return {"object": "page", "data": buckets, "has_more": False, "next_page": None}


@FAMILY.route("GET", "/organization/costs")
def _costs(h: Handler) -> None:
    _check_admin(h)
    costs = h.fake.scenario.org_costs
    buckets = [
        {
            "object": "bucket",
            "start_time": begin,
            "end_time": end,
            "results": [
                {
                    "object": "organization.costs.result",
                    "amount": {"value": costs[day], "currency": "usd"},
                }
            ]
            if day in costs
            else [],
        }
        for day, begin, end in _days(h)
    ]
    h.send_json(200, _page(buckets))


@FAMILY.route("GET", "/organization/usage/completions")
def _completions(h: Handler) -> None:
    _check_admin(h)
    usage = h.fake.scenario.org_usage
    buckets = [
        {
            "object": "bucket",
            "start_time": begin,
            "end_time": end,
            "results": [
                {
                    "object": "organization.usage.completions.result",
                    "model": model,
                    "input_tokens": inp,
                    "output_tokens": out,
                    "num_model_requests": n,
                }
                for model, (inp, out, n) in usage.get(day, {}).items()
            ],
        }
        for day, begin, end in _days(h)
    ]
    h.send_json(200, _page(buckets))
