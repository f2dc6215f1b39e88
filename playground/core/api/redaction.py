"""Masking API keys in text that may be shown, logged or exported.

A module of its own (only `re`): the log filter runs on the first log line, before the window's
first frame, and must not import the error mapping (which pulls in `socket` and more).
"""

from __future__ import annotations

import re

_KEY_PATTERN = re.compile(r"\b(sk-[A-Za-z0-9_\-]{6,})")


def redact(text: str) -> str:
    """Masks anything that looks like an OpenAI key, keeping its last 4 characters."""
    return _KEY_PATTERN.sub(lambda m: f"sk-…{m.group(1)[-4:]}", text)
