"""Generated speech clips and microphone takes, kept as files under the app's data folder.

`<data>/audio/clips/` holds every generated clip next to `index.json` (its settings: model, voice,
speed, format, instructions, text, cost), newest first; `<data>/audio/recordings/` holds takes.
A clip's audio is written before it is listed, and the index is replaced atomically, so a crash
never lists a clip whose file is missing. Files whose index entry is gone are left alone.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import uuid
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playground.core.storage.paths import ensure_private_dir

log = logging.getLogger(__name__)

#: How many clips the history keeps; older ones are deleted with their files.
MAX_CLIPS = 200


@dataclass(frozen=True, slots=True)
class Clip:
    """One generated clip and the settings that made it.

    Attributes:
        id: unique id (also the file stem).
        file: the audio file name inside the clips folder.
        created: ISO time (UTC).
        model, voice, response_format, speed, instructions, text: what was sent.
        duration_s: seconds, when known.
        cost: the cost in dollars as text (Decimal), or "" when unknown.
        label: a short name for the list ("alloy · tts-1").
    """

    id: str
    file: str
    created: str
    model: str
    voice: str
    response_format: str
    speed: float
    instructions: str
    text: str
    duration_s: float | None = None
    cost: str = ""

    @property
    def label(self) -> str:
        # A clip without a voice is the speech a live translation sent back.
        return f"{self.voice or 'translated speech'} · {self.model}"


class ClipStore:
    """The clip history: files plus a small JSON index. Safe to call from any thread."""

    def __init__(self, root: Path) -> None:
        self.clips_dir = root / "clips"
        self.recordings_dir = root / "recordings"
        self.decoded_dir = root / "decoded"  # compressed files converted to WAV for live sessions
        self._index = self.clips_dir / "index.json"
        self._lock = threading.Lock()
        self._clips: list[Clip] = self._read()

    @classmethod
    def under(cls, data_dir: Path) -> ClipStore:
        return cls(data_dir / "audio")

    def clips(self) -> list[Clip]:
        """Newest first."""
        with self._lock:
            return list(self._clips)

    def get(self, clip_id: str) -> Clip | None:
        with self._lock:
            return next((c for c in self._clips if c.id == clip_id), None)

    def path(self, clip: Clip) -> Path:
        return self.clips_dir / clip.file

    def playable_path(self, clip: Clip) -> Path:
        """A file a media player can open: the clip itself, or for raw PCM a WAV copy made once
        (raw PCM has no header saying its rate)."""
        if clip.response_format != "pcm":
            return self.path(clip)
        wav = self.clips_dir / f"{clip.id}.play.wav"
        if not wav.exists():
            from playground.core.audio.files import pcm_to_wav

            _atomic_write(wav, pcm_to_wav(self.path(clip).read_bytes()))
        return wav

    def add(
        self,
        audio: bytes,
        *,
        model: str,
        voice: str,
        response_format: str,
        speed: float,
        instructions: str,
        text: str,
        duration_s: float | None = None,
        cost: str = "",
    ) -> Clip:
        """Writes `audio` to a new file and lists it first.

        Raises:
            OSError: the folder is not writable (the caller says so; the audio stays in memory).
        """
        clip_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        clip = Clip(
            id=clip_id,
            file=f"{clip_id}.{response_format}",
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            model=model,
            voice=voice,
            response_format=response_format,
            speed=speed,
            instructions=instructions,
            text=text,
            duration_s=duration_s,
            cost=cost,
        )
        ensure_private_dir(self.clips_dir)
        _atomic_write(self.clips_dir / clip.file, audio)
        with self._lock:
            self._clips.insert(0, clip)
            dropped = self._clips[MAX_CLIPS:]
            del self._clips[MAX_CLIPS:]
            self._write()
        for old in dropped:
            self._unlink(old)
        return clip

    def update(self, clip: Clip, **changes: Any) -> Clip:
        """Replaces fields of a listed clip (e.g. its duration once measured)."""
        with self._lock:
            for i, c in enumerate(self._clips):
                if c.id == clip.id:
                    data = asdict(c) | changes
                    self._clips[i] = Clip(**data)
                    self._write()
                    return self._clips[i]
        return clip

    def remove(self, clip_id: str) -> None:
        with self._lock:
            gone = [c for c in self._clips if c.id == clip_id]
            self._clips = [c for c in self._clips if c.id != clip_id]
            self._write()
        for clip in gone:
            self._unlink(clip)

    def new_recording_path(self) -> Path:
        """A fresh file name for a microphone take."""
        ensure_private_dir(self.recordings_dir)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = self.recordings_dir / f"take-{stamp}.wav"
        n = 2
        while path.exists():
            path = self.recordings_dir / f"take-{stamp}-{n}.wav"
            n += 1
        return path

    # --- storage -----------------------------------------------------------------------------

    def _read(self) -> list[Clip]:
        try:
            raw = json.loads(self._index.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            log.warning("clip index unreadable (%s); starting a new one", exc)
            return []
        names = {f.name for f in fields(Clip)}
        clips: list[Clip] = []
        for item in raw.get("clips", []) if isinstance(raw, dict) else []:
            if not isinstance(item, dict):
                continue
            try:
                clip = Clip(**{k: v for k, v in item.items() if k in names})
            except TypeError:
                continue
            if (self.clips_dir / clip.file).is_file():
                clips.append(clip)
        return clips

    def _write(self) -> None:
        data = {"version": 1, "clips": [asdict(c) for c in self._clips]}
        try:
            ensure_private_dir(self.clips_dir)
            _atomic_write(
                self._index, json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8")
            )
        except OSError as exc:
            log.warning("clip index not saved: %s", exc)

    def _unlink(self, clip: Clip) -> None:
        try:
            (self.clips_dir / clip.file).unlink(missing_ok=True)
            (self.clips_dir / f"{clip.id}.play.wav").unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not delete %s: %s", clip.file, exc)


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
