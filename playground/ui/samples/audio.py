"""Sample content of the Audio tab for `--screenshot`: a clip history, a voice comparison and a
transcript, without the network; then pictures of the Text to speech page on the realtime route
(a live session, as after 2027-01-06), of the Voice chat page in the middle of a chat (a
function call waiting for its result), and of the Compare and Speech-to-text pages (one of them
translating a take while it is recorded).

Only the controller's and the view's public methods are used.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QApplication, QWidget

from playground.core.audio.files import pcm_to_wav
from playground.core.audio.service import SpeechRequest
from playground.core.audio.transcripts import Segment, Transcript
from playground.core.audio.voicechat import ASSISTANT, TOOL, USER, SavedVoiceChat, VoiceTurn
from playground.core.models import Usage
from playground.ui.audio.controller import AudioController
from playground.ui.audio.tab import AudioTab

if TYPE_CHECKING:
    from playground.ui.common.feature import FeatureController

REALTIME = "gpt-realtime-2.1-mini"


def fill(controller: FeatureController) -> list[tuple[str, QWidget]]:
    """Fills the three pages; returns pictures of the Compare and Speech-to-text pages."""
    assert isinstance(controller, AudioController)
    view = controller.view
    speech, compare, stt = view.speech, view.compare, view.stt
    speech.set_models(["gpt-4o-mini-tts", "tts-1", "tts-1-hd"], "gpt-4o-mini-tts")
    speech.set_voice("coral")
    speech.set_instructions("Speak calmly, like a teacher.")
    speech.set_text(
        "Welcome to the Playground. Type any text, choose a voice, and press Generate "
        "to hear it spoken aloud."
    )
    tone = pcm_to_wav(bytes(48_000 * 3))
    live = SpeechRequest(REALTIME, "marin", speech.text(), "Warm and unhurried.", 1.0, "wav")
    controller.store_clip(live, tone, None)  # the oldest: listed last
    for voice, model in (("coral", "gpt-4o-mini-tts"), ("onyx", "tts-1"), ("nova", "tts-1")):
        request = SpeechRequest(model, voice, speech.text(), "", 1.0, "wav")
        controller.store_clip(request, tone, Decimal("0.0016"))
    clips = controller.clips.clips()
    controller.show_clips(select=clips[0].id if clips else None)
    if clips:
        speech.load_clip(clips[0], controller.clips.playable_path(clips[0]))
        speech.set_player_time("0:00 / 0:03")
    result = "Done in 1.4 s · first audio after 310 ms · 113 in / 150 out tokens"
    speech.show_result(result)
    compare.set_text("The quick brown fox jumps over the lazy dog.")
    compare.set_models(["gpt-4o-mini-tts", "tts-1"], ["gpt-4o-mini-tts"])
    compare.set_checked_voices(["alloy", "coral", "sage"])
    voices = ("alloy", "coral", "sage")
    compare.start_rows(
        [f"{v} · gpt-4o-mini-tts" for v in voices], [("gpt-4o-mini-tts", v) for v in voices]
    )
    for index, clip in enumerate(clips[:3]):
        compare.row_done(index, clip, controller.clips.playable_path(clip), "0:03 · $0.0016")
        compare.set_row_time(index, "0:00 / 0:03")
    stt.set_models(["gpt-4o-transcribe", "whisper-1"], "whisper-1")
    stt.set_format("verbose_json")
    stt.set_source(Path("interview.m4a"), "<b>interview.m4a</b> · 4.2 MB · 4:31", playable=False)
    stt.set_player_time("0:00 / 4:31")
    controller.set_source_length(271.0)
    segments = (
        Segment(0.0, 4.2, "Thanks for joining us today."),
        Segment(4.2, 9.8, "Let's start with how the project began."),
        Segment(9.8, 16.5, "It started as a weekend experiment with a few friends."),
        Segment(16.5, 21.0, "Nobody expected it to grow this quickly."),
    )
    stt.set_word_timings(True)
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

    def realtime_route(on: bool) -> None:
        # After 2027-01-06 the model list has no speech-endpoint model: a live session speaks.
        if on:
            speech.set_models([REALTIME, "gpt-realtime-2.1"], REALTIME)
            speech.set_voice("marin")
            speech.set_instructions("Warm and unhurried.")
            speech.show_result(
                "Done in 1.1 s · first audio after 240 ms · 121 in / 96 out tokens "
                "(84 audio out) · cost $0.0018"
            )
        else:
            speech.set_models(["gpt-4o-mini-tts", "tts-1", "tts-1-hd"], "gpt-4o-mini-tts")
            speech.set_voice("coral")
            speech.set_format("mp3")
            speech.set_instructions("Speak calmly, like a teacher.")
            speech.show_result(result)

    chat_page = view.voice

    def realtime_chat() -> None:
        chat_page.set_models([REALTIME, "gpt-realtime-2.1"], REALTIME)
        chat_page.voice_combo.setCurrentText("cedar")
        chat_page.tools_edit.setPlainText(
            '[{"name": "get_weather", "description": "Weather for a city"}]'
        )

    realtime_chat()
    chat_page.set_devices([("mic", "Built-in microphone")])
    chat_page.instructions.setPlainText("You are a patient language tutor. Keep answers short.")
    chat_page.set_history(
        [
            SavedVoiceChat(
                "a1", "How do I say good morning in Italian?", "2026-12-07T09:12", 6, "0.0214"
            ),
            SavedVoiceChat("a2", "Plan a short walk in Oslo", "2026-12-06T17:40", 4, ""),
        ]
    )
    half_second = bytearray(24_000)
    chat = [
        VoiceTurn(USER, "u1", "How do I say good morning in Italian?", half_second, done=True),
        VoiceTurn(
            ASSISTANT,
            "a1",
            "You say “buongiorno”. Try it: bwon-JOR-no.",
            bytearray(96_000),
            usage=Usage(input_tokens=312, output_tokens=140, output_audio_tokens=120),
            cost=Decimal("0.0031"),
            done=True,
        ),
        VoiceTurn(
            USER, "u2", "Buongiorno! And what is the weather in Rome?", half_second, done=True
        ),
        VoiceTurn(TOOL, "c1", '{"city": "Rome"}', name="get_weather", call_id="c1"),
    ]

    def voice_chat(on: bool) -> None:
        chat_page.set_running(on)
        if on:
            chat_page.set_devices([("mic", "Built-in microphone")])  # the machine may have none
            chat_page.show_turns(chat, "sample")
            chat_page.set_level(0.42)
            chat_page.set_state("The model called get_weather: type its result.")
            chat_page.show_cost("Last answer $0.0031 · this chat $0.0094 · $0.0061 per minute")
            chat_page.ask_tool_result("get_weather", '{"city": "Rome"}')

    live_chat = [
        VoiceTurn(USER, "", "Can you help me plan dinner for six?", half_second, done=True),
        VoiceTurn(
            ASSISTANT,
            "",
            "Of course. Any allergies, or shall I suggest a simple pasta night?",
            bytearray(96_000),
            usage=Usage(audio_seconds=9),
            done=True,
        ),
    ]

    def voice_live(on: bool) -> None:
        # gpt-live-1.1 in the model list: the Live API is a second choice.
        chat_page.set_running(on)
        if on:
            chat_page.set_models([REALTIME, "gpt-realtime-2.1", "gpt-live-1.1"], "gpt-live-1.1")
            chat_page.voice_combo.setCurrentText("willow")
            chat_page.tools_edit.clear()
            chat_page.set_devices([("mic", "Built-in microphone")])
            chat_page.show_turns(live_chat, "sample-live")
            chat_page.set_level(0.3)
            chat_page.set_state("Listening…")
            chat_page.show_cost("Last answer — · this chat — (no price listed for gpt-live-1.1)")
        else:
            realtime_chat()

    whisper_transcript = stt.transcript

    def whisper_page() -> None:
        """The Speech to text page as its main picture shows it."""
        stt.set_models(["gpt-4o-transcribe", "whisper-1"], "whisper-1")
        stt.set_format("verbose_json")
        if whisper_transcript is not None:
            stt.show_transcript(
                whisper_transcript,
                "Transcribed in 3.2 s · language english · 4:31 of audio · cost $0.0271",
            )

    translated = (
        "Good morning, everyone. The meeting starts at nine and ends at noon; lunch is "
        "in the main hall."
    )

    def live_translation(on: bool) -> None:
        # After 2027-02-26: a compressed file translated through a live session, with its speech.
        if on:
            stt.set_models(["gpt-transcribe"], "gpt-transcribe")
            stt.set_live_translator("gpt-realtime-translate")
            stt.translate_radio.setChecked(True)
            stt.show_transcript(
                Transcript(translated, "text", translated, duration_s=12.0, task="translate"),
                "Translated in 2.1 s · 0:12 of audio · cost $0.0068 · the spoken English is also in "
                "Text to speech's history",
            )
            spoken = controller.clips.clips()
            if spoken:
                stt.show_translated_speech(controller.clips.playable_path(spoken[-1]))
        else:
            stt.show_translated_speech(None)
            stt.transcribe_radio.setChecked(True)
            stt.set_live_translator("")
            whisper_page()

    def gpt_transcribe(on: bool) -> None:
        # After 2027-02-26 files go to gpt-transcribe: known speakers label the segments.
        if on:
            stt.set_models(["gpt-transcribe", "whisper-1"], "gpt-transcribe")
            stt.set_format("diarized_json")
            stt.options.languages_edit.setText("en, no")
            stt.options.keywords_edit.setText("Playground, Oslo")
            stt.options.chunking_check.setChecked(True)
            if not stt.options.known_speakers:
                stt.options.add_speaker("Ingrid", Path("ingrid-sample.wav"))
                stt.options.add_speaker("Tom", Path("tom-sample.wav"))
            labelled = tuple(
                Segment(seg.start, seg.end, seg.text, ("Ingrid", "Tom")[i % 2])
                for i, seg in enumerate(segments)
            )
            stt.show_transcript(
                Transcript(
                    " ".join(seg.text for seg in labelled),
                    "diarized_json",
                    "{}",
                    labelled,
                    duration_s=271.0,
                ),
                "Transcribed in 2.9 s · 2 speakers · 4:31 of audio · cost $0.0203",
            )
        else:
            whisper_page()

    def live_microphone(on: bool) -> None:
        # A live transcription model is listed: the words can be written down while recording.
        stt.set_live_transcriber("gpt-live-transcribe" if on else "")
        stt.use_microphone(on)

    def translating_live(on: bool) -> None:
        # Translate as I speak: the English grows while the take is recorded, what was said in
        # its own language on the quieter line under it.
        if on:
            stt.set_models(["gpt-transcribe"], "gpt-transcribe")
            stt.set_live_transcriber("gpt-live-transcribe")
            stt.set_live_translator("gpt-realtime-translate")
            stt.use_microphone(True)
            stt.set_devices([("sample-mic", "Built-in microphone")])
            stt.translate_radio.setChecked(True)
            stt.live_check.setChecked(True)
            stt.set_recording(True)
            stt.set_record_progress(0.42, 9.0)
            stt.begin_live_translation("")
            stt.show_live_translation(
                "Good morning, everyone. The meeting starts at nine",
                "Guten Morgen zusammen. Das Treffen beginnt um neun",
                "Translating as you speak (gpt-realtime-translate)…",
            )
        else:
            stt.set_recording(False)
            stt.set_record_progress(0.0, 0.0)
            stt.live_check.setChecked(False)
            stt.transcribe_radio.setChecked(True)
            stt.set_live_translator("")
            stt.set_live_transcriber("")
            stt.use_microphone(False)
            controller.refresh_devices()
            stt.begin_transcript()
            whisper_page()

    return [
        ("voice-chat", _PageShot(view, chat_page, voice_chat)),
        ("stt-translating-live", _PageShot(view, stt, translating_live)),
        ("voice-chat-live", _PageShot(view, chat_page, voice_live)),
        ("stt-live-translation", _PageShot(view, stt, live_translation)),
        ("stt-gpt-transcribe", _PageShot(view, stt, gpt_transcribe)),
        ("speech-realtime", _PageShot(view, speech, realtime_route)),
        ("compare", _PageShot(view, compare)),
        ("stt", _PageShot(view, stt)),
        ("stt-microphone", _PageShot(view, stt, live_microphone)),
    ]


class _PageShot(QWidget):
    """What the screenshot code grabs for a page: the whole window with that page showing, then
    back to the first page (the tab's own picture shows Text to speech)."""

    def __init__(
        self, tab: AudioTab, page: QWidget, setup: Callable[[bool], None] | None = None
    ) -> None:
        super().__init__(tab)
        self.setVisible(False)
        self._tab = tab
        self._page = page
        self._setup = setup

    def grab(self, *_args: object) -> QPixmap:
        self._tab.show_page(self._page)
        if self._setup is not None:
            self._setup(True)
        QApplication.processEvents()
        QApplication.processEvents()  # layouts posted by the first round (scroll areas) settle
        picture = self._tab.window().grab()
        if self._setup is not None:
            self._setup(False)
        self._tab.show_page(0)
        return picture
