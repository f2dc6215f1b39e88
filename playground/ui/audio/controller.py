"""Runs the Audio tab: speech, voice comparison, transcription and translation, recording.

The pages emit intents; this controller checks them (`problem()`, `check_upload`), runs the
requests through the `TaskRunner` (groups `audio-speech`, `audio-compare`, `audio-stt`), stores
clips, writes one ledger row per request (Endpoint SPEECH, TRANSCRIPTION or TRANSLATION) and
shows the cost before (estimate) and after (ledger). Nothing recorded or generated is lost on a
failure: takes are on disk before upload, clips are stored before they are listed, text stays.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import math
import shutil
import wave
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from playground.core.api.capabilities import ModelKind
from playground.core.api.catalog import CatalogSnapshot
from playground.core.api.errors import AppError, ErrorKind
from playground.core.api.retirements import ModelChoice, retired_error
from playground.core.audio.clips import Clip, ClipStore
from playground.core.audio.files import (
    AudioFileInfo,
    WavStreamReader,
    check_upload,
    format_clock,
    format_size,
)
from playground.core.audio.live_translate import RATE as LIVE_RATE
from playground.core.audio.live_translate import is_translation_model
from playground.core.audio.models import (
    LIVE_FORMATS,
    PCM_RATE,
    UPLOAD_MAX_BYTES,
    speech_choices,
    speech_route,
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
from playground.core.audio.voicechat import VOICE_RATE, VoiceStore, transcribe_model_for
from playground.core.models import Endpoint, LedgerEntry, ModelInfo, RequestStatus, Usage
from playground.core.money.formatting import format_cost, format_duration_ms, format_price
from playground.ui.audio.live_stt import LiveTranscriber
from playground.ui.audio.live_translation import LiveTranslator
from playground.ui.audio.media import RECORD_RATE, AudioDevices, Decoder, LivePlayer, Recorder
from playground.ui.audio.tab import AudioTab, ComparePage, SpeechPage, SpeechToTextPage
from playground.ui.audio.voice_controller import VoiceChatController
from playground.ui.common.feature import FeatureController

if TYPE_CHECKING:
    from playground.core.api.session import ApiSession
    from playground.core.money.pricing import Pricer
    from playground.core.money.tokens import TokenCounter
    from playground.core.storage.settings import Settings
    from playground.ui.shell.bridge import TaskRunner
    from playground.ui.shell.counters import CountersController

log = logging.getLogger(__name__)

SPEECH, COMPARE, STT = "audio-speech", "audio-compare", "audio-stt"
#: The longest take that still fits the upload limit (16 kHz mono 16-bit WAV).
MAX_TAKE_SECONDS = (UPLOAD_MAX_BYTES - 44) / (RECORD_RATE * 2)


class AudioController(FeatureController):
    """Wires the Audio tab to the audio service, the clip store, the ledger and the counters.

    Args:
        view: the tab it runs.
        service: sends the requests.
        clips: where clips and microphone takes are stored.
        live: plays speech as it arrives.
        recorder: records microphone takes.
        devices: makes the audio device list, the first time it is needed (it is slow to build).
        session: the provider profile (picks the prices).
        pricer: prices the estimates.
        counter: counts the text's tokens for the estimates.
        counters: writes the ledger rows and shows them in the status bar.
        runner: runs the requests and the blocking work.
        parent: the controller's QObject parent (the window).
        today: what day it is (judges which models are retired; tests pass a fixed date).
    """

    busy_groups = (SPEECH, COMPARE, STT)

    def __init__(
        self,
        view: AudioTab,
        service: AudioService,
        clips: ClipStore,
        live: LivePlayer,
        recorder: Recorder,
        devices: Callable[[], AudioDevices],
        session: ApiSession,
        pricer: Pricer,
        counter: TokenCounter,
        counters: CountersController,
        runner: TaskRunner,
        parent: QObject | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        super().__init__(view, parent)
        self.today = today
        self._listed: tuple[ModelInfo, ...] | None = None  # the model list, with shutdown dates
        self.view: AudioTab = view
        self.runner = runner
        self.session = session
        self.pricer = pricer
        self.counter = counter
        self.counters = counters
        self.service = service
        self.clips = clips
        self.live = live
        self.recorder = recorder
        self._make_devices = devices
        self.devices: AudioDevices | None = None
        self._source_info: AudioFileInfo | None = None
        self._source_seconds: float | None = None
        self._saved: dict[str, Any] = {}
        self._decode_note = ""  # what decoding a compressed file for a live session lost

        speech, compare, stt = view.speech, view.compare, view.stt
        speech.generate_requested.connect(self._on_generate)
        speech.stop_requested.connect(lambda: self.runner.cancel(SPEECH))
        speech.draft_changed.connect(self._update_speech_estimate)
        speech.clip_selected.connect(self._on_clip_selected)
        speech.clip_delete_requested.connect(self._on_clip_delete)
        speech.clip_save_requested.connect(self.save_clip)
        speech.clip_duration_changed.connect(self._on_clip_duration)
        compare.compare_requested.connect(self._on_compare)
        compare.stop_requested.connect(lambda: self.runner.cancel(COMPARE))
        compare.save_requested.connect(self.save_clip)
        compare.draft_changed.connect(self._update_compare_estimate)
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
        self.voice = VoiceChatController(
            view.voice,
            session,
            VoiceStore(clips.clips_dir.parent / "conversations"),
            clips.recordings_dir,
            Recorder(self),
            LivePlayer(self),
            self._ensure_devices,
            counters,
            runner,
            parent=self,
        )
        view.pages.currentChanged.connect(self._on_page_changed)
        self.live_stt = LiveTranscriber(stt, session, runner, counters, parent=self)
        self.recorder.audio_ready.connect(self.live_stt.feed)
        self.live_tr = LiveTranslator(stt, session, runner, counters, clips, parent=self)
        self.live_tr.clip_saved.connect(lambda _clip_id: self.show_clips())
        self.recorder.audio_ready.connect(self.live_tr.feed)
        self._level = 0.0
        self._take_rate = RECORD_RATE
        self.show_clips()
        self._update_speech_estimate()
        self._update_stt_estimate()

    # --- FeatureController hooks ---------------------------------------------------------------

    def show_models(self, snapshot: CatalogSnapshot | None) -> None:
        self._listed = snapshot.models if snapshot is not None else None
        speech, stt = self.view.speech, self.view.stt
        want_speech = speech.model or str(self._saved.get("speech_model", ""))
        want_stt = stt.model or str(self._saved.get("stt_model", ""))
        speech_current, speech_default, speech_list = self._models_for(
            snapshot, ModelKind.SPEECH, want_speech, speech.model_combo.shows_retired()
        )
        speech_current, speech_default, speech_list = self._with_realtime(
            snapshot, want_speech, speech_current, speech_default, speech_list
        )
        stt_current, stt_default, stt_choices = self._models_for(
            snapshot, ModelKind.TRANSCRIPTION, want_stt, stt.model_combo.shows_retired()
        )
        speech.set_models(speech_list, speech_current, speech_default)
        voice = str(self._saved.pop("voice", ""))
        if voice:
            speech.set_voice(voice)
        speech_models = [c if isinstance(c, str) else c.id for c in speech_list]
        live_speech = [
            c if isinstance(c, str) else c.id
            for c in speech_list
            if isinstance(c, str) or not c.retired
        ]
        self.view.compare.set_models(
            live_speech or speech_models, list(self._saved.get("compare_models", []))
        )
        voices = self._saved.pop("compare_voices", None)
        if voices:
            self.view.compare.set_checked_voices(list(voices))
        stt.set_models(stt_choices, stt_current, stt_default)
        realtime: list[str | ModelChoice] = []
        if snapshot is not None and snapshot.ids(ModelKind.REALTIME):
            realtime = list(snapshot.picker(ModelKind.REALTIME, self.today()).choices)
        every_id = [m.id for m in snapshot.models] if snapshot is not None else []
        self.voice.show_models(realtime, every_id)
        translator = next((m for m in every_id if is_translation_model(m)), "")
        stt.set_live_translator(translator)
        live = transcribe_model_for(every_id)
        self.live_stt.model = live
        self.live_tr.model = translator
        self.live_tr.source_model = live
        stt.set_live_transcriber(live)
        fmt = str(self._saved.pop("stt_format", ""))
        if fmt:
            stt.set_format(fmt)

    def _with_realtime(
        self,
        snapshot: CatalogSnapshot | None,
        wanted: str,
        current: str,
        default: str,
        listed: list[str | ModelChoice],
    ) -> tuple[str, str, list[str | ModelChoice]]:
        """The speech picker with the realtime models that can speak added after the speech
        endpoint's (preferred first): the speech endpoint while its models live, a live session
        otherwise (its models stop on 2027-01-06)."""
        if snapshot is None or not snapshot.ids(ModelKind.REALTIME):
            return current, default, listed
        picker = snapshot.picker(ModelKind.REALTIME, self.today())
        by_id = {c if isinstance(c, str) else c.id: c for c in picker.choices}
        spoken = speech_choices([], list(by_id))
        extra = [by_id[m] for m in spoken if m in by_id]
        alive = [m for m in spoken if isinstance(by_id[m], str) or not by_id[m].retired]
        if not default and alive:
            default = alive[0]
        if wanted in by_id:
            current = wanted
        elif not current or current not in {c if isinstance(c, str) else c.id for c in listed}:
            current = default
        return current, default, [*listed, *extra]

    def _models_for(
        self, snapshot: CatalogSnapshot | None, kind: ModelKind, wanted: str, show_retired: bool
    ) -> tuple[str, str, list[str | ModelChoice]]:
        """(model to select, default, what the picker lists) for one of the two pickers.

        Retired models are listed for the "Show retired" toggle and never chosen unless it is on;
        a model typed by hand that the list does not have stays (the boxes are editable); with
        no list at all the wanted model is the only entry.
        """
        if snapshot is None or not snapshot.ids(kind):
            return wanted, "", ([wanted] if wanted else [])
        picker = snapshot.picker(kind, self.today())
        default = picker.default.model if picker.default is not None else ""
        listed = snapshot.get(wanted) is not None
        current = picker.pick(wanted, show_retired) if listed or not wanted else wanted
        return current, default, list(picker.choices)

    def restore_state(self, state: dict[str, Any]) -> None:
        self._saved = dict(state)
        self.view.restore_form(state)
        self.voice.restore(state)

    def save_state(self) -> dict[str, Any]:
        return {**self.view.form_state(), **self.voice.state()}

    def apply_settings(self, settings: Settings) -> None:  # noqa: ARG002 (prices may have changed)
        self._update_speech_estimate()
        self._update_stt_estimate()

    def shutdown(self) -> None:
        self.voice.shutdown()
        self.live_stt.shutdown()
        self.live_tr.shutdown()
        self.recorder.stop()  # the take is completed on disk
        self.live.stop()
        self.view.stop_players()

    # --- speech --------------------------------------------------------------------------------

    def _on_generate(self, request: SpeechRequest, live: bool) -> None:
        page = self.view.speech
        problem = request.problem()
        if problem is not None:
            page.show_error(problem)
            return
        page.clear_error()
        progress = SpeechProgress()
        # A live (Realtime) session hands over raw PCM 24 kHz whatever the file format.
        fed = "pcm" if speech_route(request.model).live else request.response_format
        on_audio = self._live_feed(fed) if live else None
        self.runner.start(
            self.service.speech(request, on_audio, progress),
            group=SPEECH,
            on_result=lambda result: self._on_speech_done(request, result, live),
            on_error=lambda error: self._on_speech_failed(request, progress, error),
            on_cancel=lambda: self._on_speech_cancelled(request, progress),
        )

    def _live_feed(self, fmt: str) -> Callable[[bytes], None] | None:
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

    def store_clip(self, request: SpeechRequest, audio: bytes, cost: Decimal | None) -> Clip | None:
        """Stores a clip made elsewhere (errors are shown on the speech page)."""
        return self._store_clip(request, audio, cost, self.view.speech)

    def _on_speech_done(self, request: SpeechRequest, result: SpeechResult, live: bool) -> None:
        page = self.view.speech
        if self.live.active:
            self.live.finish()
        entry = self._record(
            request.model,
            Endpoint.SPEECH,
            result.usage,
            result.latency_ms,
            RequestStatus.ERROR if result.interrupted else RequestStatus.OK,
            result.request_id,
        )
        clip = self._store_clip(request, result.audio, entry.cost, page)
        detail = [
            f"Done in {format_duration_ms(result.latency_ms)}",
            f"first audio after {format_duration_ms(result.first_audio_ms)}",
            _usage_text(result.usage),
            f"cost {format_cost(entry.cost)}",
        ]
        if result.live:
            detail[2] += f" ({result.output_audio_tokens:,} audio out)"
        if result.interrupted:
            seconds = _duration_of(result.audio, request.response_format) or 0.0
            detail[0] = (
                f"Interrupted: the live session dropped; the {format_clock(seconds)} that came "
                "are kept in the history"
            )
        page.show_result(" · ".join(detail))
        if clip is None:
            return
        self.show_clips(select=clip.id)
        self._load_clip(clip)
        if not live and self.devices_have_output():
            page.play_clip()

    def _store_clip(
        self,
        request: SpeechRequest,
        audio: bytes,
        cost: Decimal | None,
        page: SpeechPage | ComparePage | SpeechToTextPage,
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
        # A retired model's 404 says so, with its replacement (the page offers "Use <model>").
        error = retired_error(error, request.model, self._listed, self.today())
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
        page.set_estimate(self._speech_estimate(page.model, page.text()))

    def _speech_estimate(self, model: str, text: str, times: int = 1) -> str:
        if not model:
            return ""
        provider = self.session.profile.price_provider
        prices = self.pricer.prices(model, provider)
        if prices is None:
            return f"Cost: {format_cost(None)} (no price is known for {model})"
        if speech_route(model).live:
            # A live session reports its tokens in response.done; the spoken audio is priced at
            # the model's audio-output rate, which dwarfs the text's.
            rate = (
                ""
                if prices.input_per_mtok is None
                else f"text in at {format_price(prices.input_per_mtok)} per 1M tokens; "
            )
            return (
                f"Priced per token: {rate}the spoken audio at {model}'s audio-output rate, "
                "counted from the session's usage after"
            )
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

        async def _load() -> None:
            await self.runner.run_blocking(self.counter.load, model)

        def _done(*_args: object) -> None:
            if self.counter.is_loaded(model):
                self._update_speech_estimate()
                self._update_compare_estimate()

        self.runner.start(_load(), group="audio-count", on_result=_done, on_error=_done)

    # --- clips ---------------------------------------------------------------------------------

    def show_clips(self, select: str | None = None) -> None:
        """Lists the stored clips, `select` chosen."""
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
        current = page.current_clip()
        if current is not None and current.id == clip_id:
            page.load_clip(None, None)
        self.clips.remove(clip_id)
        self.show_clips()

    def _on_clip_duration(self, ms: int) -> None:
        clip = self.view.speech.current_clip()
        if clip is not None and ms > 0 and not clip.duration_s:
            self.clips.update(clip, duration_s=ms / 1000)
            self.show_clips(select=clip.id)

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
        self.show_clips()
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
        self.view.stt.set_source_info(self._source_text(self._source_info))
        self._update_stt_estimate()

    def set_source_length(self, seconds: float) -> None:
        """Takes `seconds` as the chosen source's length (as if the player had measured it) and
        estimates again."""
        self._source_seconds = seconds
        self._update_stt_estimate()

    def _update_stt_estimate(self) -> None:
        page = self.view.stt
        model = page.run_model  # a live translation is billed for its own model
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
        if self.live_tr.active:  # the take is still being translated live: no second charge
            page.show_error(
                AppError.local(
                    "Still translating",
                    "The live translation of the take is finishing.",
                    "Wait a moment; press Translate again only if you want it translated anew.",
                )
            )
            return
        if request.needs_decoding:
            try:
                check_upload(request.file)
            except AppError as error:
                page.show_error(error)
                return
            page.begin_transcript()
            page.show_result_info(f"Converting {request.file.name} to WAV…")
            self._decode_note = ""
            self.runner.start(
                self._decoded(request),
                group=STT,
                on_result=self._on_run,
                on_error=lambda error: self._on_stt_failed(request, error),
                on_cancel=lambda: self._on_stt_cancelled(request),
            )
            return
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

    async def _decoded(self, request: TranscriptionRequest) -> TranscriptionRequest:
        """`request` with its compressed file decoded (QAudioDecoder) into a 24 kHz mono WAV
        under `decoded/`, which a live session can read.

        Raises:
            AppError: the file could not be decoded (in plain words).
        """
        done: asyncio.Future[Path] = asyncio.get_running_loop().create_future()

        def _finished(path: str, _seconds: float) -> None:
            if not done.done():
                done.set_result(Path(path))

        def _failed(why: str) -> None:
            if not done.done():
                done.set_exception(
                    AppError.local("Audio not readable", why, "Choose another file.")
                )

        decoder = Decoder(self)
        decoder.finished.connect(_finished)
        decoder.failed.connect(_failed)
        target = self.clips.decoded_dir / f"{request.file.stem}-24k.wav"
        try:
            decoder.start(request.file, target, LIVE_RATE)
            decoded = await done
            if decoder.missing_s >= 0.05:
                self._decode_note = (
                    f"the last {decoder.missing_s:.1f} s of {request.file.name} could not be "
                    "read (a WAV copy of the file avoids that)"
                )
            return dataclasses.replace(request, file=decoded)
        finally:
            decoder.cancel()  # nothing to do once finished; stops and removes a partial file
            decoder.deleteLater()

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
        if request.file.parent == self.clips.decoded_dir and self._decode_note:
            parts.append(self._decode_note)
        clip = self._keep_translated_speech(request, result) if result.speech else None
        if clip is not None:
            parts.append("the spoken English is also in Text to speech's history")
        self.view.stt.show_transcript(result.transcript, " · ".join(parts))
        if clip is not None:
            self.view.stt.show_translated_speech(self.clips.playable_path(clip))

    def _keep_translated_speech(
        self, request: TranscriptionRequest, result: TranscriptionResult
    ) -> Clip | None:
        """Saves a live translation's speech to the clip history (its cost is on the
        translation's ledger row, so the clip carries none)."""
        spoken = SpeechRequest(request.model, "", result.transcript.text, "", 1.0, "wav")
        clip = self._store_clip(spoken, result.speech, None, self.view.stt)
        if clip is not None:
            self.show_clips()
        return clip

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
        error = retired_error(error, request.model, self._listed, self.today())
        page.show_error(error)
        self._record(
            request.model, self._endpoint(request), Usage(), None, RequestStatus.ERROR, None
        )

    def _on_stt_cancelled(self, request: TranscriptionRequest) -> None:
        self.view.stt.show_result_info("Stopped.")
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
        page.show_source_note(f"Saved a copy as {Path(target).name}.")

    def save_transcript(self, target: str) -> None:
        page = self.view.stt
        transcript = page.transcript
        if transcript is None:
            return
        suffix = Path(target).suffix.lower().lstrip(".") or transcript.suffix
        try:
            Path(target).write_text(save_text(transcript, suffix), encoding="utf-8")
        except OSError as exc:
            page.show_error(
                AppError.local("Not saved", f"The transcript could not be saved ({exc}).", "")
            )
            return
        page.show_result_info(f"Saved {Path(target).name}.")

    # --- devices and recording -----------------------------------------------------------------

    def _ensure_devices(self) -> AudioDevices:
        if self.devices is None:
            self.devices = self._make_devices()
            self.devices.changed.connect(self.refresh_devices)
        return self.devices

    def devices_have_output(self) -> bool:
        return self._ensure_devices().has_output()

    def _on_page_changed(self, index: int) -> None:
        if self.view.pages.widget(index) is self.view.voice:
            self.voice.refresh_devices()

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
            self.live_stt.stop()
            self.live_tr.stop()
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
        page.stop_source()
        live = page.live_transcribe
        translating = page.live_translate
        self._take_rate = VOICE_RATE if live or translating else RECORD_RATE
        if self.recorder.start(device, path, self._take_rate):
            page.set_recording(True)
            if live:
                self.live_stt.start()
            elif translating:
                self.live_tr.start()

    def _on_level(self, level: float) -> None:
        self._level = level

    def _on_record_progress(self, seconds: float) -> None:
        self.view.stt.set_record_progress(self._level, seconds)
        longest = (UPLOAD_MAX_BYTES - 44) / (self._take_rate * 2)
        if seconds >= longest and self.recorder.recording:
            self.recorder.stop()  # a longer take could not be uploaded
            self.live_stt.stop()
            self.live_tr.stop()
            self.view.stt.show_device_note(
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
        self.live_tr.stop()  # the microphone stopped on its own: translate what it heard
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
        entry = self.counters.record(
            profile=self.session.profile,
            tab="audio",
            model=model,
            endpoint=endpoint,
            usage=usage,
            latency_ms=latency_ms,
            status=status,
            request_id=request_id,
        )
        return entry


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
