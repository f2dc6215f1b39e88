from __future__ import annotations

import pytest

from playground.core.api.capabilities import (
    RULES,
    Capabilities,
    ModelKind,
    Rule,
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
