"""Runs the Audio tab: speech, voice comparison, transcription and translation, recording.

The pages emit intents; this controller checks them (`problem()`, `check_upload`), runs the
requests through the `TaskRunner` (groups `audio-speech`, `audio-compare`, `audio-stt`), stores
clips, writes one ledger row per request (Endpoint SPEECH, TRANSCRIPTION or TRANSLATION) and
shows the cost before (estimate) and after (ledger). Nothing recorded or generated is lost on a
failure: takes are on disk before upload, clips are stored before they are listed, text stays.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import shutil
import wave
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from playground.core.api.capabilities import ModelKind
from playground.core.api.catalog import CatalogSnapshot
from playground.core.api.errors import AppError, ErrorKind
from playground.core.audio.clips import Clip, ClipStore
from playground.core.audio.files import (
    AudioFileInfo,
    WavStreamReader,
    check_upload,
    format_clock,
    format_size,
)
from playground.core.audio.models import (
    LIVE_FORMATS,
    PCM_RATE,
    UPLOAD_MAX_BYTES,
    transcription_caps,
)
from playground.core.audio.service import (
    AudioService,
    SpeechProgress,
    SpeechRequest,
    SpeechResult,
    TranscriptionRequest,
    TranscriptionResult,
)
from playground.core.audio.transcripts import save_text
from playground.core.models import Endpoint, LedgerEntry, RequestStatus, Usage
from playground.core.money.formatting import format_cost, format_duration_ms, format_price
from playground.ui.audio.media import RECORD_RATE, AudioDevices, LivePlayer, Recorder
from playground.ui.audio.tab import AudioTab
from playground.ui.common.feature import FeatureContext, FeatureController

log = logging.getLogger(__name__)

SPEECH, COMPARE, STT = "audio-speech", "audio-compare", "audio-stt"
#: The longest take that still fits the upload limit (16 kHz mono 16-bit WAV).
MAX_TAKE_SECONDS = (UPLOAD_MAX_BYTES - 44) / (RECORD_RATE * 2)


class AudioController(FeatureController):
    """Wires the Audio tab to the audio service, the clip store, the ledger and the counters."""

    busy_groups = (SPEECH, COMPARE, STT)

    def __init__(self, view: AudioTab, ctx: FeatureContext, parent: QObject | None = None) -> None:
        super().__init__(view, parent)
        self.view: AudioTab = view
        self.ctx = ctx
        services = ctx.services
        self.runner = ctx.runner
        self.session = services.session
        self.accounting = services.accounting
        self.pricer = services.pricer
        self.counter = services.counter
        self.service = AudioService(services.session.client)
        self.clips = ClipStore.under(services.paths.data_dir)
        self.live = LivePlayer(self)
        self.recorder = Recorder(self)
        self.devices: AudioDevices | None = None
        self._source_info: AudioFileInfo | None = None
        self._source_seconds: float | None = None
        self._saved: dict[str, Any] = {}

        speech, compare, stt = view.speech, view.compare, view.stt
        speech.generate_requested.connect(self._on_generate)
        speech.stop_requested.connect(lambda: self.runner.cancel(SPEECH))
        speech.draft_changed.connect(self._update_speech_estimate)
        speech.clip_selected.connect(self._on_clip_selected)
        speech.clip_delete_requested.connect(self._on_clip_delete)
        speech.clip_save_requested.connect(self.save_clip)
        speech.player.player.duration_changed.connect(self._on_clip_duration)
        compare.compare_requested.connect(self._on_compare)
        compare.stop_requested.connect(lambda: self.runner.cancel(COMPARE))
        compare.save_requested.connect(self.save_clip)
        compare.text_edit.textChanged.connect(self._update_compare_estimate)
        compare.models.itemChanged.connect(self._update_compare_estimate)
        compare.voices.itemChanged.connect(self._update_compare_estimate)
        stt.file_chosen.connect(self.use_file)
        stt.run_requested.connect(self._on_run)
        stt.stop_requested.connect(lambda: self.runner.cancel(STT))
        stt.options_changed.connect(self._update_stt_estimate)
        stt.duration_measured.connect(self._on_source_duration)
        stt.save_requested.connect(self.save_transcript)
        stt.take_save_requested.connect(self.save_take)
        stt.record_toggled.connect(self._on_record_toggled)
        stt.devices_requested.connect(self.refresh_devices)
        self.recorder.level_changed.connect(self._on_level)
        self.recorder.progressed.connect(self._on_record_progress)
        self.recorder.finished.connect(self._on_take_saved)
        self.recorder.failed.connect(self._on_record_failed)
        self.live.failed.connect(lambda text: speech.show_result(text))
        self.runner.busy_changed.connect(self._on_busy_changed)
        self._level = 0.0
        self._show_clips()
        self._update_speech_estimate()
        self._update_stt_estimate()

    # --- FeatureController hooks ---------------------------------------------------------------

    def show_models(self, snapshot: CatalogSnapshot | None) -> None:
        speech_models = snapshot.ids(ModelKind.SPEECH) if snapshot else []
        stt_models = snapshot.ids(ModelKind.TRANSCRIPTION) if snapshot else []
        speech, stt = self.view.speech, self.view.stt
        want_speech = speech.model or str(self._saved.get("speech_model", ""))
        want_stt = stt.model or str(self._saved.get("stt_model", ""))
        if want_speech and want_speech not in speech_models and not speech_models:
            speech_models = [want_speech]
        if want_stt and want_stt not in stt_models and not stt_models:
            stt_models = [want_stt]
        speech.set_models(speech_models, want_speech)
        voice = str(self._saved.pop("voice", ""))
        if voice:
            speech.set_voice(voice)
        self.view.compare.set_models(speech_models, list(self._saved.get("compare_models", [])))
        voices = self._saved.pop("compare_voices", None)
        if voices:
            self.view.compare.set_checked_voices(list(voices))
        stt.set_models(stt_models, want_stt)
        fmt = str(self._saved.pop("stt_format", ""))
        if fmt:
            index = stt.format_combo.findData(fmt)
            if index >= 0:
                stt.format_combo.setCurrentIndex(index)

    def restore_state(self, state: dict[str, Any]) -> None:
        self._saved = dict(state)
        speech, stt, compare = self.view.speech, self.view.stt, self.view.compare
        if state.get("speech_model"):
            speech.set_models([str(state["speech_model"])], str(state["speech_model"]))
        if state.get("voice"):
            speech.set_voice(str(state["voice"]))
        speech.set_format(str(state.get("format", "mp3")))
        with contextlib.suppress(TypeError, ValueError):
            speech.speed.setValue(float(state.get("speed", 1.0)))
        speech.instructions.setPlainText(str(state.get("instructions", "")))
        speech.text_edit.setPlainText(str(state.get("text", "")))
        speech.live_check.setChecked(bool(state.get("live", True)))
        compare.text_edit.setPlainText(str(state.get("compare_text", "")))
        if state.get("stt_model"):
            stt.set_models([str(state["stt_model"])], str(state["stt_model"]))
        language = str(state.get("language", ""))
        index = stt.language_combo.findData(language)
        if index >= 0:
            stt.language_combo.setCurrentIndex(index)
        elif language:
            stt.language_combo.setEditText(language)
        stt.prompt_edit.setText(str(state.get("prompt", "")))
        stt.stream_check.setChecked(bool(state.get("stream", True)))
        stt.words_check.setChecked(bool(state.get("words", False)))
        if state.get("translate") and stt.translate_radio.isEnabled():
            stt.translate_radio.setChecked(True)
        if isinstance(state.get("page"), int):
            self.view.pages.setCurrentIndex(int(state["page"]))

    def save_state(self) -> dict[str, Any]:
        speech, stt, compare = self.view.speech, self.view.stt, self.view.compare
        return {
            "page": self.view.pages.currentIndex(),
            "speech_model": speech.model,
            "voice": speech.voice,
            "format": speech.response_format,
            "speed": round(speech.speed.value(), 2),
            "instructions": speech.instructions.toPlainText(),
            "text": speech.text_edit.toPlainText(),
            "live": speech.live_check.isChecked(),
            "compare_text": compare.text_edit.toPlainText(),
            "compare_models": compare.checked(compare.models),
            "compare_voices": compare.checked(compare.voices),
            "stt_model": stt.model,
            "stt_format": stt.response_format,
            "language": stt.language,
            "prompt": stt.prompt_edit.text(),
            "stream": stt.stream_check.isChecked(),
            "words": stt.words_check.isChecked(),
            "translate": stt.task == "translate",
        }

    def apply_settings(self, settings: Any) -> None:  # noqa: ARG002 (prices may have changed)
        self._update_speech_estimate()
        self._update_stt_estimate()

    def shutdown(self) -> None:
        self.recorder.stop()  # the take is completed on disk
        self.live.stop()
        self.view.speech.player.stop()
        self.view.stt.player.stop()
        self.view.compare.stop_players()

    def fill_sample(self) -> None:
        """`--screenshot`: a clip history, a comparison and a transcript, without the network."""
        from playground.core.audio.files import pcm_to_wav
        from playground.core.audio.transcripts import Segment, Transcript

        speech, compare, stt = self.view.speech, self.view.compare, self.view.stt
        speech.set_models(["gpt-4o-mini-tts", "tts-1", "tts-1-hd"], "gpt-4o-mini-tts")
        speech.set_voice("coral")
        speech.instructions.setPlainText("Speak calmly, like a teacher.")
        speech.text_edit.setPlainText(
            "Welcome to the Playground. Type any text, choose a voice, and press Generate "
            "to hear it spoken aloud."
        )
        tone = pcm_to_wav(bytes(48_000 * 3))
        for voice, model in (("coral", "gpt-4o-mini-tts"), ("onyx", "tts-1"), ("nova", "tts-1")):
            request = SpeechRequest(model, voice, speech.text_edit.toPlainText(), "", 1.0, "wav")
            self._store_clip(request, tone, Decimal("0.0016"), speech)
        clips = self.clips.clips()
        self._show_clips(select=clips[0].id if clips else None)
        if clips:
            speech.load_clip(clips[0], self.clips.playable_path(clips[0]))
            speech.player.time_label.setText("0:00 / 0:03")
        speech.show_result("Done in 1.4 s · first audio after 310 ms · 113 in / 150 out tokens")
        compare.text_edit.setPlainText("The quick brown fox jumps over the lazy dog.")
        compare.set_models(["gpt-4o-mini-tts", "tts-1"], ["gpt-4o-mini-tts"])
        compare.set_checked_voices(["alloy", "coral", "sage"])
        voices = ("alloy", "coral", "sage")
        compare.start_rows(
            [f"{v} · gpt-4o-mini-tts" for v in voices], [("gpt-4o-mini-tts", v) for v in voices]
        )
        for index, clip in enumerate(clips[:3]):
            compare.row_done(index, clip, self.clips.playable_path(clip), "0:03 · $0.0016")
            compare.rows[index].player.time_label.setText("0:00 / 0:03")
        stt.set_models(["gpt-4o-transcribe", "whisper-1"], "whisper-1")
        stt.format_combo.setCurrentIndex(stt.format_combo.findData("verbose_json"))
        stt.source = Path("interview.m4a")
        stt.file_info.setText("<b>interview.m4a</b> · 4.2 MB · 4:31")
        stt.player.time_label.setText("0:00 / 4:31")
        stt.run_button.setEnabled(True)
        self._source_seconds = 271.0
        self._update_stt_estimate()
        segments = (
            Segment(0.0, 4.2, "Thanks for joining us today."),
            Segment(4.2, 9.8, "Let's start with how the project began."),
            Segment(9.8, 16.5, "It started as a weekend experiment with a few friends."),
            Segment(16.5, 21.0, "Nobody expected it to grow this quickly."),
        )
        stt.words_check.setChecked(True)
        words = tuple(
            Segment(seg.start + i * per, seg.start + (i + 1) * per, word.strip(".,"))
            for seg in segments
            for i, word in enumerate(seg.text.split())
            for per in [(seg.end - seg.start) / len(seg.text.split())]
        )
        stt.show_transcript(
            Transcript(
                " ".join(s.text for s in segments),
                "verbose_json",
                "{}",
                segments,
                "english",
                271.0,
                words=words,
            ),
            "Transcribed in 3.2 s · language english · 4:31 of audio · cost $0.0271",
        )

    def extra_screens(self) -> list[tuple[str, Any]]:
        """`--screenshot`: the Compare and Speech-to-text pages."""
        pages, stt = self.view.pages, self.view.stt

        def microphone(on: bool) -> None:
            (stt.mic_radio if on else stt.file_radio).setChecked(True)

        return [
            ("compare", _PageShot(pages, self.view.compare)),
            ("stt", _PageShot(pages, stt)),
            ("stt-microphone", _PageShot(pages, stt, microphone)),
        ]

    # --- speech --------------------------------------------------------------------------------

    def _on_generate(self, request: SpeechRequest, live: bool) -> None:
        page = self.view.speech
        problem = request.problem()
        if problem is not None:
            page.show_error(problem)
            return
        page.clear_error()
        progress = SpeechProgress()
        on_audio = self._live_feed(request.response_format) if live else None
        self.runner.start(
            self.service.speech(request, on_audio, progress),
            group=SPEECH,
            on_result=lambda result: self._on_speech_done(request, result, live),
            on_error=lambda error: self._on_speech_failed(request, progress, error),
            on_cancel=lambda: self._on_speech_cancelled(request, progress),
        )

    def _live_feed(self, fmt: str) -> Any:
        if fmt not in LIVE_FORMATS:
            return None
        reader = WavStreamReader() if fmt == "wav" else None
        started = False

        def feed(data: bytes) -> None:
            nonlocal started
            pcm = data
            if reader is not None:
                try:
                    pcm = reader.feed(data)
                except ValueError:
                    return
                if not pcm:
                    return
            if not started:
                started = True
                rate = reader.rate if reader is not None else PCM_RATE
                channels = reader.channels if reader is not None else 1
                if not self.live.start(rate, channels):
                    return
                self.view.speech.show_result("Playing as it arrives…")
            self.live.feed(pcm)

        return feed

    def _on_speech_done(self, request: SpeechRequest, result: SpeechResult, live: bool) -> None:
        page = self.view.speech
        if self.live.active:
            self.live.finish()
        entry = self._record(
            request.model,
            Endpoint.SPEECH,
            result.usage,
            result.latency_ms,
            RequestStatus.OK,
            result.request_id,
        )
        clip = self._store_clip(request, result.audio, entry.cost, page)
        detail = [
            f"Done in {format_duration_ms(result.latency_ms)}",
            f"first audio after {format_duration_ms(result.first_audio_ms)}",
            _usage_text(result.usage),
            f"cost {format_cost(entry.cost)}",
        ]
        page.show_result(" · ".join(detail))
        if clip is None:
            return
        self._show_clips(select=clip.id)
        self._load_clip(clip)
        if not live and self.devices_have_output():
            page.player.player.play()

    def _store_clip(
        self, request: SpeechRequest, audio: bytes, cost: Decimal | None, page: Any
    ) -> Clip | None:
        try:
            return self.clips.add(
                audio,
                model=request.model,
                voice=request.voice,
                response_format=request.response_format,
                speed=request.speed,
                instructions=request.instructions,
                text=request.input,
                duration_s=_duration_of(audio, request.response_format),
                cost="" if cost is None else str(cost),
            )
        except OSError as exc:
            page.show_error(
                AppError.local(
                    "Clip not saved",
                    f"The clip could not be written to {self.clips.clips_dir} ({exc}).",
                    "Free some disk space or check the data folder, then generate again.",
                )
            )
            return None

    def _on_speech_failed(
        self, request: SpeechRequest, progress: SpeechProgress, error: AppError
    ) -> None:
        self.live.stop()
        page = self.view.speech
        if error.kind is ErrorKind.CONNECTION and progress.audio:
            error = AppError(
                ErrorKind.CONNECTION,
                "Connection dropped",
                "The connection dropped before the whole clip had arrived, so it was not saved.",
                "Your text and settings are kept: press Generate to try again.",
                details=error.details,
            )
        page.show_error(error)
        page.show_result("")
        usage = Usage(characters=len(request.input), estimated=True) if progress.audio else Usage()
        self._record(request.model, Endpoint.SPEECH, usage, None, RequestStatus.ERROR, None)

    def _on_speech_cancelled(self, request: SpeechRequest, progress: SpeechProgress) -> None:
        self.live.stop()
        self.view.speech.show_result("Stopped; nothing was saved.")
        usage = Usage(characters=len(request.input), estimated=True) if progress.audio else Usage()
        self._record(request.model, Endpoint.SPEECH, usage, None, RequestStatus.CANCELLED, None)

    def _update_speech_estimate(self) -> None:
        page = self.view.speech
        page.set_estimate(self._speech_estimate(page.model, page.text_edit.toPlainText()))

    def _speech_estimate(self, model: str, text: str, times: int = 1) -> str:
        if not model:
            return ""
        provider = self.session.profile.price_provider
        prices = self.pricer.prices(model, provider)
        if prices is None:
            return f"Cost: {format_cost(None)} (no price is known for {model})"
        if prices.per_million_characters is not None:
            cost = self.pricer.cost(model, Usage(characters=len(text) * times), provider)
            return (
                f"Cost before sending: {format_cost(cost, estimated=True)} · "
                f"{format_price(prices.per_million_characters)} per 1M characters"
            )
        if prices.input_per_mtok is not None:
            out = (
                ""
                if prices.output_per_mtok is None
                else f" + audio output at {format_price(prices.output_per_mtok)} per 1M tokens"
                " (counted after)"
            )
            if not self.counter.is_loaded(model):
                # Loading an encoding takes a moment: never on the GUI thread while typing.
                self._load_encoding(model)
                rate = format_price(prices.input_per_mtok)
                return f"Cost before sending: text at {rate} per 1M tokens{out}"
            try:
                tokens = self.counter.count(text, model) * times
            except Exception:  # an unknown tokenizer must not break typing
                return f"Cost: {format_cost(None)} (the text cannot be counted for {model})"
            cost = self.pricer.estimate(model, tokens, provider)
            return f"Cost before sending: {format_cost(cost, estimated=True)} for the text{out}"
        return f"Cost: {format_cost(None)}"

    def _load_encoding(self, model: str) -> None:
        """Loads the model's token encoding off the GUI thread, then refreshes the estimates."""
        if self.runner.is_busy("audio-count"):
            return
        loop = asyncio.get_event_loop()

        async def _load() -> None:
            await loop.run_in_executor(None, self.counter.load, model)

        def _done(*_args: object) -> None:
            if self.counter.is_loaded(model):
                self._update_speech_estimate()
                self._update_compare_estimate()

        self.runner.start(_load(), group="audio-count", on_result=_done, on_error=_done)

    # --- clips ---------------------------------------------------------------------------------

    def _show_clips(self, select: str | None = None) -> None:
        self.view.speech.show_clips(self.clips.clips(), select)

    def _load_clip(self, clip: Clip) -> None:
        try:
            path = self.clips.playable_path(clip)
        except OSError as exc:
            self.view.speech.show_error(
                AppError.local("Clip unreadable", f"{clip.file} cannot be read ({exc}).", "")
            )
            return
        self.view.speech.load_clip(clip, path)

    def _on_clip_selected(self, clip_id: str) -> None:
        clip = self.clips.get(clip_id)
        if clip is not None:
            self._load_clip(clip)

    def _on_clip_delete(self, clip_id: str) -> None:
        page = self.view.speech
        if page._current_clip is not None and page._current_clip.id == clip_id:
            page.load_clip(None, None)
        self.clips.remove(clip_id)
        self._show_clips()

    def _on_clip_duration(self, ms: int) -> None:
        clip = self.view.speech._current_clip
        if clip is not None and ms > 0 and not clip.duration_s:
            self.clips.update(clip, duration_s=ms / 1000)
            self._show_clips(select=clip.id)

    def save_clip(self, clip_id: str, target: str) -> None:
        """Copies a clip to `target` (Save as…)."""
        clip = self.clips.get(clip_id)
        page = self.view.speech
        if clip is None:
            return
        try:
            shutil.copyfile(self.clips.path(clip), target)
        except OSError as exc:
            page.show_error(
                AppError.local("Not saved", f"The clip could not be saved to {target} ({exc}).", "")
            )
            return
        page.show_result(f"Saved {Path(target).name}.")

    # --- compare -------------------------------------------------------------------------------

    def _on_compare(self, requests: list[SpeechRequest]) -> None:
        page = self.view.compare
        if not requests:
            return
        problem = requests[0].problem()
        if problem is not None:
            page.show_error(problem)
            return
        page.start_rows(
            [f"{r.voice} · {r.model}" for r in requests], [(r.model, r.voice) for r in requests]
        )
        for index, request in enumerate(requests):
            self.runner.start(
                self.service.speech(request),
                group=COMPARE,
                on_result=functools.partial(self._on_compare_row, index, request),
                on_error=functools.partial(self._on_compare_failed, index, request),
                on_cancel=functools.partial(page.row_cancelled, index),
            )

    def _on_compare_row(self, index: int, request: SpeechRequest, result: SpeechResult) -> None:
        entry = self._record(
            request.model,
            Endpoint.SPEECH,
            result.usage,
            result.latency_ms,
            RequestStatus.OK,
            result.request_id,
        )
        clip = self._store_clip(request, result.audio, entry.cost, self.view.compare)
        if clip is None:
            return
        self._show_clips()
        detail = f"{_usage_text(result.usage)} · {format_cost(entry.cost)}"
        self.view.compare.row_done(index, clip, self.clips.playable_path(clip), detail)

    def _on_compare_failed(self, index: int, request: SpeechRequest, error: AppError) -> None:
        self.view.compare.row_failed(index, error)
        self._record(request.model, Endpoint.SPEECH, Usage(), None, RequestStatus.ERROR, None)

    def _update_compare_estimate(self, *_args: object) -> None:
        page = self.view.compare
        requests = page.requests()
        if not requests:
            page.set_estimate("")
            return
        parts = []
        for model in dict.fromkeys(r.model for r in requests):
            n = sum(1 for r in requests if r.model == model)
            parts.append(f"{model} ×{n}: " + self._speech_estimate(model, requests[0].input, n))
        page.set_estimate("\n".join(parts))

    # --- speech to text ------------------------------------------------------------------------

    def use_file(self, path: str) -> None:
        """Checks a picked file (or a finished take) and makes it the source."""
        page = self.view.stt
        try:
            info = check_upload(path)
        except AppError as error:
            page.show_source_error(error)  # the previous source stays chosen
            return
        self._source_info = info
        self._source_seconds = info.duration_s
        page.set_source(
            info.path,
            self._source_text(info),
            take=info.path.parent == self.clips.recordings_dir,
        )
        self._update_stt_estimate()

    def _source_text(self, info: AudioFileInfo) -> str:
        length = format_clock(info.duration_s) if info.duration_s is not None else "measuring…"
        if self._source_seconds is not None:
            length = format_clock(self._source_seconds)
        where = ""
        if info.path.parent == self.clips.recordings_dir:
            where = f" · saved in {info.path.parent}"
        return f"<b>{info.path.name}</b> · {format_size(info.size)} · {length}{where}"

    def _on_source_duration(self, seconds: float) -> None:
        if self._source_info is None or self._source_info.duration_s is not None:
            return
        self._source_seconds = seconds
        self.view.stt.file_info.setText(self._source_text(self._source_info))
        self._update_stt_estimate()

    def _update_stt_estimate(self) -> None:
        page = self.view.stt
        model = page.model
        if not model:
            page.set_estimate("")
            return
        provider = self.session.profile.price_provider
        prices = self.pricer.prices(model, provider)
        if prices is None:
            page.set_estimate(f"Cost: {format_cost(None)} (no price is known for {model})")
            return
        if prices.per_audio_minute is not None:
            rate = f"{format_price(prices.per_audio_minute)} per minute"
            if self._source_seconds is None:
                page.set_estimate(f"Priced at {rate} of audio")
                return
            # The API reports whole seconds of audio; round up so the estimate is not low.
            seconds = float(math.ceil(self._source_seconds - 1e-6))
            cost = self.pricer.cost(model, Usage(audio_seconds=seconds), provider)
            page.set_estimate(
                f"Cost before sending: {format_cost(cost, estimated=True)} for "
                f"{format_clock(self._source_seconds)} at {rate}"
            )
            return
        audio = prices.input_audio_per_mtok or prices.input_per_mtok
        page.set_estimate(
            "Priced per token"
            + ("" if audio is None else f" ({format_price(audio)} per 1M audio tokens)")
            + "; the cost is counted when the transcript arrives."
        )

    def _on_run(self, request: TranscriptionRequest) -> None:
        page = self.view.stt
        problem = request.problem()
        if problem is not None:
            page.show_error(problem)
            return
        try:
            check_upload(request.file, transcription_caps(request.model).max_bytes)
        except AppError as error:
            page.show_error(error)
            return
        page.begin_transcript()
        seconds = self._source_seconds
        self.runner.start(
            self.service.transcribe(request, page.append_text),
            group=STT,
            on_result=lambda result: self._on_transcribed(request, result, seconds),
            on_error=lambda error: self._on_stt_failed(request, error),
            on_cancel=lambda: self._on_stt_cancelled(request),
        )

    def _endpoint(self, request: TranscriptionRequest) -> Endpoint:
        return Endpoint.TRANSLATION if request.task == "translate" else Endpoint.TRANSCRIPTION

    def _on_transcribed(
        self, request: TranscriptionRequest, result: TranscriptionResult, seconds: float | None
    ) -> None:
        usage = result.usage
        if usage is None:
            length = result.transcript.duration_s or seconds
            usage = Usage(
                audio_seconds=length or 0.0, estimated=result.transcript.duration_s is None
            )
        entry = self._record(
            request.model,
            self._endpoint(request),
            usage,
            result.latency_ms,
            RequestStatus.OK,
            result.request_id,
        )
        parts = [
            f"{'Translated' if request.task == 'translate' else 'Transcribed'} in "
            f"{format_duration_ms(result.latency_ms)}",
            _usage_text(usage),
            f"cost {format_cost(entry.cost)}",
        ]
        if result.transcript.language:
            parts.insert(1, f"language {result.transcript.language}")
        self.view.stt.show_transcript(result.transcript, " · ".join(parts))

    def _on_stt_failed(self, request: TranscriptionRequest, error: AppError) -> None:
        page = self.view.stt
        if error.kind is ErrorKind.CONNECTION:
            error = AppError(
                ErrorKind.CONNECTION,
                error.title,
                error.message,
                f"The audio is kept ({request.file.name}): press "
                f"{'Translate' if request.task == 'translate' else 'Transcribe'} to try again.",
                details=error.details,
            )
        page.show_error(error)
        self._record(
            request.model, self._endpoint(request), Usage(), None, RequestStatus.ERROR, None
        )

    def _on_stt_cancelled(self, request: TranscriptionRequest) -> None:
        self.view.stt.result_info.setText("Stopped.")
        self._record(
            request.model, self._endpoint(request), Usage(), None, RequestStatus.CANCELLED, None
        )

    def save_take(self, target: str) -> None:
        """Copies the current microphone take to `target` (it stays in the recordings folder)."""
        page = self.view.stt
        if page.source is None:
            return
        try:
            shutil.copyfile(page.source, target)
        except OSError as exc:
            page.show_source_error(
                AppError.local("Not saved", f"The take could not be saved to {target} ({exc}).", "")
            )
            return
        page.source_message.show_note(f"Saved a copy as {Path(target).name}.")

    def save_transcript(self, target: str) -> None:
        page = self.view.stt
        if page.transcript is None:
            return
        suffix = Path(target).suffix.lower().lstrip(".") or page.transcript.suffix
        try:
            Path(target).write_text(save_text(page.transcript, suffix), encoding="utf-8")
        except OSError as exc:
            page.show_error(
                AppError.local("Not saved", f"The transcript could not be saved ({exc}).", "")
            )
            return
        page.result_info.setText(f"Saved {Path(target).name}.")

    # --- devices and recording -----------------------------------------------------------------

    def _ensure_devices(self) -> AudioDevices:
        if self.devices is None:
            self.devices = AudioDevices(self)
            self.devices.changed.connect(self.refresh_devices)
        return self.devices

    def devices_have_output(self) -> bool:
        return self._ensure_devices().has_output()

    def refresh_devices(self) -> None:
        devices = self._ensure_devices()
        inputs = devices.inputs()
        note = ""
        if inputs and not devices.has_output():
            note = "No speaker was found: takes are recorded and transcribed, but cannot be played."
        self.view.stt.set_devices(inputs, note)

    def _on_record_toggled(self, start: bool) -> None:
        page = self.view.stt
        if not start:
            self.recorder.stop()
            return
        self.refresh_devices()
        device = page.device_id
        if not device:
            return
        try:
            path = self.clips.new_recording_path()
        except OSError as exc:
            page.show_source_error(
                AppError.local(
                    "Cannot record", f"The recordings folder is not writable ({exc}).", ""
                )
            )
            return
        page.player.stop()
        page.source_message.clear_message()
        if self.recorder.start(device, path):
            page.set_recording(True)

    def _on_level(self, level: float) -> None:
        self._level = level

    def _on_record_progress(self, seconds: float) -> None:
        self.view.stt.set_record_progress(self._level, seconds)
        if seconds >= MAX_TAKE_SECONDS and self.recorder.recording:
            self.recorder.stop()  # a longer take could not be uploaded
            self.view.stt.device_note.show_note(
                f"Recording stopped at {format_clock(seconds)}: a longer take would exceed the "
                "25 MB upload limit."
            )

    def _on_take_saved(self, path: str, seconds: float) -> None:
        page = self.view.stt
        page.set_recording(False)
        page.set_record_progress(0.0, seconds)
        if seconds <= 0:
            Path(path).unlink(missing_ok=True)
            page.show_source_error(
                AppError.local(
                    "Nothing recorded",
                    "The microphone delivered no sound.",
                    "Check that it is not muted, or choose another one.",
                )
            )
            return
        self.use_file(path)

    def _on_record_failed(self, text: str) -> None:
        page = self.view.stt
        page.set_recording(False)
        page.show_source_error(AppError.local("Recording problem", text, ""))

    # --- shared --------------------------------------------------------------------------------

    def _on_busy_changed(self, group: str, busy: bool) -> None:
        if group == SPEECH:
            self.view.speech.set_busy(busy)
        elif group == COMPARE:
            self.view.compare.set_busy(busy)
        elif group == STT:
            self.view.stt.set_busy(busy)

    def _record(
        self,
        model: str,
        endpoint: Endpoint,
        usage: Usage,
        latency_ms: float | None,
        status: RequestStatus,
        request_id: str | None,
    ) -> LedgerEntry:
        entry = self.ctx.counters.record(
            profile=self.session.profile,
            model=model,
            endpoint=endpoint,
            usage=usage,
            latency_ms=latency_ms,
            status=status,
            request_id=request_id,
        )
        return entry


class _PageShot:
    """What the screenshot code grabs for a page: the whole window with that page showing, then
    back to the first page (the tab's own picture shows Text to speech)."""

    def __init__(self, pages: Any, page: Any, setup: Any = None) -> None:
        self._pages = pages
        self._page = page
        self._setup = setup

    def grab(self) -> Any:
        from PySide6.QtWidgets import QApplication

        self._pages.setCurrentWidget(self._page)
        if self._setup is not None:
            self._setup(True)
        QApplication.processEvents()
        picture = self._pages.window().grab()
        if self._setup is not None:
            self._setup(False)
        self._pages.setCurrentIndex(0)
        return picture


def _usage_text(usage: Usage) -> str:
    if usage.characters:
        return f"{usage.characters:,} characters"
    if usage.audio_seconds:
        return f"{'≈' if usage.estimated else ''}{format_clock(usage.audio_seconds)} of audio"
    if usage.total_tokens:
        return f"{usage.input_tokens:,} in / {usage.output_tokens:,} out tokens"
    return "no usage reported"


def _duration_of(audio: bytes, fmt: str) -> float | None:
    if fmt == "pcm":
        return len(audio) / (PCM_RATE * 2)
    if fmt == "wav":
        import io

        try:
            with wave.open(io.BytesIO(audio)) as wav:
                frames = wav.getnframes()
                # Streamed WAVs carry a placeholder length; count what arrived instead.
                data_bytes = len(audio) - 44
                if frames <= 0 or frames * wav.getsampwidth() * wav.getnchannels() > data_bytes:
                    frames = data_bytes // max(wav.getsampwidth() * wav.getnchannels(), 1)
                return float(frames) / float(wav.getframerate())
        except (wave.Error, EOFError, RuntimeError, ValueError):
            return None
    return None
