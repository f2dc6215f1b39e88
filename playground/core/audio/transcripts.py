"""Transcripts in every format the API returns, read into one shape and written back out.

`text` and `json` carry only text; `srt`, `vtt` and `verbose_json` also carry timed segments, which
the tab shows as a table (click a row to play from there). Subtitles are parsed leniently: a
malformed block is skipped, never fatal, and the raw text is always kept as the server sent it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
_CUE = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}")


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of speech with its time in the audio (seconds), and who spoke it (a known
    speaker's name or the server's label, "" when the transcript has no speakers)."""

    start: float
    end: float
    text: str
    speaker: str = ""


@dataclass(frozen=True, slots=True)
class Transcript:
    """A finished transcript.

    Attributes:
        text: the words, as plain text.
        fmt: the `response_format` it came in.
        raw: the body as the server sent it (what "Save" writes for srt, vtt and json).
        segments: timed segments (srt, vtt, verbose_json), else empty.
        language: the detected language (verbose_json), or "".
        duration_s: the audio length the server reported (verbose_json), or None.
        task: "transcribe" or "translate".
    """

    text: str
    fmt: str
    raw: str
    segments: tuple[Segment, ...] = ()
    language: str = ""
    duration_s: float | None = None
    task: str = "transcribe"
    words: tuple[Segment, ...] = field(default=())

    @property
    def suffix(self) -> str:
        """The file suffix "Save" offers for this format."""
        return {
            "text": "txt",
            "json": "json",
            "verbose_json": "json",
            "diarized_json": "json",
        }.get(self.fmt, self.fmt)


def _seconds(h: str | None, m: str, s: str, frac: str) -> float:
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(frac.ljust(3, "0")) / 1000


def parse_subtitles(text: str) -> tuple[Segment, ...]:
    """Segments of SubRip (.srt) or WebVTT (.vtt) text; blocks without a timing line are skipped."""
    segments: list[Segment] = []
    for block in re.split(r"\r?\n\s*\r?\n", text.strip()):
        lines = [line for line in block.splitlines() if line.strip()]
        for index, line in enumerate(lines):
            match = _CUE.match(line)
            if match is None:
                continue
            g = match.groups()
            start = _seconds(g[0], g[1], g[2], g[3])
            end = _seconds(g[4], g[5], g[6], g[7])
            words = " ".join(s.strip() for s in lines[index + 1 :])
            segments.append(Segment(start, max(end, start), words))
            break
    return tuple(segments)


def _segments_of(items: Any) -> tuple[Segment, ...]:
    out: list[Segment] = []
    for item in items or ():
        data = item if isinstance(item, dict) else getattr(item, "__dict__", {})
        try:
            start = float(data.get("start", 0.0))
            end = float(data.get("end", start))
        except (TypeError, ValueError):
            continue
        words = data.get("text", data.get("word", ""))
        speaker = str(data.get("speaker") or "")
        out.append(Segment(start, max(end, start), str(words).strip(), speaker))
    return tuple(out)


def from_verbose(body: dict[str, Any], raw: str, task: str = "transcribe") -> Transcript:
    """A `verbose_json` body (a dict as the SDK's `model_dump()` gives it)."""
    duration = body.get("duration")
    return Transcript(
        text=str(body.get("text", "")),
        fmt="verbose_json",
        raw=raw,
        segments=_segments_of(body.get("segments")),
        language=str(body.get("language") or ""),
        duration_s=float(duration) if isinstance(duration, (int, float)) else None,
        task=task,
        words=_segments_of(body.get("words")),
    )


def from_response(fmt: str, body: Any, task: str = "transcribe") -> Transcript:
    """A transcript from the SDK's answer: a `str` for text/srt/vtt, a model or dict for json."""
    if fmt in ("srt", "vtt"):
        raw = str(body)
        segments = parse_subtitles(raw)
        return Transcript(" ".join(s.text for s in segments), fmt, raw, segments, task=task)
    if fmt == "text":
        raw = str(body)
        return Transcript(raw.strip(), fmt, raw, task=task)
    data = body.model_dump(mode="json") if hasattr(body, "model_dump") else body
    if not isinstance(data, dict):
        data = {"text": str(data)}
    raw = json.dumps(data, indent=2, ensure_ascii=False)
    if fmt in ("verbose_json", "diarized_json"):
        return replace(from_verbose(data, raw, task), fmt=fmt)
    return Transcript(str(data.get("text", "")), fmt, raw, task=task)


def timestamp(seconds: float, sep: str = ",") -> str:
    """`00:01:02,345` (SubRip) or `00:01:02.345` (WebVTT, with `sep="."`)."""
    millis = round(max(seconds, 0.0) * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{sep}{millis:03d}"


def to_srt(segments: tuple[Segment, ...]) -> str:
    blocks = [
        f"{i}\n{timestamp(s.start)} --> {timestamp(s.end)}\n{s.text}\n"
        for i, s in enumerate(segments, start=1)
    ]
    return "\n".join(blocks)


def to_vtt(segments: tuple[Segment, ...]) -> str:
    blocks = [
        f"{timestamp(s.start, '.')} --> {timestamp(s.end, '.')}\n{s.text}\n" for s in segments
    ]
    return "WEBVTT\n\n" + "\n".join(blocks)


def save_text(transcript: Transcript, suffix: str) -> str:
    """What "Save" writes for a file with `suffix` (txt, srt, vtt or json)."""
    if suffix == "srt":
        return transcript.raw if transcript.fmt == "srt" else to_srt(transcript.segments)
    if suffix == "vtt":
        return transcript.raw if transcript.fmt == "vtt" else to_vtt(transcript.segments)
    if suffix == "json" and transcript.fmt in ("json", "verbose_json", "diarized_json"):
        return transcript.raw
    return transcript.text + "\n"
