"""The numbers a user reads: token counts, costs, durations and prices, with units and "≈".

Money is `Decimal` in and text out; nothing here goes through float. Rounding is half-up (what people
expect on a bill: $1.125 shows as $1.13), applied once.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

#: Shown where a value is unknown (an unpriced model, a missing latency).
UNKNOWN = "—"
#: Prefix of a local estimate (tiktoken count, pre-send cost).
APPROX = "≈"

_TINY = Decimal(
    "0.000001"
)  # below this, a cost shows as "<$0.000001" (a playground request is often tiny)
_ONE = Decimal(1)
_CENT = Decimal("0.01")
_SIGNIFICANT = 2  # digits shown for costs below $1: $0.000073, $0.0042, $0.015, $0.12
_PRICE_MAX_PLACES = 10  # list prices are exact decimals; this only guards against absurd input


def format_tokens(n: int, *, estimated: bool = False) -> str:
    """`1,234 tok`, or `≈1,234 tok` for a local estimate."""
    return f"{APPROX if estimated else ''}{n:,} tok"


def format_cost(value: Decimal | None, *, estimated: bool = False) -> str:
    """A cost in dollars, short enough to read at a glance (`format_cost_full` has every digit).

    * None (unknown price): "—"
    * exactly zero: "$0"
    * below $0.000001: "<$0.000001"
    * below $1: 2 significant digits, at least 2 decimals ("$0.000073", "$0.0042", "$0.015",
      "$0.12", "$0.50"): from ten cents up that is plain cents
    * $1 and more: 2 decimals with thousands separators ("$1,234.57")

    Args:
        value: the cost, or None when it is unknown.
        estimated: prefix "≈" (a local estimate, not the server's usage). "<$0.000001" and "—" are
            shown as they are: they already say the value is not exact.
    """
    if value is None or not value.is_finite():
        return UNKNOWN
    if value.is_zero():
        return f"{APPROX if estimated else ''}$0"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if magnitude < _TINY:
        return f"{sign}<${_TINY}"
    prefix = f"{APPROX if estimated else ''}{sign}$"
    if magnitude < _ONE:
        rounded = _round_significant(magnitude, _SIGNIFICANT)
        if rounded < _ONE:  # 0.996 rounds to 1.0: show it as dollars below
            return prefix + _plain(rounded, min_places=2)
    return prefix + f"{magnitude.quantize(_CENT, rounding=ROUND_HALF_UP):,.2f}"


def format_cost_full(value: Decimal | None, *, estimated: bool = False) -> str:
    """A cost with every digit it has, for a tooltip beside `format_cost` ("$0.00007335",
    "≈$1,234.5678"); "unknown price" when it is unknown.

    Args:
        value: the cost, or None when it is unknown.
        estimated: prefix "≈" and say it is an estimate.
    """
    if value is None or not value.is_finite():
        return "unknown price"
    sign = "-" if value < 0 else ""
    text = f"{sign}${_plain(abs(value).normalize(), min_places=2, group=True)}"
    return f"{APPROX}{text} (estimate)" if estimated else text


def cost_tooltip(value: Decimal | None, *, estimated: bool = False) -> str:
    """The tooltip for a cost shown with `format_cost`: the full figure, and what "≈" means."""
    if value is None or not value.is_finite():
        return "The price of this model is unknown, so its cost is not counted."
    full = format_cost_full(value, estimated=False)
    if estimated:
        return f"About {full}: an estimate counted on this computer, not the server's figure."
    return f"Exactly {full}."


def format_total(cost: Decimal, unpriced: int) -> str:
    """A summed cost, with " + ?" when some of the summed requests have no known price."""
    return format_cost(cost) + (" + ?" if unpriced else "")


def unpriced_explanation(unpriced: int) -> str:
    """What the " + ?" after a total means, in plain words ("" when there is none)."""
    if not unpriced:
        return ""
    which = "1 request" if unpriced == 1 else f"{unpriced:,} requests"
    return (
        f"+ ? means {which} used a model whose price Playground does not know (a new, local or "
        "fine-tuned model), so the total leaves them out. Add the price in Settings → Prices "
        "to count them."
    )


def format_duration_ms(ms: float | None) -> str:
    """A latency or duration: "850 ms", "1.2 s", "2 min 5 s", "1 h 2 min"; "—" if unknown.

    Negative values (a clock step) show as 0 ms.
    """
    if ms is None or math.isnan(ms):
        return UNKNOWN
    if math.isinf(ms):
        return "∞"
    ms = max(ms, 0.0)
    whole_ms = _half_up(ms)
    if whole_ms < 1000:
        return f"{whole_ms} ms"
    tenths = _half_up(ms / 100)  # duration in tenths of a second
    if tenths < 600:
        return f"{tenths // 10}.{tenths % 10} s"
    seconds = _half_up(ms / 1000)
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    minutes = _half_up(ms / 60_000)
    return f"{minutes // 60} h {minutes % 60} min"


def format_price_per_mtok(value: Decimal | None) -> str:
    """A list price per million tokens: "$0.15 / 1M tok", "$2.50 / 1M tok"; "—" if unknown."""
    return UNKNOWN if value is None else f"{format_price(value)} / 1M tok"


def format_price_pair(input_per_mtok: Decimal | None, output_per_mtok: Decimal | None) -> str:
    """Input and output list prices: "$0.15 / $0.60 per 1M tokens" ("—" for an unknown side)."""
    if input_per_mtok is None and output_per_mtok is None:
        return UNKNOWN
    parts = [UNKNOWN if p is None else format_price(p) for p in (input_per_mtok, output_per_mtok)]
    return f"{parts[0]} / {parts[1]} per 1M tokens"


def format_price(value: Decimal) -> str:
    """A list price as published: all its digits, at least 2 decimals ("$0.075", "$15.00")."""
    if not value.is_finite():
        return UNKNOWN
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if _places(magnitude) > _PRICE_MAX_PLACES:
        magnitude = magnitude.quantize(Decimal(1).scaleb(-_PRICE_MAX_PLACES), ROUND_HALF_UP)
    return f"{sign}${_plain(magnitude, min_places=2, group=True)}"


# --- helpers ---------------------------------------------------------------------------------------


def _round_significant(value: Decimal, digits: int) -> Decimal:
    """`value` (> 0) rounded half-up to `digits` significant digits."""
    exponent = value.adjusted() - digits + 1
    return value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)


def _places(value: Decimal) -> int:
    """Digits after the decimal point of a finite Decimal."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _plain(value: Decimal, *, min_places: int, group: bool = False) -> str:
    """Fixed-point text of `value` (>= 0) without trailing zeros past `min_places` decimals."""
    text = f"{value:,f}" if group else f"{value:f}"
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0").ljust(min_places, "0")
    return f"{whole}.{frac}" if frac else whole


def _half_up(x: float) -> int:
    """Round a non-negative float half-up (Python's round() rounds half to even)."""
    return math.floor(x + 0.5)
