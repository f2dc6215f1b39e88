"""Update prices now: genai-prices' own updater from a local URL; failures keep the old prices."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest

from playground.core.api.errors import AppError
from playground.core.models import Usage
from playground.core.money.price_update import data_text, update_prices
from playground.core.money.pricing import Pricer
from tests.fakes.openai_server import FakeOpenAI

#: A tiny price table in genai-prices' download format: gpt-4o-mini at twice its list price.
TABLE = [
    {
        "id": "openai",
        "name": "OpenAI",
        "api_pattern": r"api\.openai\.com",
        "models": [
            {
                "id": "gpt-4o-mini",
                "match": {"equals": "gpt-4o-mini"},
                "prices": {"input_mtok": 0.3, "output_mtok": 1.2},
            }
        ],
    }
]
MILLION_IN = Usage(input_tokens=1_000_000)


@pytest.fixture(autouse=True)
def bundled_prices_after() -> Iterator[None]:
    """The downloaded table is process-wide: put the bundled one back after each test."""
    yield
    import genai_prices.data_snapshot

    genai_prices.data_snapshot.set_custom_snapshot(None)


def test_an_update_from_a_local_url_changes_prices_and_says_what_changed(
    fake_openai: FakeOpenAI,
) -> None:
    pricer = Pricer()
    assert pricer.cost("gpt-4o-mini", MILLION_IN) == Decimal("0.15")  # cached lookup first
    url = fake_openai.serve_file(json.dumps(TABLE).encode())
    update = update_prices(url, pricer)
    assert "bundled" in update.before
    assert update.after.startswith("downloaded ")
    assert (update.providers, update.models) == (1, 1)
    assert pricer.cost("gpt-4o-mini", MILLION_IN) == Decimal("0.3")
    assert data_text() == update.after


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"<html>Sign in to the Wi-Fi</html>", "could not be read"),
        (json.dumps({"not": "a list"}).encode(), "could not be read"),
        (json.dumps([{**TABLE[0], "id": "other"}]).encode(), "has no OpenAI prices"),
    ],
)
def test_malformed_data_keeps_the_old_prices(
    fake_openai: FakeOpenAI, body: bytes, says: str
) -> None:
    pricer = Pricer()
    before = data_text()
    with pytest.raises(AppError) as caught:
        update_prices(fake_openai.serve_file(body), pricer)
    assert says in caught.value.message
    assert "not changed" in caught.value.message
    assert data_text() == before
    assert pricer.cost("gpt-4o-mini", MILLION_IN) == Decimal("0.15")


def test_offline_keeps_the_old_prices(fake_openai: FakeOpenAI) -> None:
    url = fake_openai.serve_file(b"[]")
    fake_openai.fail_next(503)
    with pytest.raises(AppError) as caught:
        update_prices(url, Pricer())
    assert "could not be downloaded" in caught.value.message
    assert "Check your internet connection" in caught.value.message
