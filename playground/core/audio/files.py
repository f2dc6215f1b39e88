"""Audio files without Qt: checks before upload, WAV writing for recordings, PCM helpers.

Uploads are checked before any byte is sent: the type (by suffix and by the file's first bytes, so
a renamed text file is caught), the 25 MB limit and, for WAV, the duration (read with the `wave`
module). Durations of compressed files are measured by the UI layer with the media player, which
can decode them; this module never decodes compressed audio itself.
"""

from __future__ import annotations

import array
import io
import os
import sys
import wave
from dataclasses import dataclass
from pathlib import Path

from playground.core.api.errors import AppError
from playground.core.audio.models import PCM_RATE, UPLOAD_MAX_BYTES, UPLOAD_SUFFIXES


@dataclass(frozen=True, slots=True)
class AudioFileInfo:
    """An audio file that passed the checks.

    Attributes:
        path: where it is.
        size: bytes.
        suffix: the lower-case type ("mp3", "wav", ...).
        duration_s: seconds, when known without decoding (WAV), else None.
    """

    path: Path
    size: int
    suffix: str
    duration_s: float | None = None


def format_size(size: int) -> str:
    """`512 B`, `12.3 KB`, `4.5 MB` (1 MB = 1024 × 1024 bytes, as the API's limit counts)."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def format_clock(seconds: float | None) -> str:
    """`0:07`, `12:34`, `1:02:03`; `--:--` when unknown."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "--:--"
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# --- upload checks ---------------------------------------------------------------------------------


def _sniff(head: bytes) -> str | None:
    """The container family of a file from its first bytes, or None if it is no audio we know."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"):
        return "mpeg"
    return None


# Which sniffed families each suffix may hold (an .mpeg may be MPEG audio or an MPEG stream).
_FAMILIES: dict[str, frozenset[str]] = {
    "mp3": frozenset({"mp3"}),
    "mpga": frozenset({"mp3"}),
    "mpeg": frozenset({"mp3", "mpeg"}),
    "mp4": frozenset({"mp4"}),
    "m4a": frozenset({"mp4"}),
    "wav": frozenset({"wav"}),
    "webm": frozenset({"webm"}),
    "flac": frozenset({"flac"}),
    "ogg": frozenset({"ogg"}),
}


def check_upload(path: str | os.PathLike[str], max_bytes: int = UPLOAD_MAX_BYTES) -> AudioFileInfo:
    """Checks that `path` is an audio file the API takes, before uploading it.

    Raises:
        AppError: LOCAL, with what is wrong and what to do, when the file is missing, empty, of a
            type the API does not take, not what its name says, corrupt (WAV) or over the limit.
    """
    file = Path(path)
    suffix = file.suffix.lower().lstrip(".")
    accepted = ", ".join(UPLOAD_SUFFIXES)
    if suffix not in UPLOAD_SUFFIXES:
        raise AppError.local(
            "Unsupported file",
            f"{file.name} is not a type the API transcribes.",
            f"Choose one of: {accepted}.",
        )
    try:
        size = file.stat().st_size
        with file.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise AppError.local(
            "File not readable", f"{file.name} cannot be read ({exc.strerror or exc}).", ""
        ) from exc
    if size == 0:
        raise AppError.local("Empty file", f"{file.name} is empty.", "Choose another recording.")
    if size > max_bytes:
        raise AppError.local(
            "File too large",
            f"{file.name} is {format_size(size)}; the API takes at most {format_size(max_bytes)}.",
            "Shorten it, or save it as a compressed format (mp3, m4a, ogg) and try again.",
        )
    family = _sniff(head)
    if family is None or family not in _FAMILIES[suffix]:
        raise AppError.local(
            "Not an audio file",
            f"{file.name} does not look like a {suffix.upper()} file (it may be damaged or renamed).",
            f"Choose a real audio file: {accepted}.",
        )
    duration = None
    if suffix == "wav":
        duration = wav_duration(file)
    return AudioFileInfo(file, size, suffix, duration)


def wav_duration(path: str | os.PathLike[str]) -> float:
    """Seconds of a WAV file.

    Raises:
        AppError: LOCAL when the file is not a readable WAV.
    """
    try:
        with wave.open(str(path), "rb") as wav:
            rate = wav.getframerate()
            frames = wav.getnframes()
    except (wave.Error, EOFError, OSError, RuntimeError, ValueError) as exc:
        raise AppError.local(
            "Damaged WAV file",
            f"{Path(path).name} cannot be read as WAV ({exc}).",
            "Choose another file, or record again.",
        ) from exc
    if rate <= 0:
        raise AppError.local("Damaged WAV file", f"{Path(path).name} has no sample rate.", "")
    return frames / rate


# --- PCM and WAV -------------------------------------------------------------------------------


def pcm_to_wav(pcm: bytes, rate: int = PCM_RATE, channels: int = 1, sample_bytes: int = 2) -> bytes:
    """Raw little-endian PCM wrapped in a WAV container."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(sample_bytes)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return out.getvalue()


class WavWriter:
    """Writes a recording to a WAV file as it is captured (16-bit PCM).

    The header is rewritten on `close()`, so a crash mid-take leaves a readable file up to the last
    flush, and nothing recorded is held only in memory.
    """

    def __init__(
        self, path: str | os.PathLike[str], rate: int, channels: int = 1, sample_bytes: int = 2
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.rate = rate
        self.channels = channels
        self.sample_bytes = sample_bytes
        self.frames = 0
        self._wav: wave.Wave_write | None = wave.open(str(self.path), "wb")  # noqa: SIM115 (closed in close())
        self._wav.setnchannels(channels)
        self._wav.setsampwidth(sample_bytes)
        self._wav.setframerate(rate)

    @property
    def duration_s(self) -> float:
        return self.frames / self.rate

    @property
    def closed(self) -> bool:
        return self._wav is None

    def write(self, pcm: bytes) -> None:
        if self._wav is None:
            raise ValueError("the recording is closed")
        frame = self.channels * self.sample_bytes
        whole = len(pcm) - len(pcm) % frame
        self._wav.writeframesraw(pcm[:whole])
        self.frames += whole // frame

    def close(self) -> None:
        if self._wav is not None:
            self._wav.close()  # patches the header with the final length
            self._wav = None


class WavStreamReader:
    """Turns a WAV file arriving in pieces into its PCM frames (for playing while it downloads).

    Streamed WAVs from the API carry a placeholder length in the header, so the header is parsed
    chunk by chunk up to `data` and everything after it is taken as PCM.
    """

    def __init__(self) -> None:
        self._head = bytearray()
        self._in_data = False
        self.rate = PCM_RATE
        self.channels = 1
        self.sample_bytes = 2

    def feed(self, data: bytes) -> bytes:
        """Returns the PCM in `data` (nothing until the header has been read)."""
        if self._in_data:
            return data
        self._head.extend(data)
        head = bytes(self._head)
        if len(head) < 12:
            return b""
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise ValueError("not a WAV stream")
        pos = 12
        while pos + 8 <= len(head):
            chunk_id = head[pos : pos + 4]
            size = int.from_bytes(head[pos + 4 : pos + 8], "little")
            if chunk_id == b"data":
                self._in_data = True
                self._head.clear()
                return head[pos + 8 :]
            if pos + 8 + size > len(head):
                return b""
            if chunk_id == b"fmt " and size >= 16:
                body = head[pos + 8 : pos + 8 + size]
                self.channels = int.from_bytes(body[2:4], "little")
                self.rate = int.from_bytes(body[4:8], "little")
                self.sample_bytes = max(int.from_bytes(body[14:16], "little") // 8, 1)
            pos += 8 + size + (size & 1)
        return b""


def peak_level(pcm: bytes) -> float:
    """The loudest sample of 16-bit little-endian PCM, from 0.0 (silence) to 1.0 (full scale)."""
    if len(pcm) < 2:
        return 0.0
    samples = array.array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    peak = max(max(samples), -min(samples))
    return min(peak / 32768.0, 1.0)
