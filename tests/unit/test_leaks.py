"""Secrets in a prompt are found before sending (issue 20, item 24)."""

from __future__ import annotations

import pytest

from playground.core.chat.leaks import describe, find_secrets

KEY = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"


@pytest.mark.parametrize(
    ("text", "what"),
    [
        (f"Why does {KEY} fail?", "an OpenAI API key"),
        ("key AKIAIOSFODNN7EXAMPLE here", "an AWS access key"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE...", "a private key"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", "a private key"),
        ("login: bob\npassword: hunter2!", "a password"),
        ("PASSWORD=Tr0ub4dor&3", "a password"),
        ("ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "a GitHub token"),
    ],
)
def test_secrets_are_found(text: str, what: str) -> None:
    found = find_secrets(text)
    assert [f.what for f in found] == [what]
    assert describe(found).startswith(f"This message contains what looks like {what}")


@pytest.mark.parametrize(
    "text",
    [
        "Write a story about a password manager.",
        "password: {{password}}",
        "password: ***",
        "password: <your password>",
        "Use sk-... as the key placeholder",
        "The task: summarise the text.",
    ],
)
def test_ordinary_prompts_are_left_alone(text: str) -> None:
    assert find_secrets(text) == []


def test_the_warning_never_repeats_the_secret() -> None:
    text = f"line one\nmy key is {KEY}\npassword: s3cret-value"
    found = find_secrets(text)
    assert [(f.what, f.where) for f in found] == [("an OpenAI API key", 2), ("a password", 3)]
    message = describe(found, "The system prompt")
    assert KEY not in message
    assert "s3cret" not in message
    assert all(len(f.hint) <= 5 for f in found)
    assert message.startswith(
        "The system prompt contains what looks like an OpenAI API key (line 2)"
    )
