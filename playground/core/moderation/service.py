"""Moderation: what goes to `POST /v1/moderations`, what comes back, and what your thresholds say.

Everything here is plain Python (no Qt), shared by the Moderation tab and the Chat tab's check.

* **Items.** An item is one thing to judge: a text, an image, or an image with a caption. Many lines
  become many items (`split_lines`); empty lines are skipped and counted.
* **Requests.** Text-only items travel together, as an array of strings (one result each), in
  batches of at most `MAX_TEXTS_PER_REQUEST` texts and `MAX_CHARS_PER_REQUEST` characters. An item
  with an image goes alone, as an array of multi-modal parts (the API returns one result for the
  parts together). `plan_batches` makes the plan; `ModerationService.run` sends it batch by batch, so
  a failed batch keeps the results of the ones before it and the rest can be resumed.
* **Categories come from the answer.** The category names are read from each result (13 for
  omni-moderation today); `CATEGORY_INFO` only gives friendly titles and descriptions, and a category
  it does not know is still shown, under its API name.
* **Thresholds.** `evaluate` compares your per-category thresholds with the API's own flags.
* **Models.** `model_info` says which input types a moderation model takes (the API does not).
* **Table and CSV.** `table_rows` and `write_csv` turn results into the rows the tab shows and exports.

Moderation is free on OpenAI: requests are written to the ledger (no tokens are reported by the API,
so the ledger gets a local estimate) and cost $0.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from playground.core.api.errors import AppError, from_exception

DEFAULT_MODEL = "omni-moderation-latest"
MAX_TEXTS_PER_REQUEST = 32
"""Texts sent in one request. The API takes longer arrays; smaller batches fail (and resume) in
smaller pieces and keep the progress bar moving."""
MAX_CHARS_PER_REQUEST = 60_000
"""Characters of text in one request, so one request stays well below the model's input limit."""
LONG_TEXT_CHARS = 8_000
"""A text longer than this is scored as a whole: one long item can hide a short harmful passage, so
the tab suggests splitting it (it is still sent)."""
DEFAULT_THRESHOLD = 0.5

ImageInput = tuple[str, str]
"""(url, label): an https address or a data URL, and how to call it in the table."""


# --------------------------------------------------------------------------------------------
# Categories and models
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    title: str
    description: str


CATEGORY_INFO: dict[str, CategoryInfo] = {
    "harassment": CategoryInfo("Harassment", "Harassing language towards any target."),
    "harassment/threatening": CategoryInfo(
        "Harassment: threats", "Harassment that also threatens violence or serious harm."
    ),
    "hate": CategoryInfo(
        "Hate",
        "Hateful content based on race, gender, ethnicity, religion, nationality, sexual "
        "orientation, disability or caste.",
    ),
    "hate/threatening": CategoryInfo(
        "Hate: threats", "Hateful content that also threatens violence or serious harm."
    ),
    "illicit": CategoryInfo(
        "Illicit", "Advice or instructions for wrongdoing (e.g. how to shoplift)."
    ),
    "illicit/violent": CategoryInfo(
        "Illicit: violent", "Illicit advice that involves violence or weapons."
    ),
    "self-harm": CategoryInfo("Self-harm", "Promotes, encourages or depicts acts of self-harm."),
    "self-harm/intent": CategoryInfo(
        "Self-harm: intent", "The speaker says they are doing or intend to do self-harm."
    ),
    "self-harm/instructions": CategoryInfo(
        "Self-harm: instructions", "Encourages or explains how to commit self-harm."
    ),
    "sexual": CategoryInfo(
        "Sexual", "Meant to arouse sexual excitement, or promotes sexual services."
    ),
    "sexual/minors": CategoryInfo("Sexual: minors", "Sexual content involving anyone under 18."),
    "violence": CategoryInfo("Violence", "Depicts death, violence or physical injury."),
    "violence/graphic": CategoryInfo(
        "Violence: graphic", "Depicts death, violence or injury in graphic detail."
    ),
}
"""Friendly titles for the categories known today. Not the list of categories: that comes from the
API's answer, and unknown ones are shown too (`category_title`)."""


def category_title(name: str) -> str:
    """A readable title; an unknown category keeps its API name, capitalised."""
    info = CATEGORY_INFO.get(name)
    if info is not None:
        return info.title
    return name.replace("/", ": ").replace("_", " ").capitalize()


def category_description(name: str) -> str:
    info = CATEGORY_INFO.get(name)
    return info.description if info else "A category this version of Playground does not describe."


@dataclass(frozen=True, slots=True)
class ModerationModelInfo:
    """What a moderation model takes.

    Attributes:
        images: accepts image inputs (multi-modal parts) besides text.
        note: a sentence for the model picker's tooltip.
        retired: the API no longer serves it.
    """

    images: bool
    note: str
    retired: bool = False


_MODELS: tuple[tuple[str, ModerationModelInfo], ...] = (
    (
        "omni-moderation",
        ModerationModelInfo(
            True, "Text and images; 13 categories, including illicit and illicit/violent."
        ),
    ),
    (
        "text-moderation",
        ModerationModelInfo(
            False, "Text only; 11 categories. OpenAI retired these models in 2025.", retired=True
        ),
    ),
)


def model_info(model: str) -> ModerationModelInfo:
    """What `model` takes; unknown moderation models (other servers) are assumed to take text only."""
    name = model.strip().lower().rsplit("/", 1)[-1]
    for prefix, info in _MODELS:
        if name.startswith(prefix):
            return info
    return ModerationModelInfo(False, "Text only (this model is not known to take images).")


def pick_model(models: Sequence[str]) -> str:
    """omni-moderation-latest if offered, else another omni model, else the first one."""
    if DEFAULT_MODEL in models:
        return DEFAULT_MODEL
    omni = [m for m in models if m.startswith("omni-moderation")]
    return (omni or list(models) or [DEFAULT_MODEL])[0]


# --------------------------------------------------------------------------------------------
# Items and requests
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModerationItem:
    """One thing to judge.

    Attributes:
        text: the text (or the caption of an image); may be empty when there is an image.
        image_url: an https address or a data URL, or "".
        image_label: how to call the image ("photo.png", the address).
    """

    text: str = ""
    image_url: str = ""
    image_label: str = ""

    @property
    def has_image(self) -> bool:
        return bool(self.image_url)

    @property
    def label(self) -> str:
        """One line for tables and chart titles."""
        parts = []
        if self.image_url:
            parts.append(f"🖼 {self.image_label or 'image'}")
        if self.text:
            line = " ".join(self.text.split())
            parts.append(line if len(line) <= 80 else line[:79] + "…")
        return " · ".join(parts) or "(empty)"

    def to_input(self) -> str | list[dict[str, Any]]:
        """The item as the API's `input` (a string, or multi-modal parts for an image)."""
        if not self.image_url:
            return self.text
        parts: list[dict[str, Any]] = []
        if self.text:
            parts.append({"type": "text", "text": self.text})
        parts.append({"type": "image_url", "image_url": {"url": self.image_url}})
        return parts


@dataclass(frozen=True, slots=True)
class ItemsPlan:
    """What the inputs turned into: the items, and what was left out or worth a warning."""

    items: tuple[ModerationItem, ...]
    skipped_empty: int = 0
    long_items: tuple[int, ...] = ()
    images_dropped: int = 0
    lines_as_one: int = 0  # several lines checked together as one item

    def notes(self) -> list[str]:
        """Plain sentences for the tab (empty when there is nothing to say)."""
        notes = []
        if self.skipped_empty:
            n = self.skipped_empty
            notes.append(f"{n} empty line{'s' if n != 1 else ''} skipped.")
        if self.long_items:
            shown = ", ".join(str(i + 1) for i in self.long_items[:5])
            more = "…" if len(self.long_items) > 5 else ""
            notes.append(
                f"Item {shown}{more} is over {LONG_TEXT_CHARS:,} characters and is scored as a "
                "whole; split it into lines to see which part is flagged."
            )
        if self.lines_as_one:
            notes.append(
                f"The {self.lines_as_one} lines were checked together as one item; tick "
                "“Each line is an item” to check each line on its own."
            )
        if self.images_dropped:
            n = self.images_dropped
            notes.append(
                f"{n} image{'s' if n != 1 else ''} left out: this model takes text only "
                "(choose omni-moderation-latest for images)."
            )
        return notes


def split_lines(text: str) -> tuple[list[str], int]:
    """Every non-empty line, stripped, and how many empty lines were skipped."""
    kept, skipped = [], 0
    lines = text.splitlines()
    # Blank lines at the very end are what an editor leaves behind, not skipped items.
    while lines and not lines[-1].strip():
        lines.pop()
    for line in lines:
        if line.strip():
            kept.append(line.strip())
        else:
            skipped += 1
    return kept, skipped


def build_items(
    text: str,
    *,
    many: bool,
    images: Sequence[ImageInput] = (),
    model: str = DEFAULT_MODEL,
) -> ItemsPlan:
    """Turns the tab's inputs into items.

    Args:
        text: what was typed.
        many: each line is its own item; otherwise the whole text is one item.
        images: the attached images; each becomes an item of its own. With `many` off and a single
            image, the text becomes the image's caption (one item, judged together).
        model: the moderation model (images are left out, and counted, if it takes text only).
    """
    takes_images = model_info(model).images
    dropped = 0 if takes_images else len(images)
    images = list(images) if takes_images else []
    skipped = 0
    if many:
        texts, skipped = split_lines(text)
    else:
        texts = [text.strip()] if text.strip() else []
    lines = len(split_lines(text)[0]) if not many else 0
    items: list[ModerationItem] = []
    if not many and len(images) == 1 and texts:
        url, label = images[0]
        items.append(ModerationItem(texts[0], url, label))
    else:
        items.extend(ModerationItem(t) for t in texts)
        items.extend(ModerationItem("", url, label) for url, label in images)
    long_items = tuple(i for i, item in enumerate(items) if len(item.text) > LONG_TEXT_CHARS)
    return ItemsPlan(tuple(items), skipped, long_items, dropped, lines if lines > 1 else 0)


@dataclass(frozen=True, slots=True)
class Batch:
    """Items sent in one request: their indexes in the run, and the request's `input`."""

    indexes: tuple[int, ...]
    input: str | list[str] | list[dict[str, Any]]


def plan_batches(
    items: Sequence[ModerationItem],
    indexes: Iterable[int] | None = None,
    *,
    max_texts: int = MAX_TEXTS_PER_REQUEST,
    max_chars: int = MAX_CHARS_PER_REQUEST,
) -> list[Batch]:
    """Groups `items` (or the ones at `indexes`) into requests, in order.

    Texts are packed into arrays of at most `max_texts` strings and `max_chars` characters (a text
    longer than `max_chars` goes alone). Each image item is a request of its own.
    """
    wanted = list(range(len(items))) if indexes is None else list(indexes)
    batches: list[Batch] = []
    texts: list[int] = []
    chars = 0

    def flush() -> None:
        nonlocal texts, chars
        if texts:
            batches.append(Batch(tuple(texts), [items[i].text for i in texts]))
        texts, chars = [], 0

    for i in wanted:
        item = items[i]
        if item.has_image:
            flush()
            batches.append(Batch((i,), item.to_input()))
            continue
        if texts and (len(texts) >= max_texts or chars + len(item.text) > max_chars):
            flush()
        texts.append(i)
        chars += len(item.text)
    flush()
    return batches


# --------------------------------------------------------------------------------------------
# Results and thresholds
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModerationResult:
    """The API's verdict on one item.

    Attributes:
        flagged: the API's overall flag.
        categories: category → the API's flag for it, in the API's order.
        scores: category → score (0 to 1).
        applied: category → the input types the score applies to ("text", "image").
    """

    flagged: bool
    categories: dict[str, bool]
    scores: dict[str, float]
    applied: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """Every category of this result: the scored ones in the API's order, then any flag-only ones."""
        names = list(self.scores)
        names.extend(n for n in self.categories if n not in self.scores)
        return names

    @property
    def flagged_categories(self) -> list[str]:
        return [name for name, hit in self.categories.items() if hit]

    def top(self) -> tuple[str, float]:
        """The highest-scoring category and its score (("", 0.0) when there are no scores)."""
        if not self.scores:
            return "", 0.0
        name = max(self.scores, key=lambda n: self.scores[n])
        return name, self.scores[name]

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> ModerationResult:
        """Reads one `results[]` entry (a dict with the API's names, e.g. "self-harm/intent")."""
        scores = {str(k): float(v) for k, v in (raw.get("category_scores") or {}).items()
                  if v is not None}  # fmt: skip
        categories = {str(k): bool(v) for k, v in (raw.get("categories") or {}).items()
                      if v is not None}  # fmt: skip
        applied = {
            str(k): tuple(str(t) for t in v)
            for k, v in (raw.get("category_applied_input_types") or {}).items()
            if v is not None
        }
        return cls(bool(raw.get("flagged")), categories, scores, applied)

    def to_json(self) -> dict[str, Any]:
        return {
            "flagged": self.flagged,
            "categories": dict(self.categories),
            "category_scores": dict(self.scores),
            "category_applied_input_types": {k: list(v) for k, v in self.applied.items()},
        }


def merge(results: Sequence[ModerationResult]) -> ModerationResult:
    """One verdict for several results of the same message (its text and each of its images):
    flagged if any is, each category's highest score, and every input type that applied."""
    if len(results) == 1:
        return results[0]
    scores: dict[str, float] = {}
    categories: dict[str, bool] = {}
    applied: dict[str, tuple[str, ...]] = {}
    for result in results:
        for name, score in result.scores.items():
            scores[name] = max(score, scores.get(name, 0.0))
        for name, hit in result.categories.items():
            categories[name] = categories.get(name, False) or hit
        for name, kinds in result.applied.items():
            applied[name] = tuple(dict.fromkeys(applied.get(name, ()) + kinds))
    return ModerationResult(any(r.flagged for r in results), categories, scores, applied)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Your thresholds against the API's flags for one result.

    Attributes:
        blocked_by: categories whose score reaches your threshold.
        api_flagged: categories the API flagged.
    """

    blocked_by: tuple[str, ...]
    api_flagged: tuple[str, ...]

    @property
    def blocked(self) -> bool:
        return bool(self.blocked_by)

    @property
    def only_yours(self) -> tuple[str, ...]:
        """Blocked at your thresholds, not flagged by the API (you are stricter)."""
        return tuple(c for c in self.blocked_by if c not in self.api_flagged)

    @property
    def only_api(self) -> tuple[str, ...]:
        """Flagged by the API, not blocked at your thresholds (you are more lenient)."""
        return tuple(c for c in self.api_flagged if c not in self.blocked_by)


def threshold_for(thresholds: dict[str, float], name: str) -> float:
    return float(thresholds.get(name, DEFAULT_THRESHOLD))


def evaluate(result: ModerationResult, thresholds: dict[str, float]) -> Verdict:
    """Which categories your thresholds would block (score ≥ threshold), beside the API's flags.

    A category without a threshold of its own uses `DEFAULT_THRESHOLD`.
    """
    blocked = tuple(
        name for name, score in result.scores.items() if score >= threshold_for(thresholds, name)
    )
    return Verdict(blocked, tuple(result.flagged_categories))


def summary(result: ModerationResult, limit: int = 3) -> tuple[str, str]:
    """A short verdict and a tooltip for a badge (the Chat tab's check).

    Returns:
        (text, tooltip): "Flagged: Violence, Hate" or "Not flagged", and the top scores.
    """
    flagged = result.flagged_categories
    if result.flagged:
        # The badge names the highest-scoring flagged category; the tooltip has the rest.
        flagged = sorted(flagged, key=lambda n: result.scores.get(n, 0.0), reverse=True)
        more = f" +{len(flagged) - 1}" if len(flagged) > 1 else ""
        text = f"⚠ Flagged: {category_title(flagged[0])}{more}" if flagged else "⚠ Flagged"
    else:
        text = "✓ Not flagged"
    top = sorted(result.scores.items(), key=lambda kv: kv[1], reverse=True)[:limit]
    lines = [f"{category_title(n)}: {s:.3f}" for n, s in top]
    tooltip = "Moderation: highest scores\n" + "\n".join(lines)
    return text, tooltip


# --------------------------------------------------------------------------------------------
# Table and CSV
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TableRow:
    """One row of the results table."""

    index: int
    label: str
    flagged: bool
    top_category: str
    top_score: float
    blocked: bool
    flagged_categories: tuple[str, ...]


def is_blocked(result: ModerationResult, thresholds: dict[str, float]) -> bool:
    """Whether any score reaches its threshold (`evaluate(...).blocked`, made fast for tables)."""
    get = thresholds.get
    return any(score >= get(name, DEFAULT_THRESHOLD) for name, score in result.scores.items())


def table_row(
    index: int, item: ModerationItem, result: ModerationResult, thresholds: dict[str, float]
) -> TableRow:
    top, score = result.top()
    return TableRow(
        index=index,
        label=item.label,
        flagged=result.flagged,
        top_category=top,
        top_score=score,
        blocked=is_blocked(result, thresholds),
        flagged_categories=tuple(result.flagged_categories),
    )


def table_rows(
    items: Sequence[ModerationItem],
    results: dict[int, ModerationResult],
    thresholds: dict[str, float],
    previous: Sequence[TableRow] = (),
) -> list[TableRow]:
    """Rows for the items that have a result, in item order.

    Args:
        previous: rows made earlier for the same items; they are reused (only "blocked" is
            recomputed), so a moving threshold slider stays quick with thousands of rows.
    """
    known = {row.index: row for row in previous}
    rows = []
    for index in sorted(results):
        result = results[index]
        row = known.get(index)
        if row is None:
            item = items[index] if index < len(items) else ModerationItem(f"Item {index + 1}")
            rows.append(table_row(index, item, result, thresholds))
            continue
        blocked = is_blocked(result, thresholds)
        rows.append(row if row.blocked == blocked else replace(row, blocked=blocked))
    return rows


def all_categories(results: Iterable[ModerationResult]) -> list[str]:
    """Every category seen in `results`, in the order first seen."""
    seen: dict[str, None] = {}
    for result in results:
        for name in result.names:
            seen.setdefault(name, None)
    return list(seen)


def csv_text(
    items: Sequence[ModerationItem],
    results: dict[int, ModerationResult],
    thresholds: dict[str, float],
) -> str:
    """The results as CSV: item, input, flags, top category, then every category's score."""
    names = all_categories(results[i] for i in sorted(results))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "item",
            "text",
            "image",
            "flagged",
            "flagged_categories",
            "top_category",
            "top_score",
            "blocked_at_your_thresholds",
            *(f"score:{n}" for n in names),
        ]
    )
    for row in table_rows(items, results, thresholds):
        item = items[row.index]
        result = results[row.index]
        image = item.image_label or ("data URL" if item.image_url.startswith("data:") else "")
        if item.image_url and not item.image_url.startswith("data:"):
            image = item.image_url
        writer.writerow(
            [
                row.index + 1,
                item.text,
                image,
                "yes" if row.flagged else "no",
                ";".join(row.flagged_categories),
                row.top_category,
                f"{row.top_score:.6f}",
                "yes" if row.blocked else "no",
                *(f"{result.scores[n]:.6f}" if n in result.scores else "" for n in names),
            ]
        )
    return out.getvalue()


def write_csv(
    path: str | Path,
    items: Sequence[ModerationItem],
    results: dict[int, ModerationResult],
    thresholds: dict[str, float],
) -> None:
    """Writes `csv_text` as UTF-8 with a byte-order mark, so spreadsheet apps read accents right."""
    Path(path).write_text(csv_text(items, results, thresholds), encoding="utf-8-sig")


# --------------------------------------------------------------------------------------------
# The service
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchResult:
    """The answer to one request."""

    batch: Batch
    results: tuple[ModerationResult, ...]
    model: str
    request_id: str | None
    elapsed_ms: float


class ModerationService:
    """Sends moderation requests through the active provider's client.

    Args:
        client_source: returns the `AsyncOpenAI` client to use (called per request, so a new key or
            provider applies at once).
    """

    def __init__(self, client_source: Callable[[], Any]) -> None:
        self._client_source = client_source

    async def moderate(self, model: str, batch: Batch) -> BatchResult:
        """Sends one batch.

        Raises:
            AppError: the request failed (mapped to plain words), or the answer has the wrong
                number of results.
        """
        client = self._client_source()
        started = time.perf_counter()
        try:
            raw = await client.moderations.with_raw_response.create(model=model, input=batch.input)
            # Read the JSON as sent (not the SDK's model of it): the categories keep the API's
            # order, and ones this SDK version does not know are kept too.
            data = json.loads(raw.text)
            answers = data["results"]
            results = tuple(ModerationResult.from_api(r) for r in answers)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise AppError.local(
                "Unreadable answer",
                "The server's answer to the moderation request could not be read.",
                "Try again; if it keeps happening, the provider may not support moderation.",
            ) from exc
        except Exception as exc:
            raise from_exception(exc, model=model) from exc
        elapsed = (time.perf_counter() - started) * 1000
        if len(results) != len(batch.indexes):
            raise AppError.local(
                "Unexpected answer",
                f"The server sent {len(results)} results for {len(batch.indexes)} inputs.",
                "The provider may not support several inputs per request.",
            )
        request_id = raw.headers.get("x-request-id")
        answered = str(data.get("model") or model)
        return BatchResult(batch, results, answered, request_id, elapsed)

    async def run(
        self,
        model: str,
        batches: Sequence[Batch],
        on_batch: Callable[[BatchResult], None],
    ) -> int:
        """Sends `batches` one after the other; `on_batch` gets each answer as it arrives.

        A failure raises at once: the batches answered before it were already handed to
        `on_batch`, so the caller keeps them and can resume with the rest.

        Returns:
            The number of batches sent.
        """
        for batch in batches:
            on_batch(await self.moderate(model, batch))
        return len(batches)

    async def check_texts(self, model: str, texts: Sequence[str]) -> BatchResult:
        """One request for a few texts."""
        return await self.moderate(model, Batch(tuple(range(len(texts))), list(texts)))

    async def check_message(
        self, model: str, text: str, image_urls: Sequence[str] = ()
    ) -> tuple[ModerationResult, list[BatchResult]]:
        """The Chat tab's check of one turn: its text with its first image, then each further
        image (one request each; images only when `model` takes them), merged into one verdict.

        Returns:
            The merged result, and every request's answer (for the ledger).
        """
        urls = list(image_urls) if model_info(model).images else []
        items = [ModerationItem(text, urls[0], "image")] if urls else [ModerationItem(text)]
        items += [ModerationItem("", url, "image") for url in urls[1:]]
        answers = [await self.moderate(model, batch) for batch in plan_batches(items)]
        return merge([r for a in answers for r in a.results]), answers
