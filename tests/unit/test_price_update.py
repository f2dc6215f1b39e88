"""Update prices now: genai-prices' own updater from a local URL; failures keep the old prices."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from playground.core.api.errors import AppError
from playground.core.models import Usage
from playground.core.money.price_update import KEPT_FILE, data_text, update_prices
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


def _new_process() -> None:
    """What a restart does to genai-prices: the downloaded table in memory is gone."""
    import genai_prices.data_snapshot

    genai_prices.data_snapshot.set_custom_snapshot(None)


def test_downloaded_prices_are_kept_for_the_next_start(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    kept = tmp_path / "data" / KEPT_FILE
    update_prices(fake_openai.serve_file(json.dumps(TABLE).encode()), Pricer(kept=kept))
    assert json.loads(kept.read_bytes()) == TABLE
    _new_process()
    assert "bundled" in data_text()
    again = Pricer(kept=kept)  # the next start: read at the first lookup
    assert again.cost("gpt-4o-mini", MILLION_IN) == Decimal("0.3")
    assert data_text().startswith("downloaded ")


def test_a_kept_file_that_cannot_be_read_leaves_the_bundled_prices(tmp_path: Path) -> None:
    kept = tmp_path / KEPT_FILE
    kept.write_bytes(b"{half a file")
    assert Pricer(kept=kept).cost("gpt-4o-mini", MILLION_IN) == Decimal("0.15")
    assert "bundled" in data_text()
    assert Pricer(kept=tmp_path / "missing.json").cost("gpt-4o-mini", MILLION_IN) == Decimal("0.15")


def test_a_failed_update_keeps_no_file(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    kept = tmp_path / KEPT_FILE
    with pytest.raises(AppError):
        update_prices(fake_openai.serve_file(b"<html>"), Pricer(kept=kept))
    assert not kept.exists()
