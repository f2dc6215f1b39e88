"""``POST /v1/decisions`` (beta, ``gpt-6-luna`` only) and deterministic grader replies for chat.

The Decisions API answers 1–400 typed questions about an input in one request. The fake answers
by a rule a test can compute (:func:`meets`):

* ``predicate``: probability 0.92 when every word quoted in the instructions (“…”, "…" or '…')
  appears in the input (letter case ignored), else 0.08;
* ``choice``: the first choice whose value appears in the input (else the last), 0.85 sure;
* ``score``: the middle level;
* a question whose instructions hold ``[refuse]`` is refused (``type: "refusal"``).

``usage``: input tokens = tokens of the input and every question's instructions; output tokens =
one per question. A model other than ``gpt-6-luna`` gets 400; a model not in
``Scenario.models`` gets 404, as the API does for a key without the beta.

Chat graders get their replies through the chat family's ``Scenario.reply_text`` hook:
``fake.scenario.reply_text = GraderReplies("the variant's answer")`` answers a grader prompt (one
whose user message holds ``Answer:`` and the answer between ``<<<`` and ``>>>``) by the same rule,
as JSON, and every other chat request with ``answer``. ``garble`` makes that many grader replies
unreadable first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tests.fakes import openai_payloads as payloads
from tests.fakes.server import Family, Handler
from tests.fakes.wire import JsonDict, Reply, error_body

FAMILY = Family("decisions")

DECISIONS_MODEL = "gpt-6-luna"
YES, NO = 0.92, 0.08
_QUOTED = re.compile(r"“([^”]+)”|\"([^\"]+)\"|'([^']+)'")


def quoted_words(instructions: str) -> list[str]:
    """The words quoted in a question or rubric line."""
    return [next(g for g in m.groups() if g) for m in _QUOTED.finditer(instructions)]


def meets(instructions: str, text: str) -> bool:
    """The fake's rule: every quoted word of `instructions` appears in `text` (case ignored)."""
    folded = text.casefold()
    return all(word.casefold() in folded for word in quoted_words(instructions))


def pick_label(labels: Sequence[str], text: str) -> str:
    """The fake's choice: the first label found in `text`, else the last label."""
    folded = text.casefold()
    return next((label for label in labels if label.casefold() in folded), labels[-1])


def _instructions(question: JsonDict) -> str:
    raw = question.get("instructions")
    if isinstance(raw, list):
        return " ".join(str(p.get("text", "")) for p in raw if isinstance(p, dict))
    return str(raw or "")


def _input_text(raw: object) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, list):
        parts = []
        for item in raw:
            content = item.get("content") if isinstance(item, dict) else None
            if isinstance(content, str):
                parts.append(content)
            elif isinstance(content, list):
                parts += [str(p.get("text", "")) for p in content if isinstance(p, dict)]
        return "\n".join(parts)
    raise Reply(400, error_body("'$.input' is invalid.", param="input"))


@FAMILY.route("POST", "/decisions")
def _create(h: Handler) -> None:
    body = h.json_body()
    model = h.check_model(body.get("model"))
    if model != DECISIONS_MODEL:
        raise Reply(
            400,
            error_body(
                f"The model '{model}' is not supported for decisions. Use '{DECISIONS_MODEL}'.",
                param="model",
                code="unsupported_model",
            ),
        )
    text = _input_text(h.require(body, "input"))
    questions = h.require(body, "questions")
    if not isinstance(questions, list) or not 1 <= len(questions) <= 400:
        raise Reply(400, error_body("'questions' must hold 1 to 400 questions.", param="questions"))
    answers: list[JsonDict] = []
    tokens = payloads.count_tokens(text)
    for index, question in enumerate(questions):
        if not isinstance(question, dict):
            raise Reply(400, error_body(f"'questions[{index}]' is invalid.", param="questions"))
        instructions = _instructions(question)
        tokens += payloads.count_tokens(instructions)
        name = question.get("name")
        kind = question.get("type")
        if "[refuse]" in instructions:
            answers.append({"type": "refusal", "name": name})
        elif kind == "predicate":
            probability = YES if meets(instructions, text) else NO
            answers.append({"type": "predicate", "name": name, "probability": probability})
        elif kind == "choice":
            values = [c.get("value") for c in question.get("choices") or [] if isinstance(c, dict)]
            if not values:
                raise Reply(400, error_body(f"'questions[{index}].choices' is empty."))
            picked = pick_label([str(v) for v in values], text)
            value = next(v for v in values if str(v) == picked)
            rest = (1 - 0.85) / max(len(values) - 1, 1)
            answers.append(
                {
                    "type": "choice",
                    "name": name,
                    "choice": value,
                    "confidence": 0.85,
                    "probabilities": [
                        {"value": v, "probability": 0.85 if v == value else rest} for v in values
                    ],
                }
            )
        elif kind == "score":
            levels = [lv for lv in question.get("levels") or [] if isinstance(lv, dict)]
            if not levels:
                raise Reply(400, error_body(f"'questions[{index}].levels' is empty."))
            middle = len(levels) // 2
            answers.append(
                {
                    "type": "score",
                    "name": name,
                    "score": float(middle),
                    "confidence": 0.7,
                    "probabilities": [
                        {
                            "label": str(lv.get("label")),
                            "value": i,
                            "probability": 0.7 if i == middle else 0.3 / max(len(levels) - 1, 1),
                        }
                        for i, lv in enumerate(levels)
                    ],
                }
            )
        else:
            raise Reply(
                400,
                error_body(
                    f"Invalid value for 'questions[{index}].type': {kind!r}.",
                    param="questions",
                ),
            )
    h.fake._add_tokens(tokens)
    h.send_json(
        200,
        {
            "object": "decision",
            "model": model,
            "answers": answers,
            "usage": {
                "input_tokens": tokens,
                "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                "output_tokens": len(answers),
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": tokens + len(answers),
            },
        },
    )


# --- chat graders ----------------------------------------------------------------------------------

_ANSWER = re.compile(r"Answer:\n<<<\n(.*)\n>>>", re.DOTALL)
_CRITERIA = re.compile(r"Criteria:\n(.*?)\n\nAnswer:", re.DOTALL)
_LABELS = re.compile(r"Labels:\n(.*?)\n\nAnswer:", re.DOTALL)


@dataclass
class GraderReplies:
    """A ``Scenario.reply_text`` callable: grader prompts get a JSON verdict by :func:`meets` and
    :func:`pick_label`; every other chat request gets ``answer`` (text, or a callable of the body).

    Attributes:
        answer: the variant's reply.
        garble: how many grader replies come back as unreadable text first.
        graded: grader prompts answered so far (garbled ones included).
    """

    answer: str | Callable[[JsonDict], str] = "Paris is the capital of France."
    garble: int = 0
    graded: int = 0

    def __call__(self, body: JsonDict) -> str:
        messages = body.get("messages") or []
        user = str(messages[-1].get("content", "")) if messages else ""
        found = _ANSWER.search(user)
        if found is None:
            return self.answer(body) if callable(self.answer) else self.answer
        self.graded += 1
        if self.garble > 0:
            self.garble -= 1
            return "I think it is quite good overall!"
        text = found.group(1)
        criteria = _CRITERIA.search(user)
        if criteria is not None:
            results = []
            for line in criteria.group(1).splitlines():
                item = re.sub(r"^\d+\.\s*", "", line.strip())
                ok = meets(item, text)
                words = ", ".join(f"“{w}”" for w in quoted_words(item)) or "it"
                results.append(
                    {
                        "score": 1.0 if ok else 0.0,
                        "reason": f"mentions {words}" if ok else f"does not mention {words}",
                    }
                )
            return json.dumps({"results": results})
        labels_block = _LABELS.search(user)
        labels = [
            line.strip().removeprefix("- ").strip()
            for line in (labels_block.group(1) if labels_block else "").splitlines()
            if line.strip()
        ]
        label = pick_label(labels or ["none"], text)
        return json.dumps({"label": label, "reason": f"the answer reads as {label}"})
