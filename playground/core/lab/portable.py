"""Moving suites in and out of Prompt Lab: a Promptfoo config (YAML) both ways, and test cases
from OpenAI Evals data files (JSONL with `item` objects, or the older `input`/`ideal` lines).

No Qt here. A Promptfoo config is the portable file of a suite: its prompts (one per prompt
version, as chat messages), providers (one per variant, limited to its prompt), tests (a case's
variables and its check as an assertion) and the grader as `defaultTest.options.provider`.
What has no Promptfoo counterpart (label checks, pictures) is listed in the file's comments;
what Promptfoo has and Prompt Lab does not (other assertion types, files, scripts) is imported
as far as it goes and listed in `ImportedSuite.skipped`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from playground.core.lab.graders import (
    DEFAULT_EMBEDDING_MODEL,
    DEFAULT_PASS_SCORE,
    GraderSettings,
)
from playground.core.lab.suite import (
    MAX_CASES_IMPORTED,
    CaseFileError,
    Expectation,
    ExpectKind,
    Prompt,
    TestCase,
    Variant,
)
from playground.core.lab.yaml_lite import YamlError, dump, load

SCHEMA_COMMENT = "yaml-language-server: $schema=https://promptfoo.dev/config-schema.json"

# Prompt Lab check -> Promptfoo assertion type (label checks have no counterpart).
_ASSERT_TYPES = {
    ExpectKind.CONTAINS: "icontains",
    ExpectKind.EQUALS: "equals",
    ExpectKind.REGEX: "regex",
    ExpectKind.JSON: "is-json",
    ExpectKind.SCHEMA: "is-json",
    ExpectKind.RUBRIC: "llm-rubric",
    ExpectKind.SIMILAR: "similar",
}
_FROM_ASSERT = {
    "icontains": ExpectKind.CONTAINS,
    "contains": ExpectKind.CONTAINS,  # Promptfoo's is case-sensitive; Prompt Lab's ignores case
    "equals": ExpectKind.EQUALS,
    "regex": ExpectKind.REGEX,
    "is-json": ExpectKind.JSON,
    "llm-rubric": ExpectKind.RUBRIC,
    "similar": ExpectKind.SIMILAR,
}
_FIELDS = ("temperature", "top_p", "max_output_tokens", "seed", "reasoning_effort")
_PROMPTFOO_FIELDS = {"max_output_tokens": "max_tokens"}


class SuiteFileError(ValueError):
    """A suite file that cannot be read at all (message for the user as it is)."""


@dataclass(frozen=True, slots=True)
class Suite:
    """What a suite file holds: prompt versions (title, prompt), variants, cases, grader."""

    prompts: list[tuple[str, Prompt]]
    variants: list[Variant]
    cases: list[TestCase]
    graders: GraderSettings = field(default_factory=GraderSettings)


@dataclass(frozen=True, slots=True)
class ImportedSuite:
    """A suite read from a file, and what could not be brought in (plain sentences)."""

    suite: Suite
    skipped: list[str] = field(default_factory=list)


# --- export --------------------------------------------------------------------------------------


def _prompt_raw(prompt: Prompt) -> str:
    messages = []
    if prompt.system.strip():
        messages.append({"role": "system", "content": prompt.system})
    messages.append({"role": "user", "content": prompt.user})
    return json.dumps(messages, ensure_ascii=False, indent=2)


def _provider_id(variant: Variant) -> str:
    api = "responses" if variant.fields.get("api") == "responses" else "chat"
    return f"openai:{api}:{variant.model}"


def to_promptfoo(suite: Suite, description: str = "Prompt Lab suite") -> str:
    """The suite as a Promptfoo config (YAML), with what has no mapping listed in comments."""
    notes: list[str] = []
    prompt_ids: dict[Prompt, str] = {}
    prompts = []
    for title, prompt in suite.prompts:
        if prompt in prompt_ids:
            continue
        prompt_id = f"p{len(prompt_ids) + 1}"
        prompt_ids[prompt] = prompt_id
        prompts.append({"id": prompt_id, "label": title, "raw": _prompt_raw(prompt)})
    providers = []
    for variant in suite.variants:
        if variant.prompt not in prompt_ids:
            prompt_id = f"p{len(prompt_ids) + 1}"
            prompt_ids[variant.prompt] = prompt_id
            prompts.append(
                {"id": prompt_id, "label": variant.name, "raw": _prompt_raw(variant.prompt)}
            )
        settings = {
            _PROMPTFOO_FIELDS.get(name, name): variant.fields[name]
            for name in _FIELDS
            if variant.fields.get(name) not in (None, "")
        }
        provider: dict[str, Any] = {"id": _provider_id(variant), "label": variant.name}
        if settings:
            provider["config"] = settings
        provider["prompts"] = [prompt_ids[variant.prompt]]
        providers.append(provider)
        extra = sorted(
            k
            for k, v in variant.fields.items()
            if k not in (*_FIELDS, "api") and v not in (None, "", [], {})
        )
        if extra:
            notes.append(f"Variant “{variant.name}”: not exported: {', '.join(extra)}.")
    tests = []
    for number, case in enumerate(suite.cases, 1):
        test: dict[str, Any] = {"vars": dict(case.values)}
        assertion = _assertion(case.expect, suite.graders)
        if assertion is not None:
            test["assert"] = [assertion]
        elif case.expect.kind == ExpectKind.LABEL:
            notes.append(
                f"Case {number}: its label check (“{case.expect.value}”) has no Promptfoo "
                "assertion; it is left out."
            )
        if case.images:
            notes.append(f"Case {number}: its pictures are not exported ({len(case.images)}).")
        tests.append(test)
    config: dict[str, Any] = {
        "description": description,
        "prompts": prompts,
        "providers": providers,
    }
    grader = suite.graders
    if grader.model:
        config["defaultTest"] = {"options": {"provider": f"openai:chat:{grader.model}"}}
    config["tests"] = tests
    header = [SCHEMA_COMMENT, "Exported from Playground's Prompt Lab."]
    if grader.use_decisions:
        notes.append(
            "The grader uses the Decisions API in Prompt Lab; Promptfoo grades with the provider above."
        )
    if grader.embedding_model != DEFAULT_EMBEDDING_MODEL:
        notes.append(f"Similarity checks were graded with {grader.embedding_model}.")
    if notes:
        header += ["", "Not mapped to Promptfoo:", *(f"- {n}" for n in notes)]
    return dump(config, header)


def _assertion(expect: Expectation, graders: GraderSettings) -> dict[str, Any] | None:
    kind = expect.kind
    if kind not in _ASSERT_TYPES:
        return None
    out: dict[str, Any] = {"type": _ASSERT_TYPES[kind]}
    if kind == ExpectKind.SCHEMA:
        try:
            out["value"] = json.loads(expect.value)
        except ValueError:
            out["value"] = expect.value
    elif kind != ExpectKind.JSON:
        out["value"] = expect.value
    if kind == ExpectKind.RUBRIC and graders.pass_score != DEFAULT_PASS_SCORE:
        out["threshold"] = graders.pass_score
    if kind == ExpectKind.SIMILAR:
        out["threshold"] = graders.similarity
    return out


# --- import --------------------------------------------------------------------------------------


def from_promptfoo(text: str) -> ImportedSuite:
    """A suite from a Promptfoo config: what maps comes in, the rest is listed in `skipped`.

    Raises:
        SuiteFileError: the file is not YAML this app reads, or holds no prompts, providers or
            tests at all.
    """
    try:
        data = load(text)
    except YamlError as exc:
        raise SuiteFileError(f"Not a config this app can read: {exc}") from None
    if not isinstance(data, dict):
        raise SuiteFileError(
            "Not a Promptfoo config: it should start with “prompts:”, “providers:” or “tests:”."
        )
    skipped: list[str] = []
    known = {"description", "prompts", "providers", "tests", "defaultTest"}
    for key in data:
        if key not in known:
            skipped.append(f"“{key}” (not used by Prompt Lab)")

    prompts: list[tuple[str, Prompt]] = []
    by_ref: dict[str, Prompt] = {}
    raw_prompts = data.get("prompts") or []
    if isinstance(raw_prompts, str | dict):
        raw_prompts = [raw_prompts]
    for index, item in enumerate(raw_prompts if isinstance(raw_prompts, list) else [], 1):
        raw, label, prompt_id = item, f"Prompt {index}", ""
        if isinstance(item, dict):
            raw = item.get("raw", item.get("content"))
            label = str(item.get("label") or item.get("id") or label)
            prompt_id = str(item.get("id") or "")
        if not isinstance(raw, str) or raw.startswith("file://"):
            skipped.append(f"Prompt {index}: prompts in files or scripts are not read.")
            continue
        prompt = _prompt_from_raw(raw)
        prompts.append((label, prompt))
        for ref in {label, prompt_id} - {""}:
            by_ref[ref] = prompt

    graders = GraderSettings()
    default = data.get("defaultTest")
    if isinstance(default, dict):
        options = default.get("options")
        provider = options.get("provider") if isinstance(options, dict) else None
        model = _model_of(provider)
        if model:
            graders = GraderSettings(model=model)
        elif provider is not None:
            skipped.append("The grading provider (only OpenAI models are read).")

    variants: list[Variant] = []
    raw_providers = data.get("providers") or []
    if isinstance(raw_providers, str | dict):
        raw_providers = [raw_providers]
    for index, item in enumerate(raw_providers if isinstance(raw_providers, list) else [], 1):
        provider_id = (
            item if isinstance(item, str) else item.get("id") if isinstance(item, dict) else None
        )
        model = _model_of(provider_id)
        if not model:
            skipped.append(f"Provider {index} ({provider_id}): only OpenAI models are read.")
            continue
        label = str(item.get("label") or model) if isinstance(item, dict) else model
        config = item.get("config") if isinstance(item, dict) else None
        fields: dict[str, Any] = {}
        if isinstance(config, dict):
            back = {v: k for k, v in _PROMPTFOO_FIELDS.items()}
            for key, value in config.items():
                name = back.get(key, key)
                if name in _FIELDS:
                    fields[name] = value
                else:
                    skipped.append(f"Provider “{label}”: setting “{key}”.")
        if str(provider_id).startswith("openai:responses:"):
            fields["api"] = "responses"
        refs = item.get("prompts") if isinstance(item, dict) else None
        chosen = (
            [by_ref[r] for r in refs if isinstance(r, str) and r in by_ref]
            if isinstance(refs, list)
            else []
        )
        for prompt in chosen or [p for _t, p in prompts]:
            title = next((t for t, p in prompts if p == prompt), "")
            name = label if len(chosen or prompts) <= 1 else f"{label} · {title}"
            variants.append(Variant(name, prompt, model, fields))

    cases: list[TestCase] = []
    raw_tests = data.get("tests") or []
    if isinstance(raw_tests, str):
        skipped.append("Tests in a separate file are not read.")
        raw_tests = []
    for index, item in enumerate(raw_tests if isinstance(raw_tests, list) else [], 1):
        if len(cases) >= MAX_CASES_IMPORTED:
            skipped.append(f"Tests after the first {MAX_CASES_IMPORTED:,}.")
            break
        if not isinstance(item, dict):
            skipped.append(f"Test {index}: tests in files are not read.")
            continue
        raw_vars = item.get("vars") or {}
        if not isinstance(raw_vars, dict):
            skipped.append(f"Test {index}: its variables come from a file.")
            continue
        values = {
            str(k): v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
            for k, v in raw_vars.items()
        }
        expect, thresholds = Expectation(), {}
        asserts = item.get("assert") or []
        for number, raw in enumerate(asserts if isinstance(asserts, list) else [], 1):
            kind_name = str(raw.get("type", "")) if isinstance(raw, dict) else ""
            kind = _FROM_ASSERT.get(kind_name)
            if kind is None or expect.kind != ExpectKind.NONE:
                why = (
                    "only one check per case"
                    if kind is not None
                    else f"“{kind_name or raw}” has no Prompt Lab check"
                )
                skipped.append(f"Test {index}, assertion {number}: {why}.")
                continue
            value = raw.get("value", "") if isinstance(raw, dict) else ""
            if kind == ExpectKind.JSON and isinstance(value, dict):
                kind, value = ExpectKind.SCHEMA, json.dumps(value, indent=2)
            elif not isinstance(value, str):
                skipped.append(f"Test {index}, assertion {number}: its value is not text.")
                continue
            expect = Expectation(kind, value)
            if isinstance(raw, dict) and isinstance(raw.get("threshold"), int | float):
                thresholds[kind] = float(raw["threshold"])
        cases.append(TestCase(values, expect))
        if ExpectKind.SIMILAR in thresholds:
            graders = GraderSettings(
                **{**graders.to_dict(), "similarity": thresholds[ExpectKind.SIMILAR]}
            )
        if ExpectKind.RUBRIC in thresholds:
            graders = GraderSettings(
                **{**graders.to_dict(), "pass_score": thresholds[ExpectKind.RUBRIC]}
            )
    if not (prompts or variants or cases):
        raise SuiteFileError("The file has no prompts, providers or tests this app can read.")
    return ImportedSuite(Suite(prompts, variants, cases, graders), skipped)


def _model_of(provider: Any) -> str:
    """The OpenAI model of a Promptfoo provider id ("openai:chat:gpt-4o-mini", "openai:gpt-4.1")."""
    if isinstance(provider, dict):
        provider = provider.get("id")
    if not isinstance(provider, str) or not provider.startswith("openai:"):
        return ""
    parts = provider.split(":")
    if len(parts) == 2:
        return parts[1]
    if len(parts) == 3 and parts[1] in ("chat", "responses"):
        return parts[2]
    return ""


def _prompt_from_raw(raw: str) -> Prompt:
    """A prompt from Promptfoo's text, or its chat form (a JSON list of messages)."""
    try:
        messages = json.loads(raw)
    except ValueError:
        return Prompt("", raw)
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        return Prompt("", raw)
    system = "\n\n".join(
        str(m.get("content", "")) for m in messages if m.get("role") in ("system", "developer")
    )
    user = "\n\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")
    return Prompt(system, user)


# --- OpenAI Evals data -----------------------------------------------------------------------------


def looks_like_openai_evals(text: str) -> bool:
    """Whether a JSONL text is OpenAI Evals data (`{"item": …}` or `{"input": […], "ideal": …}`)."""
    for line in text.lstrip("\ufeff").splitlines():
        if line.strip():
            try:
                first = json.loads(line)
            except (ValueError, RecursionError):
                return False
            return isinstance(first, dict) and (
                isinstance(first.get("item"), dict) or ("input" in first and "ideal" in first)
            )
    return False


def cases_from_openai_evals(text: str) -> tuple[list[TestCase], list[str]]:
    """Cases from OpenAI Evals data: each `item`'s fields become variables; an older line's
    chat `input` becomes {{system}} and {{input}}, and its `ideal` answer a “contains” check (as
    the old Includes eval did). Returns the cases and the names of their variables.

    Raises:
        CaseFileError: a line that is not JSON or not an object, with its number.
    """
    cases: list[TestCase] = []
    names: dict[str, None] = {}
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        if not line.strip():
            continue
        if len(cases) >= MAX_CASES_IMPORTED:
            raise CaseFileError(f"More than {MAX_CASES_IMPORTED:,} cases: split the file.")
        try:
            data = json.loads(line)
        except (ValueError, RecursionError):
            raise CaseFileError(f"Line {number:,}: not JSON, or nested too deeply.") from None
        if not isinstance(data, dict):
            raise CaseFileError(f"Line {number:,}: not a JSON object.")
        item = data.get("item")
        expect = Expectation()
        if isinstance(item, dict):
            values = _item_values(item, number)
        elif isinstance(data.get("input"), list):
            messages = [m for m in data["input"] if isinstance(m, dict)]
            values = {
                "system": "\n\n".join(
                    str(m.get("content", "")) for m in messages if m.get("role") == "system"
                ),
                "input": "\n\n".join(
                    str(m.get("content", "")) for m in messages if m.get("role") == "user"
                ),
            }
            ideal = data.get("ideal")
            if isinstance(ideal, list):
                ideal = next((i for i in ideal if isinstance(i, str)), "")
            if isinstance(ideal, str) and ideal.strip():
                expect = Expectation(ExpectKind.CONTAINS, ideal)
        else:
            raise CaseFileError(f"Line {number:,}: no “item” object (not OpenAI Evals data).")
        names.update(dict.fromkeys(values))
        cases.append(TestCase(values, expect))
    return cases, list(names)


def _item_values(item: Mapping[str, Any], number: int) -> dict[str, str]:
    try:
        return {
            str(k): v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
            for k, v in item.items()
        }
    except (ValueError, RecursionError):
        raise CaseFileError(f"Line {number:,}: a value is nested too deeply to read.") from None


def suite_prompts(
    variants: Sequence[Variant], draft: Prompt, titles: Mapping[int, str]
) -> list[tuple[str, Prompt]]:
    """The prompts a suite's variants use, titled by version ("v3 · city only", or "Draft");
    the draft alone when there are no variants."""
    out: list[tuple[str, Prompt]] = []
    for variant in variants:
        if variant.version_id is None:
            title = "Draft"
        else:
            title = titles.get(variant.version_id, f"v{variant.version_id}")
        if all(p != variant.prompt for _t, p in out):
            out.append((title, variant.prompt))
    return out or [("Draft", draft)]
