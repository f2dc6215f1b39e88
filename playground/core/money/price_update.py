"""Settings → Prices → "Update prices now": newer prices through genai-prices' own updater.

Only on the user's click, never on a timer. The downloaded table replaces the bundled one and is
kept in the data folder (`Pricer.kept`), so the next start uses it too; the bundled table stays
the offline fallback. A download that fails, or data that cannot be read or holds no OpenAI
prices, changes nothing and says why. No Qt here; runs in a worker thread.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from playground.core.api.errors import AppError
from playground.core.api.imports import import_heavy
from playground.core.money.pricing import Pricer, data_info, snapshot_from_json

log = logging.getLogger(__name__)

#: The downloaded prices' file in the data folder.
KEPT_FILE: Final = "prices.json"

#: Where prices come from unless `PLAYGROUND_PRICES_URL` says otherwise (genai-prices' own).
ENV_URL: Final = "PLAYGROUND_PRICES_URL"


def _failed(message: str) -> AppError:
    """The update failed: `message` says why and that the old prices stay in use."""
    return AppError.local("Prices not updated", message)


@dataclass(frozen=True, slots=True)
class PriceUpdate:
    """What an update changed: the data before and after, in words."""

    before: str
    after: str
    providers: int
    models: int


def default_url() -> str:
    url: str = import_heavy("genai_prices.update_prices").DEFAULT_UPDATE_URL
    return url


def data_text() -> str:
    """The price data in use now: downloaded (when) or bundled (which version)."""
    snapshot = import_heavy("genai_prices.data_snapshot").get_snapshot()
    if getattr(snapshot, "from_auto_update", False):
        return f"downloaded {snapshot.timestamp:%d %b %Y at %H:%M} ({len(snapshot.providers)} providers)"
    return data_info()


def update_prices(url: str, pricer: Pricer) -> PriceUpdate:
    """Downloads the price table at `url` with genai-prices' updater and uses it from now on.

    Raises:
        AppError: it could not be downloaded or read; the old prices stay in use.
    """
    before = data_text()
    updater = import_heavy("genai_prices.update_prices").UpdatePrices(url=url)
    host = urlsplit(url).netloc or url
    try:
        # As `updater.fetch()` does, keeping the bytes (see `snapshot_from_json`).
        reply = import_heavy("httpx2").get(updater.url, timeout=updater.request_timeout)
        reply.raise_for_status()
        raw: bytes = reply.content
        snapshot = snapshot_from_json(raw)
    except (ValueError, TypeError, KeyError) as exc:  # not JSON, or not genai-prices' format
        raise _failed(
            f"The price data from {host} could not be read ({type(exc).__name__}). Your prices "
            "were not changed."
        ) from exc
    except Exception as exc:  # httpx2's network and HTTP errors; nothing else is raised here
        raise _failed(
            f"The prices could not be downloaded from {host} ({exc}). Check your internet "
            "connection and try again; your prices were not changed."
        ) from exc
    providers = list(getattr(snapshot, "providers", None) or [])
    openai = next((p for p in providers if getattr(p, "id", "") == "openai"), None)
    if openai is None or not openai.models:
        raise _failed(
            f"The price data from {host} has no OpenAI prices, so it was not used. Your prices "
            "were not changed."
        )
    import_heavy("genai_prices.data_snapshot").set_custom_snapshot(snapshot)
    pricer.reload()
    if pricer.kept is not None:
        _keep(pricer.kept, raw)
    models = sum(len(p.models) for p in providers)
    return PriceUpdate(before, data_text(), len(providers), models)


def _keep(path: Path, raw: bytes) -> None:
    """Writes the downloaded table for the next start (atomically). A failed write is not an
    error of the update: the prices are in use now; the next start uses the bundled ones."""
    temp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp.write_bytes(raw)
        os.replace(temp, path)
    except OSError:
        log.warning("downloaded prices not kept at %s", path, exc_info=True)
