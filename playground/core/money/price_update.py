"""Settings → Prices → "Update prices now": newer prices through genai-prices' own updater.

Only on the user's click, never on a timer. The downloaded table replaces the bundled one for
this run of the app (genai-prices keeps it in memory); the bundled table stays the offline
fallback and is used again at the next start. A download that fails, or data that cannot be read
or holds no OpenAI prices, changes nothing and says why. No Qt here; runs in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from playground.core.api.errors import AppError
from playground.core.api.imports import import_heavy
from playground.core.money.pricing import Pricer, data_info

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
        snapshot = updater.fetch()
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
    models = sum(len(p.models) for p in providers)
    return PriceUpdate(before, data_text(), len(providers), models)
