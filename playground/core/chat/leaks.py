"""Secrets in a prompt: what looks like a key, a private key or a password, found before sending.

A message or system prompt is sent to a server and kept in its logs; a key pasted by mistake
should be caught first. `find_secrets` names what it saw in plain words (never the secret itself),
so the app can warn in one line with "Send anyway"; it never blocks on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SecretFinding:
    """One thing that looks like a secret.

    Attributes:
        what: plain words ("an OpenAI API key").
        where: the 1-based line it is on.
        hint: the first characters of what was found, to help find it ("sk-p…").
    """

    what: str
    where: int
    hint: str


_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an OpenAI API key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}")),
    ("an Anthropic API key", re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{20,}")),
    ("an AWS access key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a GitHub token", re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b")),
    ("a GitHub token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{40,}\b")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9\-]{10,}\b")),
    ("a Stripe secret key", re.compile(r"\b[rs]k_live_[A-Za-z0-9]{20,}\b")),
    (
        "a private key",
        re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY(?: BLOCK)?-----"),
    ),
    (
        "a password",
        re.compile(
            r"(?i)\b(?:password|passwd|pwd|passphrase|secret|api[_ ]?key)\s*[:=]\s*"
            r"(?![\s{<\[]|\*+\b|x+\b|\.\.\.)\S{4,}"
        ),
    ),
)


def find_secrets(text: str, limit: int = 5) -> list[SecretFinding]:
    """What in `text` looks like a secret, first found first, at most `limit` findings."""
    found: list[SecretFinding] = []
    seen: set[tuple[int, int]] = set()
    for what, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            span = match.span()
            if any(s <= span[0] < e for s, e in seen):
                continue
            seen.add(span)
            line = text.count("\n", 0, span[0]) + 1
            found.append(SecretFinding(what, line, _mask(match.group(0))))
    found.sort(key=lambda f: f.where)
    return found[:limit]


def describe(findings: list[SecretFinding], source: str = "This message") -> str:
    """One line for the warning: "This message contains what looks like an OpenAI API key (line 3)."""
    if not findings:
        return ""
    parts: list[str] = []
    for finding in findings:
        part = f"{finding.what} (line {finding.where})"
        if part not in parts:
            parts.append(part)
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return (
        f"{source} contains what looks like {listed}. Anything you send is stored by the "
        "server; remove it unless you mean to share it."
    )


def _mask(secret: str) -> str:
    return secret[:4] + "…"  # enough to find it, never enough to use it
