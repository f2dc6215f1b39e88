"""QtMultimedia behind four small wrappers: devices, a file player, a live PCM player, a recorder.

QtMultimedia is imported on first use (it loads FFmpeg and the audio back end), never at start-up.
Each wrapper reports trouble through a `failed(str)` signal in plain words, and works, in the sense
of saying clearly what is missing, on a machine with no sound card at all: the rest of the Audio tab
does not depend on them.

Recording uses `QAudioSource` in pull mode and writes the PCM with Python's `wave` module as it
arrives (`QMediaRecorder` produced empty files on machines with virtual audio devices), so a take
is on disk before it is uploaded, and a crash loses at most the last fraction of a second.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import ModuleType
from typing import Any

from PySide6.QtCore import QObject, QTimer, QUrl, Signal

from playground.core.audio.files import WavWriter, peak_level

log = logging.getLogger(__name__)

_multimedia: ModuleType | None = None
_import_failed = False

#: Microphone takes are 16 kHz mono 16-bit: what speech models want, and small (1.9 MB a minute).
RECORD_RATE = 16_000


def multimedia() -> ModuleType | None:
    """`PySide6.QtMultimedia`, imported on first call; None when it cannot be loaded."""
    global _multimedia, _import_failed
    if _multimedia is None and not _import_failed:
        try:
            from PySide6 import QtMultimedia
        except ImportError as exc:  # a build without the multimedia add-on
            log.warning("QtMultimedia unavailable: %s", exc)
            _import_failed = True
            return None
        _multimedia = QtMultimedia
    return _multimedia


class AudioDevices(QObject):
    """The machine's audio inputs and outputs, kept current.

    Signals:
        changed: a device was added or removed.
    """

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        qm = multimedia()
        self._devices: Any = None
        if qm is not None:
            self._devices = qm.QMediaDevices(self)
            self._devices.audioInputsChanged.connect(self.changed)
            self._devices.audioOutputsChanged.connect(self.changed)

    def inputs(self) -> list[tuple[str, str]]:
        """(id, description) of every microphone, the default first."""
        qm = multimedia()
        if qm is None:
            return []
        default = bytes(qm.QMediaDevices.defaultAudioInput().id().data())
        found = [
            (bytes(d.id().data()).decode("utf-8", "replace"), d.description())
            for d in qm.QMediaDevices.audioInputs()
        ]
        found.sort(key=lambda item: item[0].encode() != default)
        return found

    def has_output(self) -> bool:
        qm = multimedia()
        return qm is not None and bool(qm.QMediaDevices.audioOutputs())


def _input_device(device_id: str) -> Any:
    qm = multimedia()
    assert qm is not None
    for device in qm.QMediaDevices.audioInputs():
        if bytes(device.id().data()).decode("utf-8", "replace") == device_id:
            return device
    return None


class Player(QObject):
    """Plays one audio file with play/pause and seeking (QMediaPlayer + QAudioOutput).

    Signals:
        position_changed: the play position moved. arg: milliseconds.
        duration_changed: the file's length became known. arg: milliseconds.
        playing_changed: playback started or stopped. arg: True while playing.
        failed: the file cannot be played here. arg: why, in plain words.
    """

    position_changed = Signal(int)
    duration_changed = Signal(int)
    playing_changed = Signal(bool)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._player: Any = None
        self._output: Any = None
        self.path: Path | None = None
        self.duration_ms = 0

    def _ensure(self) -> Any:
        if self._player is None:
            qm = multimedia()
            if qm is None:
                return None
            self._player = qm.QMediaPlayer(self)
            self._output = qm.QAudioOutput(self)
            self._player.setAudioOutput(self._output)
            self._player.positionChanged.connect(self._on_position)
            self._player.durationChanged.connect(self._on_duration)
            self._player.playbackStateChanged.connect(self._on_state)
            self._player.errorOccurred.connect(self._on_error)
        return self._player

    def load(self, path: Path) -> None:
        """Loads a file (its duration arrives through `duration_changed`); stops what played."""
        player = self._ensure()
        self.path = path
        self.duration_ms = 0
        if player is None:
            self.failed.emit("Audio playback is not available in this build of the app.")
            return
        player.stop()
        player.setSource(QUrl.fromLocalFile(str(path)))

    def unload(self) -> None:
        if self._player is not None:
            self._player.stop()
            self._player.setSource(QUrl())
        self.path = None
        self.duration_ms = 0

    def play(self, from_ms: int | None = None) -> None:
        player = self._ensure()
        if player is None or self.path is None:
            return
        qm = multimedia()
        assert qm is not None
        if not qm.QMediaDevices.audioOutputs():
            self.failed.emit(
                "No speaker or headphones were found, so the clip cannot be played here. "
                "Save it to play it elsewhere."
            )
            return
        self._output.setDevice(qm.QMediaDevices.defaultAudioOutput())
        if from_ms is not None:
            player.setPosition(max(from_ms, 0))
        player.play()

    def pause(self) -> None:
        if self._player is not None:
            self._player.pause()

    def stop(self) -> None:
        if self._player is not None:
            self._player.stop()

    def seek(self, ms: int) -> None:
        if self._player is not None:
            self._player.setPosition(max(ms, 0))

    @property
    def playing(self) -> bool:
        if self._player is None:  # nothing loaded yet: do not load QtMultimedia to say so
            return False
        qm = multimedia()
        return (
            qm is not None
            and self._player.playbackState() == qm.QMediaPlayer.PlaybackState.PlayingState
        )

    @property
    def position_ms(self) -> int:
        return int(self._player.position()) if self._player is not None else 0

    def _on_position(self, ms: int) -> None:
        self.position_changed.emit(int(ms))

    def _on_duration(self, ms: int) -> None:
        self.duration_ms = int(ms)
        self.duration_changed.emit(int(ms))

    def _on_state(self, *_args: object) -> None:
        self.playing_changed.emit(self.playing)

    def _on_error(self, _error: object, message: str) -> None:
        name = self.path.name if self.path else "The clip"
        self.failed.emit(f"{name} cannot be played: {message or 'unknown error'}.")


class LivePlayer(QObject):
    """Plays raw PCM while it is still arriving (QAudioSink in push mode).

    Signals:
        failed: live playback is not possible here. arg: why.
    """

    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sink: Any = None
        self._io: Any = None
        self._pending = bytearray()
        self._finishing = False
        self._timer = QTimer(self)
        self._timer.setInterval(20)
        self._timer.timeout.connect(self._pump)

    @property
    def active(self) -> bool:
        return self._sink is not None

    @property
    def played_ms(self) -> int:
        """How much of what was fed since `start` the speaker has played (0 when stopped)."""
        if self._sink is None:
            return 0
        return int(self._sink.processedUSecs()) // 1000

    @property
    def playing(self) -> bool:
        """Audio is queued or still in the speaker's buffer."""
        if self._sink is None:
            return False
        return bool(self._pending) or int(self._sink.bytesFree()) < int(self._sink.bufferSize())

    def start(self, rate: int, channels: int = 1) -> bool:
        """Opens the default output for 16-bit PCM; False (and `failed`) when there is none."""
        self.stop()
        qm = multimedia()
        if qm is None or not qm.QMediaDevices.audioOutputs():
            self.failed.emit("No speaker found: the clip will be ready to save when it arrives.")
            return False
        fmt = _pcm16(qm, rate, channels)
        self._sink = qm.QAudioSink(qm.QMediaDevices.defaultAudioOutput(), fmt, self)
        self._sink.setBufferSize(rate * channels * 2)  # a second of audio absorbs network jitter
        self._io = self._sink.start()
        if self._io is None or self._sink.error() != qm.QtAudio.Error.NoError:
            self.stop()
            self.failed.emit("The speaker could not be opened for live playback.")
            return False
        self._finishing = False
        self._timer.start()
        return True

    def feed(self, pcm: bytes) -> None:
        if self._sink is not None:
            self._pending.extend(pcm)
            self._pump()

    def finish(self) -> None:
        """No more audio is coming: play what is queued, then close."""
        self._finishing = True
        self._pump()

    def stop(self) -> None:
        self._timer.stop()
        if self._sink is not None:
            self._sink.stop()
            self._sink.deleteLater()
        self._sink = None
        self._io = None
        self._pending.clear()

    def _pump(self) -> None:
        if self._sink is None or self._io is None:
            return
        free = int(self._sink.bytesFree())
        if self._pending and free > 0:
            take = min(free, len(self._pending))
            take -= take % 2
            if take:
                written = int(self._io.write(bytes(self._pending[:take])))
                del self._pending[: max(written, 0)]
        if self._finishing and not self._pending and free >= self._sink.bufferSize():
            self.stop()  # everything queued has been played


class Recorder(QObject):
    """Records the microphone into a WAV file (QAudioSource → `WavWriter`).

    Signals:
        level_changed: the loudest sample of the latest audio. arg: 0.0 to 1.0.
        audio_ready: PCM just recorded (already in the file). arg: bytes.
        progressed: seconds recorded so far. arg: float.
        finished: the take is saved. args: the file path (str), seconds (float).
        failed: recording could not start or stopped on its own. arg: why, in plain words.
    """

    level_changed = Signal(float)
    audio_ready = Signal(bytes)
    progressed = Signal(float)
    finished = Signal(str, float)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._source: Any = None
        self._io: Any = None
        self._writer: WavWriter | None = None
        # A microphone that is unplugged stops sending readyRead, so errors are also polled.
        # (Connecting QAudioSource.stateChanged fails in PySide6 6.11: its QtAudio::State
        # argument cannot be converted.)
        self._watchdog = QTimer(self)
        self._watchdog.setInterval(250)
        self._watchdog.timeout.connect(self._check)

    @property
    def recording(self) -> bool:
        return self._source is not None

    @property
    def frames(self) -> int:
        """Frames written to the current take so far (0 when not recording)."""
        return self._writer.frames if self._writer is not None else 0

    def start(self, device_id: str, path: Path, rate: int = RECORD_RATE) -> bool:
        """Starts a take into `path` at `rate` Hz (mono 16-bit); False (and `failed`) when the
        microphone cannot be opened."""
        qm = multimedia()
        if qm is None:
            self.failed.emit("Recording is not available in this build of the app.")
            return False
        device = _input_device(device_id)
        if device is None:
            self.failed.emit("The microphone is gone. Plug it in, or choose another one.")
            return False
        fmt = _pcm16(qm, rate)
        if not device.isFormatSupported(fmt):
            self.failed.emit(f"{device.description()} cannot record {rate // 1000} kHz mono audio.")
            return False
        try:
            self._writer = WavWriter(path, rate)
        except OSError as exc:
            self.failed.emit(f"The recording cannot be saved in {path.parent} ({exc}).")
            return False
        self._source = qm.QAudioSource(device, fmt, self)
        self._source.setBufferSize(rate * 2)  # a second: a busy GUI thread loses nothing
        self._io = self._source.start()
        if self._io is None or self._source.error() != qm.QtAudio.Error.NoError:
            self._close(emit=False)
            path.unlink(missing_ok=True)
            self.failed.emit(f"{device.description()} could not be opened for recording.")
            return False
        self._io.readyRead.connect(self._on_ready)
        self._watchdog.start()
        return True

    def stop(self) -> None:
        """Ends the take: the file is complete when `finished` is emitted."""
        if self._source is not None:
            self._close(emit=True)

    def _on_ready(self) -> None:
        if self._io is None or self._writer is None:
            return
        data = bytes(self._io.readAll().data())
        if data:
            self._writer.write(data)  # on disk before anyone sends it
            self.audio_ready.emit(data)
            self.level_changed.emit(peak_level(data))
            self.progressed.emit(self._writer.duration_s)
        self._check()

    def _check(self) -> None:
        qm = multimedia()
        if qm is None or self._source is None:
            return
        if self._source.error() != qm.QtAudio.Error.NoError:
            self._close(emit=True)
            self.failed.emit("The microphone stopped delivering audio; what was recorded is kept.")

    def _close(self, *, emit: bool) -> None:
        self._watchdog.stop()
        source, self._source = self._source, None
        if source is not None:
            if self._io is not None:
                rest = bytes(self._io.readAll().data())
                if rest and self._writer is not None:
                    self._writer.write(rest)  # on disk first, then to live sessions
                    if emit:
                        self.audio_ready.emit(rest)
            source.stop()
            source.deleteLater()
        self._io = None
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
            if emit:
                self.level_changed.emit(0.0)
                self.finished.emit(str(writer.path), writer.duration_s)


class Decoder(QObject):
    """Decodes a compressed audio file (MP3, M4A/MP4, OGG/Opus, WebM, FLAC: whatever the FFmpeg
    media plugin reads) into a 16-bit mono WAV at a chosen rate, with `QAudioDecoder`, which
    converts the rate and mixes the channels itself. Buffers arrive on the GUI thread, a few
    kilobytes at a time, and go straight to the file (as `Recorder` does).

    Signals:
        finished: the WAV is complete. args: its path (str), seconds (float).
        failed: the file could not be decoded. arg: why, in plain words.
    """

    finished = Signal(str, float)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._decoder: Any = None
        self._writer: WavWriter | None = None
        self._name = ""
        self._expected_ms = 0
        self.missing_s = 0.0  # how much shorter than the file says the decoded audio came out

    @property
    def running(self) -> bool:
        return self._decoder is not None

    def _on_duration(self, ms: int) -> None:
        self._expected_ms = max(self._expected_ms, ms)

    def start(self, source: Path, target: Path, rate: int) -> bool:
        """Starts decoding `source` into `target`; False (and `failed`) when it cannot start."""
        self.cancel()
        qm = multimedia()
        if qm is None:
            self.failed.emit("This build of the app cannot read compressed audio files.")
            return False
        try:
            self._writer = WavWriter(target, rate)
        except OSError as exc:
            self.failed.emit(f"The converted audio cannot be saved in {target.parent} ({exc}).")
            return False
        self._name = source.name
        decoder = qm.QAudioDecoder(self)
        decoder.setAudioFormat(_pcm16(qm, rate))
        decoder.bufferReady.connect(self._on_buffer)
        decoder.finished.connect(self._on_finished)
        decoder.error.connect(self._on_error)
        decoder.durationChanged.connect(self._on_duration)
        self._decoder = decoder
        self._expected_ms = 0
        self.missing_s = 0.0
        decoder.setSource(QUrl.fromLocalFile(str(source)))
        decoder.start()
        return True

    def cancel(self) -> None:
        """Stops decoding; the partial file is removed."""
        writer = self._writer
        self._stop()
        if writer is not None:
            writer.path.unlink(missing_ok=True)

    def _on_buffer(self) -> None:
        decoder, writer = self._decoder, self._writer
        if decoder is None or writer is None:
            return
        while decoder.bufferAvailable():
            buffer = decoder.read()
            if buffer.isValid():
                writer.write(bytes(buffer.constData()))

    def _on_finished(self) -> None:
        self._on_buffer()
        writer = self._writer
        self._stop()
        if writer is None:
            return
        if writer.frames == 0:
            writer.path.unlink(missing_ok=True)
            self.failed.emit(f"{self._name} holds no sound that could be read.")
            return
        # WORKAROUND: Qt's FFmpeg back end does not drain frame-threaded decoders (FLAC) at the
        # end of the file, so the last frame per extra CPU core can be missing. Say so.
        self.missing_s = max(0.0, self._expected_ms / 1000 - writer.duration_s)
        self.finished.emit(str(writer.path), writer.duration_s)

    def _on_error(self, *_args: object) -> None:
        writer = self._writer
        self._stop()
        if writer is not None:
            writer.path.unlink(missing_ok=True)
        self.failed.emit(
            f"{self._name} could not be read as audio: it may be damaged, or in a format this app "
            "cannot open. Convert it to WAV, MP3 or FLAC, or record with the microphone."
        )

    def _stop(self) -> None:
        decoder, self._decoder = self._decoder, None
        if decoder is not None:
            decoder.bufferReady.disconnect(self._on_buffer)
            decoder.finished.disconnect(self._on_finished)
            decoder.error.disconnect(self._on_error)
            decoder.durationChanged.disconnect(self._on_duration)
            decoder.stop()
            decoder.deleteLater()
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()


def _pcm16(qm: ModuleType, rate: int, channels: int = 1) -> Any:
    """A `QAudioFormat` of 16-bit samples at `rate` Hz (mono unless told)."""
    fmt = qm.QAudioFormat()
    fmt.setSampleRate(rate)
    fmt.setChannelCount(channels)
    fmt.setSampleFormat(qm.QAudioFormat.SampleFormat.Int16)
    return fmt
