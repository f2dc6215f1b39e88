"""Prompt Lab's graded checks: a rubric in plain words, a label, or a meaning close to a reference
answer, judged after the answer comes (rule checks are `suite.Expectation.check`'s).

No Qt here. Three graders:

- **Rubric** (`ExpectKind.RUBRIC`): one criterion per line ("answers in under 50 words", "names the
  capital"). A chat model scores each from 0 to 1 with a short reason; the cell passes when every
  criterion reaches `GraderSettings.pass_score`. With the Decisions API (`POST /v1/decisions`,
  beta, `gpt-6-luna` only), every criterion is one yes/no question of a single request, and the
  probability of "yes" is the score.
- **Label** (`ExpectKind.LABEL`): "right | other | other": the grader picks the one label that fits
  the answer (a choice question with Decisions); the cell passes when it is the first.
- **Similarity** (`ExpectKind.SIMILAR`): the cosine of the answer's and the reference's embeddings,
  passing at `GraderSettings.similarity` or above. No model judges it.

A grader that fails (an API error, a timeout) leaves the cell "not graded" with the reason, never
passed. A chat grader whose reply cannot be read is asked once more, then the cell is marked. When
the Decisions API is not in the model list, refuses a question or answers with an error, the chat
grader grades instead and the cell says so. Every request a grader makes is returned as a
`GraderCall` for the caller to meter, apart from the variant's own cost.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from playground.core.api.errors import AppError, ErrorKind, from_exception
from playground.core.chat.service import ChatRequest
from playground.core.lab.suite import Check, ExpectKind, TestCase, split_labels
from playground.core.models import Endpoint, Message, Usage

DECISIONS_MODEL = "gpt-6-luna"
DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small"
DEFAULT_PASS_SCORE = 0.7
DEFAULT_SIMILARITY = 0.8
MAX_CRITERIA = 20  # lines of a rubric graded (the Decisions API takes up to 400 questions)
REASON_CHARS = 160

ClientSource = Callable[[], Any]
"""Returns the `AsyncOpenAI` client to use (`ApiSession.client`), per request."""


@dataclass(frozen=True, slots=True)
class GraderSettings:
    """How graded checks are graded; kept with every run.

    Attributes:
        model: the chat model that grades rubrics and labels ("" = none picked).
        use_decisions: ask the Decisions API first when the model list has `DECISIONS_MODEL`.
        embedding_model: the model that embeds answers for similarity checks.
        pass_score: a rubric criterion passes at this score (0–1) or above.
        similarity: a similarity check passes at this cosine (0–1) or above.
    """

    model: str = ""
    use_decisions: bool = False
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    pass_score: float = DEFAULT_PASS_SCORE
    similarity: float = DEFAULT_SIMILARITY

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "use_decisions": self.use_decisions,
            "embedding_model": self.embedding_model,
            "pass_score": self.pass_score,
            "similarity": self.similarity,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> GraderSettings:
        """Settings from `to_dict` (missing or bad values take their defaults)."""

        def number(name: str, default: float) -> float:
            try:
                value = float(raw.get(name, default))
            except (TypeError, ValueError):
                return default
            return min(max(value, 0.0), 1.0) if math.isfinite(value) else default

        return cls(
            model=str(raw.get("model") or ""),
            use_decisions=bool(raw.get("use_decisions")),
            embedding_model=str(raw.get("embedding_model") or DEFAULT_EMBEDDING_MODEL),
            pass_score=number("pass_score", DEFAULT_PASS_SCORE),
            similarity=number("similarity", DEFAULT_SIMILARITY),
        )

    def describe(self) -> str:
        """One line for the run's header: who grades, and the thresholds."""
        who = self.model or "no grader model"
        if self.use_decisions:
            who = f"Decisions API ({DECISIONS_MODEL}), else {who}"
        return (
            f"Graded by {who}; a rubric line passes at {self.pass_score:.2f}, "
            f"similarity at {self.similarity:.2f}"
        )


def grader_problems(cases: Sequence[TestCase], settings: GraderSettings) -> list[str]:
    """What must be set before graded checks can run (empty when ready or when none is used)."""
    kinds = {c.expect.kind for c in cases if c.expect.kind.graded}
    if kinds & {ExpectKind.RUBRIC, ExpectKind.LABEL} and not settings.model:
        return [
            "Some cases use a graded check: pick a grader model under Graders (it is also the "
            "fallback when the Decisions API cannot answer)."
        ]
    if ExpectKind.SIMILAR in kinds and not settings.embedding_model:
        return ["Some cases use a similarity check: pick an embedding model under Graders."]
    return []


def criteria(rubric: str) -> list[str]:
    """The rubric's criteria: one per non-empty line (leading "-", "*" or "1." dropped); a
    rubric on one line (as typed in a table cell) may separate them with ";"."""
    lines = rubric.splitlines()
    if len([x for x in lines if x.strip()]) <= 1:
        lines = rubric.split(";")
    out = []
    for line in lines:
        text = line.strip().lstrip("-*•").strip()
        head, dot, rest = text.partition(". ")
        if dot and head.isdigit():
            text = rest.strip()
        if text:
            out.append(text)
    return out[:MAX_CRITERIA]


GRADER_OUTPUT_ESTIMATE = 60 * MAX_CRITERIA // 4  # tokens a grader's JSON reply may use


def grader_requests(
    cases: Sequence[TestCase], settings: GraderSettings, answer_tokens: int = 0
) -> list[ChatRequest]:
    """The chat requests that grading `cases` may send (one per rubric or label case), for the
    cost guard: the answer is not known yet, so it is counted as `answer_tokens` words. The
    Decisions API and similarity checks are counted as the chat grader would be (their prices
    are lower: decisions are billed on input only, embeddings cost a fraction)."""
    if not settings.model:
        return []
    placeholder = " ".join(["word"] * answer_tokens)
    out = []
    for case in cases:
        kind = case.expect.kind
        if kind not in (ExpectKind.RUBRIC, ExpectKind.LABEL):
            continue
        raw = (
            _rubric_messages(case.expect.value, placeholder)
            if kind == ExpectKind.RUBRIC
            else _label_messages(split_labels(case.expect.value), placeholder)
        )
        out.append(
            ChatRequest(
                model=settings.model,
                messages=tuple(Message(m["role"], m["content"]) for m in raw),  # type: ignore[arg-type]
                max_output_tokens=GRADER_OUTPUT_ESTIMATE,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class GraderCall:
    """One request a grader made, for the ledger (`RequestRecord`)."""

    model: str
    endpoint: Endpoint
    usage: Usage
    latency_ms: float
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class Grade:
    """A graded check's outcome and the requests it took."""

    check: Check
    calls: tuple[GraderCall, ...] = ()


class DecisionsUnavailable(Exception):
    """The Decisions API cannot answer (not listed, refused, or an error): grade with chat."""


@dataclass
class Grader:
    """Grades answers for one run.

    Args:
        client_source: returns the `AsyncOpenAI` client (per request).
        settings: the run's grader settings.
        models: the ids the model list offers (None: unknown, the Decisions API is tried anyway).
    """

    client_source: ClientSource
    settings: GraderSettings
    models: Collection[str] | None = None
    decisions_off: str = field(default="", init=False)  # why the Decisions API is not used

    def __post_init__(self) -> None:
        if not self.settings.use_decisions:
            self.decisions_off = "off"
        elif self.models is not None and DECISIONS_MODEL not in self.models:
            self.decisions_off = f"{DECISIONS_MODEL} is not in your model list"

    async def grade(self, case: TestCase, answer: str) -> Grade:
        """Grades `answer` against the case's graded check. Never raises for an API error: the
        check comes back not graded (`Check.ungraded`) with the reason."""
        kind, value = case.expect.kind, case.expect.value
        calls: list[GraderCall] = []
        try:
            if kind == ExpectKind.SIMILAR:
                check = await self._similar(answer, value, calls)
            elif kind in (ExpectKind.RUBRIC, ExpectKind.LABEL):
                check = await self._judged(kind, value, answer, calls)
            else:
                check = case.expect.check(answer)
        except AppError as error:
            check = _not_graded(error.text)
        return Grade(check, tuple(calls))

    # --- similarity ---------------------------------------------------------------------------------

    async def _similar(self, answer: str, reference: str, calls: list[GraderCall]) -> Check:
        if not answer.strip():
            return Check(False, "The answer is empty.", 0.0)
        model = self.settings.embedding_model
        client = self.client_source()
        started = time.perf_counter()
        try:
            raw = await client.embeddings.with_raw_response.create(
                model=model, input=[answer, reference]
            )
            response = raw.parse()
        except Exception as exc:
            raise from_exception(exc, model=model, base_url=str(client.base_url)) from exc
        usage = Usage(input_tokens=int(getattr(response.usage, "prompt_tokens", 0) or 0))
        calls.append(GraderCall(model, Endpoint.EMBEDDINGS, usage, _ms(started), _request_id(raw)))
        data = sorted(response.data, key=lambda d: d.index)
        if len(data) != 2:
            return _not_graded("the embeddings reply did not hold two vectors")
        score = cosine(data[0].embedding, data[1].embedding)
        needed = self.settings.similarity
        passed = score >= needed
        how = "close enough to" if passed else "too far from"
        return Check(
            passed, f"Similarity {score:.2f} (needs {needed:.2f}): {how} the reference.", score
        )

    # --- rubric and label ---------------------------------------------------------------------------

    async def _judged(
        self, kind: ExpectKind, value: str, answer: str, calls: list[GraderCall]
    ) -> Check:
        why = ""
        if not self.decisions_off:
            try:
                return await self._decisions(kind, value, answer, calls)
            except DecisionsUnavailable as exc:
                why = str(exc)
        elif self.decisions_off != "off":
            why = self.decisions_off
        note = f"Decisions API not used ({why}); graded by {self.settings.model}. " if why else ""
        if not self.settings.model:
            return _not_graded(note + "no grader model is picked (Graders)")
        check = await self._chat(kind, value, answer, calls)
        return Check(check.passed, note + check.detail, check.score, check.ungraded)

    async def _decisions(
        self, kind: ExpectKind, value: str, answer: str, calls: list[GraderCall]
    ) -> Check:
        """Every rubric line is a yes/no question, all in one request; a label is one choice."""
        if kind == ExpectKind.RUBRIC:
            lines = criteria(value)
            questions: list[dict[str, Any]] = [
                {
                    "type": "predicate",
                    "name": f"c{i}",
                    "instructions": f"Does the text meet this requirement: {line}",
                }
                for i, line in enumerate(lines, 1)
            ]
        else:
            labels = split_labels(value)
            questions = [
                {
                    "type": "choice",
                    "name": "label",
                    "instructions": "Which label fits the text best?",
                    "choices": [{"value": label} for label in labels],
                }
            ]
        client = self.client_source()
        started = time.perf_counter()
        try:
            raw = await client.decisions.with_raw_response.create(
                model=DECISIONS_MODEL, input=answer, questions=questions
            )
            response = raw.parse()
        except Exception as exc:
            error = from_exception(exc, model=DECISIONS_MODEL, base_url=str(client.base_url))
            if error.kind in _FALLBACK_KINDS:
                # Not offered to this key or gone: every later cell goes to the chat grader.
                self.decisions_off = error.message
            raise DecisionsUnavailable(error.message) from exc
        usage = response.usage
        calls.append(
            GraderCall(
                DECISIONS_MODEL,
                Endpoint.DECISIONS,
                # Decisions are billed on input only: the answers' tokens cost nothing.
                Usage(
                    input_tokens=int(usage.input_tokens),
                    cached_tokens=int(usage.input_tokens_details.cached_tokens),
                ),
                _ms(started),
                _request_id(raw),
            )
        )
        answers = list(response.answers)
        if len(answers) != len(questions) or any(a.type == "refusal" for a in answers):
            raise DecisionsUnavailable("it declined a question")
        if kind == ExpectKind.LABEL:
            choice = answers[0]
            if choice.type != "choice":
                raise DecisionsUnavailable("it answered a different kind of question")
            picked = str(choice.choice)
            right = split_labels(value)[0]
            passed = picked.casefold() == right.casefold()
            return Check(
                passed,
                f"Labelled “{picked}” ({choice.confidence:.0%} sure)"
                + ("." if passed else f"; expected “{right}”."),
                choice.confidence,
            )
        scores = []
        for answer_ in answers:
            if answer_.type != "predicate":
                raise DecisionsUnavailable("it answered a different kind of question")
            scores.append(float(answer_.probability))
        return _rubric_check(lines, scores, [""] * len(lines), self.settings.pass_score)

    async def _chat(
        self, kind: ExpectKind, value: str, answer: str, calls: list[GraderCall]
    ) -> Check:
        """Asks the chat grader (JSON reply); an unreadable reply is asked for once more."""
        messages = (
            _rubric_messages(value, answer)
            if kind == ExpectKind.RUBRIC
            else _label_messages(split_labels(value), answer)
        )
        problem = ""
        for _attempt in range(2):
            text = await self._chat_call(messages, calls)
            if kind == ExpectKind.RUBRIC:
                lines = criteria(value)
                parsed = _parse_rubric_reply(text, len(lines))
                if isinstance(parsed, str):
                    problem = parsed
                    continue
                scores, reasons = parsed
                return _rubric_check(lines, scores, reasons, self.settings.pass_score)
            labels = split_labels(value)
            picked = _parse_label_reply(text, labels)
            if isinstance(picked, str):
                problem = picked
                continue
            label, reason = picked
            passed = label == labels[0]
            verdict = "" if passed else f" (expected “{labels[0]}”)"
            return Check(passed, _short(f"Labelled “{label}”{verdict}: {reason}"), None)
        return _not_graded(f"the grader's reply could not be read twice ({problem})")

    async def _chat_call(self, messages: list[dict[str, str]], calls: list[GraderCall]) -> str:
        model = self.settings.model
        client = self.client_source()
        started = time.perf_counter()
        try:
            raw = await client.chat.completions.with_raw_response.create(
                model=model, messages=messages, response_format={"type": "json_object"}
            )
            response = raw.parse()
        except Exception as exc:
            raise from_exception(exc, model=model, base_url=str(client.base_url)) from exc
        usage = response.usage
        calls.append(
            GraderCall(
                model,
                Endpoint.CHAT,
                Usage(
                    input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
                    output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
                ),
                _ms(started),
                _request_id(raw),
            )
        )
        choice = response.choices[0] if response.choices else None
        return (choice.message.content or "") if choice is not None else ""


_FALLBACK_KINDS = frozenset(
    {
        ErrorKind.NOT_FOUND,
        ErrorKind.MODEL_NOT_FOUND,
        ErrorKind.PERMISSION,
        ErrorKind.BAD_REQUEST,
    }
)

GRADER_SYSTEM = (
    "You grade an answer. Judge only the answer, not whether the question was good. "
    "Reply with JSON only."
)


def _rubric_messages(rubric: str, answer: str) -> list[dict[str, str]]:
    lines = criteria(rubric)
    numbered = "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))
    return [
        {"role": "system", "content": GRADER_SYSTEM},
        {
            "role": "user",
            "content": (
                f"Criteria:\n{numbered}\n\nAnswer:\n<<<\n{answer}\n>>>\n\n"
                "For each criterion, in order, give a score from 0 (not met) to 1 (fully met) "
                'and a reason of at most 20 words: {"results": [{"score": 0.9, "reason": "…"}]}'
            ),
        },
    ]


def _label_messages(labels: Sequence[str], answer: str) -> list[dict[str, str]]:
    choices = "\n".join(f"- {label}" for label in labels)
    return [
        {"role": "system", "content": GRADER_SYSTEM},
        {
            "role": "user",
            "content": (
                f"Labels:\n{choices}\n\nAnswer:\n<<<\n{answer}\n>>>\n\n"
                "Pick the one label that fits the answer best, written exactly as listed, and "
                'a reason of at most 20 words: {"label": "…", "reason": "…"}'
            ),
        },
    ]


def _parse_rubric_reply(text: str, count: int) -> tuple[list[float], list[str]] | str:
    """(scores, reasons) from a rubric grader's JSON, or what is wrong with it."""
    try:
        data = json.loads(_unfenced(text))
    except (ValueError, RecursionError):
        return "not JSON"
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list) or len(results) != count:
        return f"expected {count} result{'s' if count != 1 else ''}"
    scores, reasons = [], []
    for item in results:
        if not isinstance(item, dict):
            return "a result is not an object"
        score = item.get("score")
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
            return "a score is not a number from 0 to 1"
        scores.append(float(score))
        reasons.append(str(item.get("reason") or ""))
    return scores, reasons


def _parse_label_reply(text: str, labels: Sequence[str]) -> tuple[str, str] | str:
    try:
        data = json.loads(_unfenced(text))
    except (ValueError, RecursionError):
        return "not JSON"
    if not isinstance(data, dict) or not isinstance(data.get("label"), str):
        return "no label in it"
    picked = data["label"].strip().casefold()
    label = next((x for x in labels if x.casefold() == picked), None)
    if label is None:
        return f"“{data['label']}” is not one of the labels"
    return label, str(data.get("reason") or "")


def _rubric_check(
    lines: Sequence[str], scores: Sequence[float], reasons: Sequence[str], pass_score: float
) -> Check:
    """Passes when every criterion reaches `pass_score`; the detail names the weakest one."""
    if not scores:
        return _not_graded("the rubric has no criteria")
    weakest = min(range(len(scores)), key=lambda i: scores[i])
    score = scores[weakest]
    passed = score >= pass_score
    met = sum(1 for s in scores if s >= pass_score)
    reason = reasons[weakest] if weakest < len(reasons) else ""
    numbers = f"score {score:.2f}, needs {pass_score:.2f}; {met}/{len(scores)} criteria met"
    # The grader's reason comes first: a grid cell shows only the start of the detail.
    if passed:
        detail = (f"Met — {reason}" if reason else "Met") + f" ({numbers})"
    else:
        detail = f"Fails “{lines[weakest]}”" + (f" — {reason}" if reason else "") + f" ({numbers})"
    return Check(passed, _short(detail, 2 * REASON_CHARS), score)


def _not_graded(reason: str) -> Check:
    return Check(None, _short(f"Not graded: {reason.rstrip('.')}."), None, ungraded=True)


def _short(text: str, limit: int = REASON_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _unfenced(text: str) -> str:
    from playground.core.lab.suite import strip_code_fence

    return strip_code_fence(text.strip())


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _request_id(raw: Any) -> str | None:
    value = raw.headers.get("x-request-id")
    return str(value) if value else None


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """The cosine of two vectors (0 when either is all zeros)."""
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0
