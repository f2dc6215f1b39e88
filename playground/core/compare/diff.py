"""Compare: word diffs between two answers, how alike several samples are, per-column numbers.

No Qt here: the Compare tab's controller feeds these functions the streamed texts and shows what
they return.
"""

from __future__ import annotations

import difflib
import itertools
import re
import statistics
from dataclasses import dataclass
from decimal import Decimal

from playground.core.models import Usage
from playground.core.money.formatting import format_cost, format_duration_ms, format_tokens

MIN_COLUMNS = 2
MAX_COLUMNS = 4
MAX_SAMPLES = 10

# Words and the whitespace after them stay together, so a diff never splits "word " oddly and
# joining the pieces gives the text back exactly.
_PIECE = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of text in a word diff; `changed` when the other text does not have it there."""

    text: str
    changed: bool


def _pieces(text: str) -> list[str]:
    return _PIECE.findall(text)


def word_diff(a: str, b: str) -> tuple[list[Piece], list[Piece]]:
    """Marks the words of `a` that `b` lacks and the words of `b` that `a` lacks.

    Words are compared without their trailing whitespace, so a line break where the other text has
    a space is not a difference. Joining the pieces of each side gives its text back unchanged.
    """
    pa, pb = _pieces(a), _pieces(b)
    matcher = difflib.SequenceMatcher(
        None, [p.strip() for p in pa], [p.strip() for p in pb], autojunk=False
    )
    left: list[Piece] = []
    right: list[Piece] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        changed = tag != "equal"
        if i2 > i1:
            left.append(Piece("".join(pa[i1:i2]), changed))
        if j2 > j1:
            right.append(Piece("".join(pb[j1:j2]), changed))
    return left, right


def similarity(a: str, b: str) -> float:
    """How alike two answers are, 0–1: the share of words they have in common, in order
    (difflib's ratio over words). Two empty texts are identical (1.0)."""
    wa, wb = a.split(), b.split()
    if not wa and not wb:
        return 1.0
    return difflib.SequenceMatcher(None, wa, wb, autojunk=False).ratio()


def mean_similarity(texts: list[str]) -> float | None:
    """The mean `similarity` over every pair of `texts`; None with fewer than two."""
    pairs = list(itertools.combinations(texts, 2))
    if not pairs:
        return None
    return sum(similarity(a, b) for a, b in pairs) / len(pairs)


@dataclass(frozen=True, slots=True)
class SampleOutcome:
    """One finished (or failed) request of a column, as its numbers line needs it."""

    usage: Usage
    cost: Decimal | None
    latency_ms: float | None
    ttft_ms: float | None
    finish_reason: str
    error: str = ""


def column_summary(outcomes: list[SampleOutcome]) -> str:
    """The numbers line under a column: tokens, cost, latency, time to first token, finish reason.

    With several samples: summed tokens and cost, median latency and time to first token, and
    each finish reason with its count.
    """
    if not outcomes:
        return ""
    estimated = any(o.usage.estimated for o in outcomes)
    tokens_in = sum(o.usage.input_tokens for o in outcomes)
    tokens_out = sum(o.usage.output_tokens for o in outcomes)
    costs = [o.cost for o in outcomes]
    known = [c for c in costs if c is not None]
    cost = format_cost(sum(known, Decimal(0)) if known else None, estimated=estimated)
    if known and len(known) < len(costs):
        cost += " + ?"
    latencies = [o.latency_ms for o in outcomes if o.latency_ms is not None]
    ttfts = [o.ttft_ms for o in outcomes if o.ttft_ms is not None]
    median = "median " if len(outcomes) > 1 else ""
    parts = [
        f"{format_tokens(tokens_in, estimated=estimated)} in",
        f"{format_tokens(tokens_out, estimated=estimated)} out",
        cost,
    ]
    if latencies:
        parts.append(f"{median}{format_duration_ms(statistics.median(latencies))}")
    if ttfts:
        parts.append(f"first token {format_duration_ms(statistics.median(ttfts))}")
    reasons: dict[str, int] = {}
    for o in outcomes:
        reason = "error" if o.error else (o.finish_reason or "—")
        reasons[reason] = reasons.get(reason, 0) + 1
    if len(outcomes) == 1:
        parts.append(f"finish: {next(iter(reasons))}")
    else:
        parts.append("finish: " + ", ".join(f"{r} ×{n}" for r, n in reasons.items()))
    return " · ".join(parts)


def similarity_text(texts: list[str]) -> str:
    """ "Samples agree 82%" (or "" with fewer than two samples)."""
    value = mean_similarity(texts)
    if value is None:
        return ""
    return f"Samples agree {round(value * 100)}% (words in common, pairwise mean)"
