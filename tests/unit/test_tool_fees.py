"""Built-in tool calls billed per call: counted into the usage, priced from the price data where
it knows them, explained line by line, and kept with their steps."""

from __future__ import annotations

from decimal import Decimal

from playground.core.chat.builtin_tools import (
    ToolStep,
    step_from_dict,
    step_to_dict,
    unpriced_fees,
    with_fees,
    with_tool_calls,
)
from playground.core.models import PriceOverride, Usage
from playground.core.money.explain import explain
from playground.core.money.pricing import LOCAL_PROVIDER, Pricer


def _step(kind: str, status: str = "completed") -> ToolStep:
    return ToolStep(item_id=f"{kind}_1", kind=kind, status=status, summary="did it")


def test_completed_calls_billed_per_call_are_counted_into_the_usage() -> None:
    steps = (
        _step("web_search_call"),
        _step("web_search_call"),
        _step("web_search_call", "failed"),
        _step("file_search_call"),
        _step("code_interpreter_call"),
        _step("mcp_call"),
        _step("image_generation_call"),
    )
    usage = with_tool_calls(Usage(input_tokens=5), steps)
    assert usage == Usage(input_tokens=5, web_searches=2, file_searches=1, code_runs=1)
    assert usage.tool_calls == 4
    assert with_tool_calls(None, steps) is None
    assert with_tool_calls(Usage(input_tokens=5), (_step("mcp_call"),)) == Usage(input_tokens=5)


def test_a_web_search_is_priced_from_the_table_and_explained() -> None:
    pricer = Pricer()
    fee = pricer.call_fee("gpt-4.1", "web_search_call")
    assert fee is not None
    assert fee > 0
    tokens = Usage(input_tokens=1000, output_tokens=100)
    searched = Usage(input_tokens=1000, output_tokens=100, web_searches=2)
    base = pricer.cost("gpt-4.1", tokens)
    assert base is not None
    assert pricer.cost("gpt-4.1", searched) == base + 2 * fee
    explained = explain(pricer, "gpt-4.1", searched)
    assert explained.total == pricer.cost("gpt-4.1", searched)
    (line,) = [line for line in explained.lines if line.what == "Web searches"]
    assert (line.quantity, line.per_text, line.amount) == (2, "per thousand", 2 * fee)


def test_a_call_the_table_does_not_price_adds_nothing_and_says_so() -> None:
    pricer = Pricer()
    assert pricer.call_fee("gpt-4.1", "code_interpreter_call") is None  # not in the data
    assert pricer.call_fee("gpt-4.1", "image_generation_call") is None
    tokens = Usage(input_tokens=1000, output_tokens=100)
    ran = Usage(input_tokens=1000, output_tokens=100, code_runs=1)
    assert pricer.cost("gpt-4.1", ran) == pricer.cost("gpt-4.1", tokens)
    notes = explain(pricer, "gpt-4.1", ran).notes
    assert any("code interpreter runs: they are not included" in n for n in notes)


def test_own_prices_and_local_servers() -> None:
    own = Pricer({"my-model": PriceOverride(Decimal(1), Decimal(2))})
    assert own.call_fee("my-model", "web_search_call") is None  # an own price covers tokens only
    assert Pricer().call_fee("llama3", "web_search_call", LOCAL_PROVIDER) == 0
    assert Pricer().call_fee("not-a-model", "web_search_call") is None


def test_fees_are_set_on_the_steps_that_have_one_and_kept_with_them() -> None:
    steps = (
        _step("web_search_call"),
        _step("code_interpreter_call"),
        _step("web_search_call", "failed"),
        _step("mcp_call"),
    )
    assert unpriced_fees(steps) == 0  # not looked up yet: nothing to say
    fees = {"web_search_call": Decimal("0.01")}
    priced = with_fees(steps, fees.get)
    assert [(s.fee, s.fee_checked) for s in priced] == [
        (Decimal("0.01"), True),
        (None, True),
        (Decimal(0), True),  # a call that did not complete costs nothing
        (None, False),  # an MCP call has no fee of its own
    ]
    assert unpriced_fees(priced) == 1
    back = tuple(step_from_dict(step_to_dict(s)) for s in priced)
    assert back == priced
    assert step_from_dict(step_to_dict(steps[0])).fee_checked is False
    assert step_from_dict({**step_to_dict(steps[0]), "fee": "NaN"}).fee is None
