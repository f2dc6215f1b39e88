"""`core.chat.learned`: settings a server refused, matched from its 400, left out, remembered."""

from __future__ import annotations

from playground.core.chat.learned import Learned, is_set, refusal_text, setting_for, without
from playground.core.chat.service import ChatRequest, ResponsesRequest
from playground.core.models import Message
from playground.core.storage.settings import (
    ChatSettings,
    Settings,
    settings_from_dict,
    settings_to_dict,
)

HELLO = (Message("user", "Hello"),)


def test_a_400_naming_an_unsupported_parameter_names_the_setting() -> None:
    assert setting_for("temperature", "unsupported_parameter") == "temperature"
    assert setting_for("reasoning.effort", "unsupported_value") == "reasoning_effort"
    assert setting_for("top_logprobs", "", "Unsupported parameter: 'top_logprobs'") == "logprobs"
    assert setting_for("max_tokens", "", "'max_tokens' is not supported with this model") == (
        "max_output_tokens"
    )
    # A 400 about a value out of range is the user's to fix, not the model's to refuse.
    assert setting_for("temperature", "invalid_value", "must be at most 2") is None
    assert setting_for(None, "unsupported_parameter") is None
    assert setting_for("messages", "unsupported_parameter") is None


def test_a_refused_setting_is_left_out() -> None:
    request = ChatRequest(model="m", messages=HELLO, temperature=0.4, logprobs=True, top_logprobs=3)
    assert is_set(request, "temperature")
    assert not is_set(request, "seed")
    plain = without(request, {"temperature", "logprobs", "verbosity"})
    assert (plain.temperature, plain.logprobs, plain.top_logprobs) == (None, False, None)
    responses = ResponsesRequest(model="m", messages=HELLO, verbosity="low", truncation="auto")
    cut = without(responses, {"verbosity", "truncation"})
    assert isinstance(cut, ResponsesRequest)
    assert (cut.verbosity, cut.truncation) == (None, None)
    assert without(request, ()) is request
    assert without(plain, {"temperature", "logprobs"}) is plain  # nothing left to leave out
    assert refusal_text("o9-mini", "top_p") == "o9-mini does not take top P (the server said so)."


def test_what_was_learned_is_kept_in_the_settings() -> None:
    learned = Learned()
    learned.learn("o9-mini", "temperature")
    learned.learn("o9-mini", "top_p")
    settings = Settings(chat=ChatSettings(learned=learned.to_dict()))
    back = settings_from_dict(settings_to_dict(settings))
    assert back.chat.learned == {"o9-mini": ["temperature", "top_p"]}
    again = Learned.from_dict(back.chat.learned)
    assert again.of("o9-mini") == {"temperature", "top_p"}
    again.forget("o9-mini")
    assert again.to_dict() == {}
    problems: list[str] = []
    broken = settings_from_dict({"chat": {"learned": ["not", "a", "map"]}}, problems)
    assert broken.chat.learned == {}
    assert problems == ["chat.learned"]
