from __future__ import annotations

import pytest

from playground.core.api.capabilities import (
    RULES,
    Capabilities,
    ModelKind,
    Rule,
    allowed,
    capabilities,
    kind_of,
    resolve,
)


@pytest.mark.parametrize(
    ("model", "kind"),
    [
        ("gpt-4o-mini", ModelKind.CHAT),
        ("gpt-4.1", ModelKind.CHAT),
        ("o3", ModelKind.CHAT),
        ("llama3.2:3b", ModelKind.CHAT),
        ("text-embedding-3-small", ModelKind.EMBEDDING),
        ("nomic-embed-text:latest", ModelKind.EMBEDDING),
        ("omni-moderation-latest", ModelKind.MODERATION),
        ("gpt-image-1", ModelKind.IMAGE),
        ("dall-e-3", ModelKind.IMAGE),
        ("tts-1", ModelKind.SPEECH),
        ("gpt-4o-mini-tts", ModelKind.SPEECH),
        ("whisper-1", ModelKind.TRANSCRIPTION),
        ("gpt-4o-transcribe", ModelKind.TRANSCRIPTION),
        ("gpt-realtime", ModelKind.REALTIME),
        ("davinci-002", ModelKind.OTHER),
    ],
)
def test_kind_by_name(model: str, kind: ModelKind) -> None:
    assert kind_of(model) == kind


def test_reasoning_models_take_no_sampling_parameters() -> None:
    caps = capabilities("o3-mini")
    assert caps.reasoning
    assert not caps.sampling
    assert not caps.logprobs
    assert "reasoning" in caps.why.lower()
    assert capabilities("gpt-5-mini").reasoning


def test_classic_chat_models_keep_sampling() -> None:
    caps = capabilities("gpt-4o-mini")
    assert caps.sampling
    assert caps.vision
    assert not caps.reasoning


def test_fine_tunes_match_their_base() -> None:
    assert capabilities("ft:gpt-4o-mini:acme::abc123") == capabilities("gpt-4o-mini")


def test_unknown_models_get_safe_defaults() -> None:
    assert capabilities("my-local-model") == Capabilities()


def test_dimensions_only_on_v3_embeddings() -> None:
    assert capabilities("text-embedding-3-large").dimensions
    assert not capabilities("text-embedding-ada-002").dimensions


def test_a_typo_in_the_table_is_an_error() -> None:
    with pytest.raises(ValueError, match="samplng"):
        resolve("zzz-typo-model", (*RULES, Rule("zzz-typo", {"samplng": False})))


# -- reasoning effort, effort-dependent sampling, tools and Responses features -------------------


@pytest.mark.parametrize(
    ("model", "efforts"),
    [
        ("gpt-6-astra", ("none", "minimal", "low", "medium", "high", "xhigh", "max")),
        ("gpt-6-luna", ("none", "minimal", "low", "medium", "high", "xhigh", "max")),
        ("gpt-6.1-sol", ("minimal", "low", "medium", "high", "xhigh", "max")),
        ("gpt-5-mini", ("minimal", "low", "medium", "high")),
        ("o3", ("low", "medium", "high")),
        ("o4-mini", ("low", "medium", "high")),
        ("gpt-4o-mini", ()),
        ("llama3.2:3b", ()),
    ],
)
def test_effort_values_per_family(model: str, efforts: tuple[str, ...]) -> None:
    assert capabilities(model).efforts == efforts
    assert allowed(model).efforts == efforts


@pytest.mark.parametrize(
    ("model", "effort", "sampling"),
    [
        ("gpt-6-astra", "none", True),
        ("gpt-6-astra", "minimal", False),
        ("gpt-6-astra", "max", False),
        ("gpt-6-astra", None, False),
        ("gpt-6.1-sol", "none", False),
        ("gpt-5-mini", "minimal", False),
        ("o3", "low", False),
        ("gpt-4o-mini", None, True),
        ("my-local-model", None, True),
    ],
)
def test_sampling_and_logprobs_follow_the_effort(
    model: str, effort: str | None, sampling: bool
) -> None:
    knobs = allowed(model, effort)
    assert knobs.sampling is sampling
    assert knobs.logprobs is sampling
    assert bool(knobs.reason("sampling")) is not sampling
    assert bool(knobs.reason("logprobs")) is not sampling


def test_the_reason_is_said_in_plain_words() -> None:
    knobs = allowed("gpt-6-astra", "high")
    assert "“none”" in knobs.reason("sampling")
    assert knobs.reason("effort") == ""
    lacking = allowed("gpt-6.1-sol", "none")
    assert not lacking.effort_ok
    assert "minimal" in lacking.reason("effort")
    assert not allowed("gpt-4o-mini", "low").effort_ok


@pytest.mark.parametrize(
    ("model", "effort", "chat_tools", "need_responses"),
    [
        ("gpt-6-astra", "none", False, True),
        ("gpt-6.1-sol", "low", False, True),
        ("gpt-6-sol", "none", True, False),
        ("gpt-6-sol", "high", False, False),
        ("gpt-6-luna", "low", False, False),
        ("gpt-6.1-terra", "high", True, False),
        ("gpt-5-mini", "low", True, False),
        ("gpt-4o-mini", None, True, False),
    ],
)
def test_which_models_need_responses_for_tools(
    model: str, effort: str | None, chat_tools: bool, need_responses: bool
) -> None:
    assert allowed(model, effort).chat_tools is chat_tools
    assert capabilities(model).tools_need_responses is need_responses
    if need_responses:
        assert "Responses" in allowed(model, effort).reason("chat_tools")


def test_responses_features_per_model() -> None:
    gpt6 = capabilities("gpt-6-astra")
    assert gpt6.reasoning_summary
    assert gpt6.verbosity
    assert gpt6.service_tier
    assert set(gpt6.builtin_tools) == {
        "web_search",
        "file_search",
        "code_interpreter",
        "image_generation",
        "mcp",
    }
    o3 = capabilities("o3")
    assert o3.reasoning_summary
    assert not o3.verbosity
    mini = capabilities("gpt-4o-mini")
    assert not mini.reasoning_summary
    assert mini.service_tier
    assert mini.builtin_tools
    local = allowed("llama3.2:3b")
    assert not (local.service_tier)
    assert not (local.builtin_tools)
    assert not (local.verbosity)
    assert local.reason("service_tier")
    assert local.reason("builtin_tools")
    assert capabilities("gpt-4.1-nano").builtin_tools == ()
