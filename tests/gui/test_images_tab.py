"""The Images tab against the fake server: generate with streamed partials, edit with a painted
mask, variations, the gallery's files and sidecars, and every bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt

from playground.core.models import Endpoint, RequestStatus
from tests.fakes import openai_payloads as payloads
from tests.fakes.openai_server import FakeOpenAI

pytestmark = pytest.mark.gui

MODELS = ["gpt-4o-mini", "gpt-image-1", "gpt-image-1.5"]


def open_tab(
    make_app: Any, wait_until: Any, fake: FakeOpenAI, models: list[str] | None = None
) -> Any:
    fake.scenario.models = list(models or MODELS)
    app = make_app()
    app.window.show_tab("images")
    images = app.feature("images")
    app.controller.refresh_models()
    wait_until(lambda: images.view.model_combo.count() > 0, message="image models never arrived")
    wait_until(lambda: not app.runner.is_busy("images-load"))
    return app, images


def wait_done(app: Any, wait_until: Any) -> None:
    wait_until(lambda: not app.runner.is_busy("images"), message="the request never ended")


def sidecars(app: Any) -> list[dict[str, Any]]:
    folder = app.home / "data" / "images"
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


def write_png(path: Path, width: int, height: int) -> Path:
    path.write_bytes(payloads.make_image(width, height, path.name))
    return path


def test_generate_streams_partials_and_saves_every_picture(
    make_app: Any, wait_until: Any, fake_openai: FakeOpenAI, qtbot: Any
) -> None:
    app, images = open_tab(make_app, wait_until, fake_openai)
    view = images.view
    view.set_model("gpt-image-1.5")
    partials: list[tuple[int, int]] = []
    show_partial = view.show_partial
    view.show_partial = lambda slot, index, pixmap: (
        partials.append((slot, index)),
        show_partial(slot, index, pixmap),
    )
    qtbot.keyClicks(view.prompt, "A lighthouse at dusk")
    view.count_spin.setValue(2)
    view.partials_spin.setValue(2)
    view.quality_combo.setCurrentIndex(view.quality_combo.findData("low"))
    assert view.estimate_label.text().startswith("≈ $")
    qtbot.mouseClick(view.generate_button, Qt.MouseButton.LeftButton)
    wait_done(app, wait_until)

    body = fake_openai.last("/images/generations").json
    assert body is not None
    assert body["stream"] is True
    assert body["partial_images"] == 2
    assert body["quality"] == "low"
    assert body["n"] == 2
    assert partials == [(0, 0), (0, 1), (1, 0), (1, 1)]
    saved = sidecars(app)
    assert len(saved) == 2
    for meta in saved:
        assert meta["prompt"] == "A lighthouse at dusk"
        assert meta["model"] == "gpt-image-1.5"
        assert meta["params"]["quality"] == "low"
        assert meta["request_id"].startswith("req_")
        assert meta["usage"]["image_output_tokens"] == 2 * 272
        assert float(meta["cost"]) > 0
        assert (app.home / "data" / "images" / meta["file"]).exists()
    entry = app.services.ledger.recent(1)[0]
    assert entry.endpoint == Endpoint.IMAGES
    assert entry.status == RequestStatus.OK
    assert entry.cost is not None
    assert entry.cost > 0
    assert view.gallery.list.count() == 2
    assert all(view.result_ids())
    assert "Done: 2 pictures" in view.status_label.text()


def test_ctrl_enter_generates_and_empty_prompt_is_refused(
    make_app: Any, wait_until: Any, fake_openai: FakeOpenAI, qtbot: Any
) -> None:
    app, images = open_tab(make_app, wait_until, fake_openai)
    view = images.view
    qtbot.keyClick(view.prompt, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "Describe the picture" in view.problem_text("prompt")
    assert fake_openai.requests_to("/images/generations") == []
    qtbot.keyClicks(view.prompt, "A cat")
    qtbot.keyClick(view.prompt, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    wait_done(app, wait_until)
    assert len(fake_openai.requests_to("/images/generations")) == 1
    assert view.problem_text("prompt") == ""


def test_aspect_ratio_sizes_are_offered_where_any_size_is_taken(
    make_app: Any, wait_until: Any, fake_openai: FakeOpenAI, qtbot: Any
) -> None:
    app, images = open_tab(make_app, wait_until, fake_openai, [*MODELS, "gpt-image-2"])
    view = images.view
    view.model_combo.setCurrentText("gpt-image-1")
    labels = [view.size_combo.itemText(i) for i in range(view.size_combo.count())]
    assert "1536 × 1024  (3:2)" in labels
    assert not any("16:9" in label for label in labels)
    view.model_combo.setCurrentText("gpt-image-2")
    labels = [view.size_combo.itemText(i) for i in range(view.size_combo.count())]
    assert "1536 × 864  (16:9)" in labels
    assert "3840 × 2160  (16:9)" in labels
    view.size_combo.setCurrentIndex(view.size_combo.findData("864x1536"))
    qtbot.keyClicks(view.prompt, "A tall lighthouse")
    qtbot.keyClick(view.prompt, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    wait_done(app, wait_until)
    [sent] = fake_openai.requests_to("/images/generations")
    assert sent.json["size"] == "864x1536"


def test_over_long_prompt_is_flagged_next_to_the_prompt(
    make_app: Any, wait_until: Any, fake_openai: FakeOpenAI
) -> None:
    _app, images = open_tab(make_app, wait_until, fake_openai)
    view = images.view
    view.prompt.setPlainText("x" * 32_001)
    assert "1 characters over" in view.problem_text("prompt")
    assert "32,001 / 32,000" in view.prompt_count.text()
    view.generate_button.click()
    assert fake_openai.requests_to("/images/generations") == []


def paint(qtbot: Any, canvas: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Drags the brush from `start` to `end` (fractions of the picture)."""
    image = canvas.image()
    zoom = canvas.zoom()

    def at(frac: tuple[float, float]) -> QPoint:
        return QPoint(int(frac[0] * image.width() * zoom), int(frac[1] * image.height() * zoom))

    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=at(start))
    for step in range(1, 6):
        t = step / 5
        qtbot.mouseMove(
            canvas, at((start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t))
        )
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=at(end))


def test_edit_sends_the_picture_and_a_painted_mask_of_its_size(
    make_app: Any, wait_until: Any, fake_openai: FakeOpenAI, qtbot: Any, tmp_path: Path
) -> None:
    app, images = open_tab(make_app, wait_until, fake_openai)
    view = images.view
    source = write_png(tmp_path / "room.png", 320, 240)
    images.add_source_files([str(source)])
    wait_until(lambda: view.sources.count() == 1)
    assert view.mode() == "edit"
    canvas = view.mask_painter.canvas
    assert canvas.image().width() == 320
    view.mask_painter.size_slider.setValue(40)
    paint(qtbot, canvas, (0.1, 0.5), (0.5, 0.5))
    assert not canvas.is_empty()
    qtbot.keyClicks(view.prompt, "Add a lamp")
    view.generate_button.click()
    wait_done(app, wait_until)

    sent = fake_openai.last("/images/edits")
    assert sent.form["prompt"] == "Add a lamp"
    assert sent.files["image"].data == source.read_bytes()
    with Image.open(io.BytesIO(sent.files["mask"].data)) as mask:
        assert mask.format == "PNG"
        assert mask.mode == "RGBA"
        assert mask.size == (320, 240)
        alpha = mask.getchannel("A")
        assert alpha.getpixel((96, 120)) == 0  # painted: editable
        assert alpha.getpixel((300, 20)) == 255  # untouched: kept
    meta = sidecars(app)[0]
    assert meta["mode"] == "edit"
    assert meta["masked"] is True
    assert meta["sources"] == ["room.png"]


def test_mask_tools_undo_redo_clear_invert_eraser(
    make_app: Any, wait_until: Any, fake_openai: FakeOpenAI, qtbot: Any, tmp_path: Path
) -> None:
    _app, images = open_tab(make_app, wait_until, fake_openai)
    view = images.view
    images.add_source_files([str(write_png(tmp_path / "a.png", 200, 100))])
    wait_until(lambda: view.sources.count() == 1)
    painter = view.mask_painter
    canvas = painter.canvas
    assert canvas.is_empty()
    paint(qtbot, canvas, (0.2, 0.5), (0.4, 0.5))
    painted = sum(1 for b in canvas.coverage() if b >= 128)
    assert painted > 0
    painter.undo_button.click()
    assert canvas.is_empty()
    painter.redo_button.click()
    assert sum(1 for b in canvas.coverage() if b >= 128) == painted
    painter.invert_button.click()
    assert sum(1 for b in canvas.coverage() if b >= 128) == 200 * 100 - painted
    painter.invert_button.click()
    painter.eraser_button.click()
    paint(qtbot, canvas, (0.1, 0.5), (0.5, 0.5))
    assert canvas.is_empty()
    painter.brush_button.click()
    paint(qtbot, canvas, (0.7, 0.5), (0.8, 0.5))
    painter.clear_button.click()
    assert canvas.is_empty()
    before = canvas.zoom()
    painter.zoom_in_button.click()
    assert canvas.zoom() > before
    painter.zoom_out_button.click()
    painter.zoom_out_button.click()
    assert canvas.zoom() < before


def test_pictures_that_cannot_be_used_are_explained(
    make_app: Any, wait_until: Any, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    app, images = open_tab(make_app, wait_until, fake_openai)
    view = images.view
    text = tmp_path / "notes.png"
    text.write_text("not a picture", encoding="utf-8")
    broken = tmp_path / "broken.png"
    whole = payloads.make_image(512, 512, "x")
    broken.write_bytes(whole[: len(whole) // 2])
    images.add_source_files([str(text), str(broken)])
    wait_until(lambda: not app.runner.is_busy("images-load"))
    message = view.problem_text("images")
    assert "notes.png" in message
    assert "not a picture" in message
    assert "broken.png" in message
    assert "damaged" in message
    assert view.sources.count() == 0
    images.add_source_files([str(tmp_path / "gone.png")])
    wait_until(lambda: "not found" in view.problem_text("images"))
    view.prompt.setPlainText("x")
    view.generate_button.click()
    assert "Add a picture" in view.problem_text("images")
    assert fake_openai.requests_to("/images/edits") == []


def test_variations_are_hidden_unless_a_listed_model_has_them(
    make_app: Any, wait_until: Any, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    _app, images = open_tab(make_app, wait_until, fake_openai)
    assert images.view.mode_buttons["variation"].isHidden()
    assert images.view.gallery.buttons["variation"].isHidden()


def test_variations_of_a_non_square_picture(
    make_app: Any, wait_until: Any, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    app, images = open_tab(make_app, wait_until, fake_openai, [*MODELS, "dall-e-2"])
    view = images.view
    assert not view.mode_buttons["variation"].isHidden()
    view.mode_buttons["variation"].click()
    assert view.model() == "dall-e-2"  # the only listed model that makes variations
    assert not view.prompt.isEnabled()
    images.add_source_files([str(write_png(tmp_path / "wide.png", 300, 200))])
    wait_until(lambda: view.sources.count() == 1)
    assert "square" in view.sources.item(0).toolTip()
    view.size_combo.setCurrentIndex(view.size_combo.findData("256x256"))
    view.count_spin.setValue(2)
    view.generate_button.click()
    wait_done(app, wait_until)
    sent = fake_openai.last("/images/variations")
    assert sent.form == {
        "model": "dall-e-2",
        "n": "2",
        "response_format": "b64_json",
        "size": "256x256",
    }
    with Image.open(io.BytesIO(sent.files["image"].data)) as upload:
        assert upload.size == (200, 200)
        assert upload.mode == "RGBA"
    assert [m["mode"] for m in sidecars(app)] == ["variation", "variation"]
    entry = app.services.ledger.recent(1)[0]
    assert entry.endpoint == Endpoint.IMAGES
    assert entry.cost is None  # no per-image DALL·E prices in the table: unknown, not guessed


def test_gallery_search_delete_undo_reuse_and_edit_this(
    make_app: Any, wait_until: Any, fake_openai: FakeOpenAI, qtbot: Any
) -> None:
    app, images = open_tab(make_app, wait_until, fake_openai)
    view = images.view
    for prompt in ("A red fox", "A blue whale"):
        view.prompt.setPlainText(prompt)
        view.generate_button.click()
        wait_done(app, wait_until)
    gallery = view.gallery
    assert gallery.list.count() == 2
    qtbot.keyClicks(gallery.search, "whale")
    assert gallery.list.count() == 1
    assert gallery.count_label.text() == "1 of 2"
    gallery.search.clear()
    gallery.list.setCurrentRow(0)
    newest = gallery.current_id()
    item = images.library.get(newest)
    assert item.prompt == "A blue whale"
    gallery.buttons["delete"].click()
    assert gallery.list.count() == 1
    assert not item.image_path.exists()
    assert not gallery.undo_bar.isHidden()
    gallery.undo_button.click()
    assert gallery.list.count() == 2
    assert item.image_path.exists()
    assert item.sidecar_path.exists()

    view.prompt.setPlainText("something else")
    gallery.select(newest)
    gallery.buttons["reuse"].click()
    assert view.prompt.toPlainText() == "A blue whale"

    gallery.buttons["edit"].click()
    wait_until(lambda: view.sources.count() == 1)
    assert view.mode() == "edit"
    assert view.mask_painter.canvas.image().width() == 1024

    viewer = images.open_viewer(item)
    assert viewer.isVisible()
    viewer.set_zoom(2.0)
    assert viewer.zoom() == 2.0
    viewer.fit_button.click()
    assert viewer.zoom() <= 1.0
    viewer.close()


def test_safety_refusal_is_shown_next_to_the_prompt(
    make_app: Any, wait_until: Any, fake_openai: FakeOpenAI
) -> None:
    app, images = open_tab(make_app, wait_until, fake_openai)
    view = images.view
    fake_openai.refuse_image_next()
    view.prompt.setPlainText("something violent")
    view.generate_button.click()
    wait_done(app, wait_until)
    message = view.problem_text("prompt")
    assert "Refused by the safety system" in message
    assert "safety_violations=[violence]" in message
    assert view.prompt.toPlainText() == "something violent"  # nothing typed is lost
    assert app.services.ledger.recent(1)[0].status == RequestStatus.ERROR


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("rate", "Try again in 1 second"),
        ("server", "Server error"),
        ("quota", "Out of credit"),
    ],
)
def test_server_faults_are_explained_and_the_form_is_kept(
    make_app: Any, wait_until: Any, fake_openai: FakeOpenAI, fault: str, words: str
) -> None:
    app, images = open_tab(make_app, wait_until, fake_openai)
    view = images.view
    if fault == "rate":
        fake_openai.rate_limit(retry_after=1)
    elif fault == "server":
        fake_openai.fail_next(503)
    else:
        fake_openai.quota_exceeded()
    view.prompt.setPlainText("A cat")
    view.generate_button.click()
    wait_done(app, wait_until)
    assert words in view.error_label.text()
    assert view.error_label.isVisible()
    assert view.prompt.toPlainText() == "A cat"
    if fault == "rate":  # Generate waits out the server's retry-after, counting down
        assert not view.generate_button.isEnabled()
        assert "(wait 1 s)" in view.generate_button.text()
        wait_until(view.generate_button.isEnabled, timeout=5)
        assert view.generate_button.text() == "Generate"
    view.generate_button.click()  # the next try works and clears the message
    wait_done(app, wait_until)
    assert not view.error_label.isVisible()
    assert len(sidecars(app)) == 1


def test_a_dropped_stream_keeps_the_pictures_that_arrived(
    make_app: Any, wait_until: Any, fake_openai: FakeOpenAI
) -> None:
    app, images = open_tab(make_app, wait_until, fake_openai)
    view = images.view
    fake_openai.scenario.drop_after_chunks = 2  # a partial and the first picture
    view.prompt.setPlainText("Two cats")
    view.count_spin.setValue(2)
    view.partials_spin.setValue(1)
    view.generate_button.click()
    wait_done(app, wait_until)
    assert "connection dropped" in view.error_label.text()
    assert "The 1 picture that arrived are saved" in view.error_label.text()
    assert len(sidecars(app)) == 1
    assert view.gallery.list.count() == 1
    assert "not made" in view.results.item(1).text()


def test_stop_cancels_and_records_the_request(
    make_app: Any, wait_until: Any, fake_openai: FakeOpenAI, qtbot: Any
) -> None:
    app, images = open_tab(make_app, wait_until, fake_openai)
    view = images.view
    fake_openai.scenario.latency_s = 5
    view.prompt.setPlainText("A slow cat")
    view.generate_button.click()
    wait_until(lambda: view.stop_button.isVisible())
    qtbot.keyClick(view.prompt, Qt.Key.Key_Escape)
    wait_done(app, wait_until)
    assert view.status_label.text().startswith("Stopped")
    assert view.generate_button.isVisible()
    assert app.services.ledger.recent(1)[0].status == RequestStatus.CANCELLED


def test_state_is_kept_across_runs(make_app: Any, wait_until: Any, fake_openai: FakeOpenAI) -> None:
    app, images = open_tab(make_app, wait_until, fake_openai)
    view = images.view
    view.set_model("gpt-image-1.5")
    view.prompt.setPlainText("Remember me")
    view.format_combo.setCurrentIndex(view.format_combo.findData("webp"))
    view.compression_spin.setValue(70)
    app.controller.save_window_state()
    again = make_app(home=app.home)
    again.window.show_tab("images")
    restored = again.feature("images")
    again.controller.refresh_models()
    wait_until(lambda: restored.view.model_combo.count() > 0)
    assert restored.view.model() == "gpt-image-1.5"
    assert restored.view.prompt.toPlainText() == "Remember me"
    assert restored.view.options()["output_format"] == "webp"
    assert restored.view.options()["output_compression"] == 70


def test_paste_a_picture_and_copy_one_back(
    make_app: Any, wait_until: Any, fake_openai: FakeOpenAI
) -> None:
    from PySide6.QtGui import QColor, QGuiApplication, QImage

    app, images = open_tab(make_app, wait_until, fake_openai)
    view = images.view
    picture = QImage(120, 80, QImage.Format.Format_RGB32)
    picture.fill(QColor("teal"))
    QGuiApplication.clipboard().setImage(picture)
    view.mode_buttons["edit"].click()
    view.paste_button.click()
    wait_until(lambda: view.sources.count() == 1)
    assert view.mask_painter.canvas.image().size().width() == 120
    view.prompt.setPlainText("A boat")
    view.generate_button.click()
    wait_done(app, wait_until)
    sent = fake_openai.last("/images/edits")
    with Image.open(io.BytesIO(sent.files["image"].data)) as upload:
        assert upload.size == (120, 80)
    assert "mask" not in sent.files  # nothing painted: no mask, the model may change everything
    QGuiApplication.clipboard().clear()
    view.gallery.list.setCurrentRow(0)
    view.gallery.buttons["copy"].click()
    assert not QGuiApplication.clipboard().image().isNull()
    QGuiApplication.clipboard().clear()


def test_a_timeout_is_explained(make_app: Any, wait_until: Any, fake_openai: FakeOpenAI) -> None:
    from playground.core.models import ProviderProfile
    from playground.core.storage.settings import Settings

    profile = ProviderProfile(
        id="openai", name="OpenAI", base_url=fake_openai.base_url, max_retries=0, timeout_s=0.5
    )
    fake_openai.scenario.models = list(MODELS)
    app = make_app(settings=Settings(profiles=(profile,), first_run_done=True))
    app.window.show_tab("images")
    images = app.feature("images")
    app.controller.refresh_models()
    wait_until(lambda: images.view.model_combo.count() > 0)
    fake_openai.scenario.latency_s = 3
    images.view.prompt.setPlainText("A patient cat")
    images.view.generate_button.click()
    wait_done(app, wait_until)
    assert "timed out" in images.view.error_label.text()
    assert images.view.prompt.toPlainText() == "A patient cat"


def test_dropping_a_file_switches_to_edit_and_adds_it(
    make_app: Any, wait_until: Any, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    _app, images = open_tab(make_app, wait_until, fake_openai)
    view = images.view
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(write_png(tmp_path / "dropped.webp", 64, 64)))])
    event = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    view.dropEvent(event)
    wait_until(lambda: view.sources.count() == 1)
    assert view.mode() == "edit"
    assert "dropped.webp" in view.sources.item(0).toolTip()


def test_an_existing_library_is_listed_with_thumbnails(
    make_app: Any, wait_until: Any, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    from playground.core.images.library import ImageLibrary

    home = tmp_path / "home"
    library = ImageLibrary(home / "data" / "images")
    for i in range(3):
        library.add(payloads.make_image(64, 64, str(i)), "png", {"prompt": f"old picture {i}"})
    broken = library.add(b"not really a png", "png", {"prompt": "broken one"})
    fake_openai.scenario.models = list(MODELS)
    app = make_app(home=home)
    app.window.show_tab("images")
    images = app.feature("images")
    gallery = images.view.gallery
    wait_until(lambda: gallery.list.count() == 4)
    wait_until(lambda: not app.runner.is_busy("images-thumbs"))
    assert gallery.ids_without_thumbnail() == [broken.id]
    gallery.search.setText("old 2")
    assert gallery.list.count() == 1
    assert gallery.ids_without_thumbnail() == []  # thumbnails are kept across searches


def test_transparent_pictures_are_shown_on_a_checkerboard(qapp: Any) -> None:
    from PySide6.QtGui import QPixmap

    from playground.ui.images.gallery import with_checker

    clear = QPixmap()
    clear.loadFromData(payloads.make_image(64, 64, "t", transparent=True))
    shown = with_checker(clear).toImage()
    assert not shown.hasAlphaChannel() or shown.pixelColor(0, 0).alpha() == 255
    assert shown.pixelColor(0, 0).name() == "#999999"
    assert shown.pixelColor(8, 0).name() == "#cccccc"
    opaque = QPixmap()
    opaque.loadFromData(payloads.make_image(64, 64, "o"))
    assert with_checker(opaque).cacheKey() == opaque.cacheKey()  # untouched


def test_the_controller_runs_with_its_view_and_the_fake_server_alone(
    parts: Any, qtbot: Any, wait_until: Any, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    from playground.core.api.catalog import CatalogSnapshot
    from playground.core.images.library import ImageLibrary
    from playground.core.images.service import ImageService
    from playground.core.models import ModelInfo
    from playground.ui.images.controller import ImagesController
    from playground.ui.images.tab import ImagesTab

    fake_openai.scenario.models = ["gpt-image-1.5"]
    services, runner = parts.services, parts.runner
    view = ImagesTab()
    qtbot.addWidget(view)
    library = ImageLibrary(tmp_path / "pictures")
    controller = ImagesController(
        view,
        ImageService(services.session.client),
        library,
        services.session,
        services.accounting,
        services.counter,
        parts.counters,
        runner,
    )
    wait_until(lambda: not runner.is_busy("images-load"))
    controller.show_models(CatalogSnapshot("openai", (ModelInfo("gpt-image-1.5"),), 0.0))
    view.set_options({"prompt": "A lighthouse at dusk", "n": 1, "partial_images": 0})
    view.generate_requested.emit()
    wait_until(lambda: not runner.is_busy("images"), message="the request never ended")

    assert fake_openai.last("/images/generations") is not None
    assert len(library.items()) == 1
    assert view.result_ids() == [library.items()[0].id]
    entry = services.ledger.recent(1)[0]
    assert (entry.endpoint, entry.status) == (Endpoint.IMAGES, RequestStatus.OK)
    assert "Done: 1 picture" in view.status_label.text()
