"""The model pickers of Images, Audio, Embeddings and Moderation against a dated model list.

The fake server lists ``RETIREMENT_MODELS`` (image models past their date, every speech model
retiring within 30 days, chat and transcription models later, undated successors); the list is
fetched through the real SDK and each controller is told "today" is 2026-12-07.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openai
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyleOptionViewItem

from playground.core.api.catalog import CatalogSnapshot, ModelCatalog
from playground.core.api.retirements import ModelChoice, Retirement
from playground.ui.common.model_picker import ModelCombo
from tests.conftest import MakeParts
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.scenario import RETIREMENT_MODELS, RETIREMENT_TODAY

TODAY = date.fromisoformat(RETIREMENT_TODAY)
EXTRA = (
    # Retired models of the kinds RETIREMENT_MODELS has none of, for those tabs' toggles.
    {"id": "text-embedding-ada-002", "created": 1671217299, "shutdown_date": "2026-11-01"},
    {"id": "text-moderation-stable", "created": 1660000000, "shutdown_date": "2026-10-01"},
)


@pytest.fixture
def parts(make_parts: MakeParts, qloop: Any, fake_openai: FakeOpenAI) -> Any:
    """Services, a runner, the counters and the dated model list as the catalog fetched it."""

    fake_openai.scenario.models = [*RETIREMENT_MODELS, *EXTRA]
    fake_openai.scenario.today = RETIREMENT_TODAY
    made = make_parts()

    async def _fetch() -> CatalogSnapshot:
        client = openai.AsyncOpenAI(
            base_url=fake_openai.base_url, api_key="sk-test-0123456789", max_retries=0
        )
        try:
            return await ModelCatalog(None).refresh(client, "openai")
        finally:
            await client.close()

    return SimpleNamespace(
        services=made.services,
        runner=made.runner,
        counters=made.counters,
        snapshot=qloop.run_until_complete(_fetch()),
        home=made.home,
    )


def _today() -> date:
    return TODAY


def _tooltips(combo: ModelCombo) -> dict[str, str]:
    return {
        combo.itemText(i): str(combo.itemData(i, Qt.ItemDataRole.ToolTipRole) or "")
        for i in range(combo.count())
    }


def _shown(widget: Any) -> bool:
    return not widget.isHidden()


def test_the_combo_keeps_the_id_as_text_and_draws_the_badge(qtbot: Any) -> None:
    combo = ModelCombo()
    qtbot.addWidget(combo)
    soon = ModelChoice(
        "gpt-4o",
        Retirement.SCHEDULED,
        badge="retires 14 Jan",
        tooltip="gpt-4o retires on 14 Jan 2027 (in 38 days). Suggested replacement: gpt-6-luna.",
    )
    combo.set_choices([soon, "gpt-6-luna"], "gpt-4o")
    assert combo.currentText() == "gpt-4o"  # requests read the id
    assert combo.shown() == "gpt-4o · retires 14 Jan"
    assert combo.shown(1) == "gpt-6-luna"
    assert "Suggested replacement: gpt-6-luna" in combo.toolTip()
    # The popup's delegate draws the same text, the model's item text stays the id.
    option = QStyleOptionViewItem()
    drawn = combo.itemDelegate().sizeHint(option, combo.model().index(0, 0))
    plain = combo.itemDelegate().sizeHint(option, combo.model().index(1, 0))
    assert drawn.width() > plain.width()
    assert combo.model().index(0, 0).data() == "gpt-4o"
    combo.resize(320, 30)
    assert not combo.grab().isNull()  # paintEvent with the badge


def test_images_default_is_the_newest_undated_model_and_retired_ones_hide(
    parts: Any, qtbot: Any, wait_until: Any, tmp_path: Path
) -> None:
    from playground.core.images.library import ImageLibrary
    from playground.core.images.service import ImageService
    from playground.ui.images.controller import ImagesController
    from playground.ui.images.tab import ImagesTab

    services = parts.services
    view = ImagesTab()
    qtbot.addWidget(view)
    controller = ImagesController(
        view,
        ImageService(services.session.client),
        ImageLibrary(tmp_path / "pictures"),
        services.session,
        services.accounting,
        services.counter,
        parts.counters,
        parts.runner,
        today=_today,
    )
    wait_until(lambda: not parts.runner.is_busy("images-load"))
    controller.restore_state({"model": "gpt-image-1.5"})  # what the tab used to default to
    controller.show_models(parts.snapshot)
    combo = view.model_combo
    assert view.model() == "gpt-image-2.5-sunburst"  # never the retired gpt-image-1.5
    assert combo.model_ids() == ["gpt-image-2", "gpt-image-2.5-sunburst"]
    assert _shown(combo.retired_toggle)
    assert combo.retired_toggle.text() == "Show retired (2)"
    assert not _shown(combo.note)

    combo.retired_toggle.setChecked(True)
    assert combo.model_ids() == [
        "gpt-image-1-mini",
        "gpt-image-1.5",
        "gpt-image-2",
        "gpt-image-2.5-sunburst",
    ]
    assert _tooltips(combo)["gpt-image-1.5"] == (
        "gpt-image-1.5 was retired on 1 Dec 2026: requests to it fail. "
        "Suggested replacement: gpt-image-2."
    )
    combo.setCurrentText("gpt-image-1.5")  # picked anyway: explained under the box
    assert view.model() == "gpt-image-1.5"
    assert combo.shown() == "gpt-image-1.5 · retired 1 Dec"
    assert _shown(combo.note)
    assert "was retired on 1 Dec 2026" in combo.note.text()

    combo.retired_toggle.setChecked(False)  # hiding it again falls back to the default
    assert view.model() == "gpt-image-2.5-sunburst"
    assert "gpt-image-1.5" not in combo.model_ids()
    assert not _shown(combo.note)


def test_audio_pickers_badge_every_dated_model_and_flag_the_all_dated_default(
    parts: Any, qtbot: Any
) -> None:
    from playground.core.audio.clips import ClipStore
    from playground.core.audio.service import AudioService
    from playground.ui.audio.controller import AudioController
    from playground.ui.audio.media import AudioDevices, LivePlayer, Recorder
    from playground.ui.audio.tab import AudioTab

    services = parts.services
    view = AudioTab()
    qtbot.addWidget(view)
    controller = AudioController(
        view,
        AudioService(services.session.client),
        ClipStore.under(parts.home / "data"),
        LivePlayer(view),
        Recorder(view),
        lambda: AudioDevices(view),
        services.session,
        services.pricer,
        services.counter,
        parts.counters,
        parts.runner,
        today=_today,
    )
    try:
        controller.show_models(parts.snapshot)
        speech = view.speech.model_combo
        # Every speech model retires on 2027-01-06: the latest date is chosen, and says so.
        assert view.speech.model == "gpt-4o-mini-tts"
        assert speech.shown() == "gpt-4o-mini-tts · retires 6 Jan · latest date"
        assert speech.shown(speech.findText("tts-1")) == "tts-1 · retires 6 Jan"
        assert _shown(speech.note)
        assert speech.note.text().startswith("Every listed speech model has a shutdown date")
        assert "gpt-realtime-2.1-mini (through the Realtime API" in _tooltips(speech)["tts-1"]
        assert not _shown(speech.retired_toggle)  # nothing retired to show

        stt = view.stt.model_combo
        assert view.stt.model == "gpt-transcribe"  # the undated successor
        assert stt.shown(stt.findText("whisper-1")) == "whisper-1 · retires 26 Feb"
        assert _tooltips(stt)["whisper-1"].startswith(
            "whisper-1 retires on 26 Feb 2027 (in 81 days). Suggested replacement: gpt-transcribe"
        )
        assert not _shown(stt.note)
        # Picking a dated model shows its badge in the (editable) box.
        stt.setCurrentText("whisper-1")
        assert view.stt.model == "whisper-1"
        assert stt.shown() == "whisper-1 · retires 26 Feb"
        # A model typed by hand that the list lacks is kept when the list comes again.
        view.speech.model_combo.setEditText("my-own-tts")
        controller.show_models(parts.snapshot)
        assert view.speech.model == "my-own-tts"
    finally:
        controller.shutdown()


def test_embeddings_picker_hides_the_retired_model_and_defaults_by_the_kinds_rule(
    parts: Any, qtbot: Any
) -> None:
    from playground.core.embeddings.cache import EmbeddingCache
    from playground.core.embeddings.service import EmbeddingService
    from playground.ui.embeddings.controller import EmbeddingsController
    from playground.ui.embeddings.tab import EmbeddingsTab

    services = parts.services
    tab = EmbeddingsTab()
    qtbot.addWidget(tab)
    EmbeddingsController(
        tab,
        EmbeddingService(services.session.client),
        EmbeddingCache(None),
        services.session,
        services.pricer,
        services.counter,
        parts.counters,
        parts.runner,
        today=_today,
    ).show_models(parts.snapshot)
    combo = tab.model_combo
    assert tab.model() == "text-embedding-3-small"
    assert combo.model_ids() == ["text-embedding-3-large", "text-embedding-3-small"]
    assert combo.retired_toggle.text() == "Show retired (1)"
    combo.retired_toggle.setChecked(True)
    assert "text-embedding-ada-002" in combo.model_ids()
    assert _tooltips(combo)["text-embedding-ada-002"].startswith(
        "text-embedding-ada-002 was retired on 1 Nov 2026"
    )
    assert tab.model() == "text-embedding-3-small"  # showing them does not pick one


def test_moderation_picker_hides_the_retired_model_and_keeps_the_alias(
    parts: Any, qtbot: Any
) -> None:
    from playground.core.moderation.service import ModerationService
    from playground.ui.moderation.controller import ModerationController
    from playground.ui.moderation.tab import ModerationTab

    services = parts.services
    view = ModerationTab()
    qtbot.addWidget(view)
    controller = ModerationController(
        view,
        ModerationService(services.session.client),
        services.session,
        parts.runner,
        services.accounting,
        parts.counters,
        today=_today,
    )
    view.set_models(["text-moderation-stable"], "text-moderation-stable")  # an old choice
    controller.show_models(parts.snapshot)
    combo = view.model_combo
    assert view.current_model() == "omni-moderation-latest"
    assert combo.model_ids() == ["omni-moderation-latest"]
    assert _shown(combo.retired_toggle)
    combo.retired_toggle.setChecked(True)
    combo.setCurrentText("text-moderation-stable")
    assert combo.shown() == "text-moderation-stable · retired 1 Oct"
    assert "was retired on 1 Oct 2026" in combo.note.text()
