"""The Embeddings tab end to end: real widgets, the real SDK, the fake server, the real cache."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from playground.core.models import Endpoint, RequestStatus
from tests.conftest import AppHarness, WaitUntil
from tests.fakes import openai_payloads as payloads
from tests.fakes.openai_server import FakeOpenAI
from tests.gui.drivers import TabDriver, opener

pytestmark = pytest.mark.gui

MODEL = "text-embedding-3-small"
ANIMALS = [
    "The cat sat on the mat.",
    "A cat sleeps on the warm mat.",
    "The dog barks at the cat.",
]
MONEY = [
    "Stock prices fell on the market today.",
    "The market rallied as stock prices rose.",
    "Investors sold stock as the market fell.",
]
FOOD = [
    "Bake the bread in a hot oven.",
    "Knead the bread dough then bake it.",
    "Slice the warm bread from the oven.",
]


class EmbeddingsTab(TabDriver):
    """A running app with the Embeddings tab shown and MODEL chosen, and the steps its tests
    share."""

    key = "embeddings"

    def prepare(self) -> None:
        self.app.window.show_tab(self.key)
        self.view.model_combo.setCurrentText(MODEL)

    @property
    def controller(self) -> Any:
        return self.feature  # the tab's controller is its feature controller

    def embed(self, texts: Iterable[str] | None = None) -> None:
        """Puts `texts` in the text box, one a line (when given), clicks Embed and waits until
        every batch has ended."""
        if texts is not None:
            self.view.set_text("\n".join(texts))
        self.click(self.view.embed_button)
        self.wait_idle("embeddings", timeout=60)

    def ledger_rows(self) -> list[Any]:
        """The embedding requests in the usage ledger, newest first."""
        return [
            e for e in self.app.services.ledger.recent(100) if e.endpoint == Endpoint.EMBEDDINGS
        ]


@pytest.fixture
def embeddings(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: WaitUntil
) -> EmbeddingsTab:
    """A started app showing the Embeddings tab with MODEL chosen. (No test here needs to set up
    the fake server before the app starts, or to restart into this tab.)"""
    return opener(EmbeddingsTab, make_app, qtbot, wait_until)()


def _fake_vector(text: str, dims: int) -> np.ndarray:
    v = np.asarray(payloads.embedding_vector(text, dims), dtype=np.float64)
    return v / np.linalg.norm(v)


def test_texts_are_batched_within_the_inputs_limit(
    embeddings: EmbeddingsTab, fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    controller, tab = embeddings.controller, embeddings.view
    texts = [f"note {i} about topic {i % 7}" for i in range(2050)]
    tab.set_text("\n\n".join(texts[:3]) + "\n" + "\n".join(texts[3:]) + "\n\n")
    tab.dims_spin.setValue(8)
    wait_until(lambda: "2,050" in tab.estimate_label.text())
    assert "3 empty lines skipped" in tab.estimate_label.text()
    assert "in 2 requests" in tab.estimate_label.text()

    embeddings.embed()

    sent = fake_openai.requests_to("/embeddings")
    assert [len(r.json["input"]) for r in sent] == [2048, 2]
    assert all(r.json["dimensions"] == 8 for r in sent)
    assert [t for r in sent for t in r.json["input"]] == texts
    rows = embeddings.ledger_rows()
    assert len(rows) == 2
    assert all(r.status == RequestStatus.OK for r in rows)
    assert sum(r.usage.input_tokens for r in rows) == sum(payloads.count_tokens(t) for t in texts)
    assert "Sent" in tab.result_label.text()
    assert controller.result.vectors.shape == (2050, 8)
    assert tab.heatmap.matrix.shape == (2050, 2050)


def test_second_run_sends_nothing(
    embeddings: EmbeddingsTab, fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    tab = embeddings.view
    embeddings.embed(ANIMALS + MONEY)
    assert len(fake_openai.requests_to("/embeddings")) == 1
    fake_openai.clear_requests()

    embeddings.embed()
    assert fake_openai.requests_to("/embeddings") == []
    assert "Nothing sent ($0)" in tab.result_label.text()
    assert "6 from the cache" in tab.result_label.text()
    wait_until(lambda: "6</b> cached" in tab.estimate_label.text())
    # A new text among cached ones: only it is sent.
    embeddings.embed([*ANIMALS, "A brand new sentence."])
    assert [r.json["input"] for r in fake_openai.requests_to("/embeddings")] == [
        ["A brand new sentence."]
    ]
    # The cache is a file: a new app run on the same data folder pays nothing either.
    assert embeddings.app.services.paths.embeddings_cache_file.exists()


def test_clear_cache_asks_then_the_next_run_sends_everything_again(
    embeddings: EmbeddingsTab, fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    controller, tab = embeddings.controller, embeddings.view
    embeddings.click(tab.clear_cache_button)
    assert "The cache is empty" in tab.result_label.text()
    assert tab.confirm_box is None

    embeddings.embed(ANIMALS)
    assert controller.cache.count() == 3
    # Cancel keeps the vectors.
    embeddings.click(tab.clear_cache_button)
    box = tab.confirm_box
    assert box is not None
    assert "3 cached vectors" in box.text()
    embeddings.click(box.button(QMessageBox.StandardButton.Cancel))
    assert tab.confirm_box is None
    assert controller.cache.count() == 3
    # Yes deletes them; the estimate and the next run treat every text as new.
    embeddings.click(tab.clear_cache_button)
    embeddings.click(tab.confirm_box.button(QMessageBox.StandardButton.Yes))
    assert controller.cache.count() == 0
    assert "Cleared 3 cached vectors" in tab.result_label.text()
    wait_until(lambda: "cached" not in tab.estimate_label.text())
    fake_openai.clear_requests()
    embeddings.embed()
    assert [r.json["input"] for r in fake_openai.requests_to("/embeddings")] == [ANIMALS]


def test_failed_batch_keeps_finished_ones_and_resume_sends_the_rest(
    embeddings: EmbeddingsTab, fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    fake_openai.scenario.embedding_failures = {2: 503}
    controller, tab = embeddings.controller, embeddings.view
    texts = [f"line {i}" for i in range(2049)]
    tab.set_text("\n".join(texts))
    tab.dims_spin.setValue(4)
    embeddings.embed()

    assert tab.error_box.isVisible()
    assert "Batch 2 of 2 failed" in tab.error_label.text()
    assert "finished batch is saved" in tab.error_label.text()
    assert tab.resume_button.isVisible()
    assert "1 batch left" in tab.resume_button.text()
    assert [r.status for r in embeddings.ledger_rows()] == [RequestStatus.ERROR, RequestStatus.OK]
    # The views show what did arrive.
    wait_until(lambda: controller.result is not None)
    assert controller.result.vectors.shape == (2048, 4)
    assert "Showing the 2,048 of 2,049 texts" in tab.result_label.text()

    embeddings.click(tab.resume_button)
    embeddings.wait_idle("embeddings", timeout=60)
    sent = fake_openai.requests_to("/embeddings")
    assert [len(r.json["input"]) for r in sent] == [2048, 1, 1]
    assert sent[-1].json["input"] == [texts[-1]]
    assert not tab.error_box.isVisible()
    assert controller.result.vectors.shape == (2049, 4)


def test_stop_keeps_what_arrived_and_offers_resume(
    embeddings: EmbeddingsTab, fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    tab = embeddings.view
    tab.set_text("\n".join(f"item {i}" for i in range(2100)))
    tab.dims_spin.setValue(4)
    fake_openai.scenario.latency_s = 30  # the request stays open until Stop
    embeddings.click(tab.embed_button)
    wait_until(lambda: len(fake_openai.requests_to("/embeddings")) == 1)
    assert tab.stop_button.isEnabled()
    qtbot.keyClick(tab.texts_edit, Qt.Key.Key_Escape)
    embeddings.wait_idle("embeddings")
    assert "Stopped after 0 of 2 batches" in tab.error_label.text()
    assert tab.resume_button.isVisible()
    row = embeddings.ledger_rows()[0]
    assert row.status == RequestStatus.CANCELLED
    assert row.usage.estimated


def test_oversize_inputs_are_flagged_and_left_out(
    embeddings: EmbeddingsTab, fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    controller, tab = embeddings.controller, embeddings.view
    huge = "word " * 9000
    tab.set_text("\n".join([ANIMALS[0], huge.strip(), ANIMALS[1]]))
    wait_until(lambda: "too long" in tab.estimate_label.text())
    assert "line 2" in tab.estimate_label.text()
    embeddings.embed()
    assert fake_openai.last("/embeddings").json["input"] == ANIMALS[:2]
    assert controller.result.texts == tuple(ANIMALS[:2])


def test_search_ranks_texts_by_meaning(
    embeddings: EmbeddingsTab, fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    tab = embeddings.view
    texts = ANIMALS + MONEY + FOOD
    embeddings.embed(texts)
    tab.views.setCurrentIndex(1)
    qtbot.keyClicks(tab.query_edit, "bake warm bread")
    qtbot.keyClick(tab.query_edit, Qt.Key.Key_Return)
    wait_until(lambda: tab.results_table.rowCount() == len(texts))

    query = _fake_vector("bake warm bread", 1536)
    expected = sorted(texts, key=lambda t: -float(_fake_vector(t, 1536) @ query))
    shown = [tab.results_table.item(r, 1).text() for r in range(len(texts))]
    assert shown == expected
    assert shown[0] in FOOD
    scores = [float(tab.results_table.item(r, 2).text()) for r in range(len(texts))]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == pytest.approx(float(_fake_vector(shown[0], 1536) @ query), abs=1e-3)
    assert fake_openai.last("/embeddings").json["input"] == ["bake warm bread"]
    # The best matches are ringed on the cluster map.
    assert [texts[i] for i in tab.clusters.highlighted] == shown[:5]
    assert len(embeddings.ledger_rows()) == 2  # the texts and the query

    fake_openai.clear_requests()  # the same query again comes from the cache
    tab.results_table.setRowCount(0)
    embeddings.click(tab.search_button)
    wait_until(lambda: tab.results_table.rowCount() == len(texts))
    assert fake_openai.requests_to("/embeddings") == []


def test_clusters_group_related_texts_and_follow_k(
    embeddings: EmbeddingsTab, qtbot: Any, wait_until: WaitUntil
) -> None:
    controller, tab = embeddings.controller, embeddings.view
    groups = [
        [f"apple banana cherry fruit salad {i}" for i in range(5)],
        [f"engine wheel brake gear car {i}" for i in range(5)],
        [f"violin piano cello music concert {i}" for i in range(5)],
    ]
    embeddings.embed(t for g in groups for t in g)

    analysis = controller.result.analysis
    assert analysis.suggested_k == 3
    assert "Suggested: <b>3</b>" in tab.suggested_label.text()
    labels = tab.clusters.clusters
    for g in range(3):
        assert len(set(labels[g * 5 : (g + 1) * 5])) == 1
    assert len(set(labels)) == 3
    assert tab.clusters.points.shape == (15, 2)
    assert "Cluster&nbsp;1&nbsp;(5)" in tab.clusters.legend.text()

    tab.views.setCurrentIndex(2)
    tab.k_spin.setValue(5)
    wait_until(lambda: len(set(tab.clusters.clusters)) == 5)
    assert tab.suggested_button.isEnabled()
    embeddings.click(tab.suggested_button)
    wait_until(lambda: len(set(tab.clusters.clusters)) == 3)

    # Hovering a dot names its text (a group's dots overlap: any of the group may answer).
    plot = tab.clusters.plot
    pos = plot.mapFromScene(tab.clusters.point_scene_pos(7))
    qtbot.mouseMove(plot.viewport(), pos)
    wait_until(lambda: "engine wheel brake gear car" in tab.clusters.hover_label.text())
    assert "apple" not in tab.clusters.hover_label.text()


def test_heatmap_shows_labels_and_hover_values(
    embeddings: EmbeddingsTab, qtbot: Any, wait_until: WaitUntil
) -> None:
    controller, tab = embeddings.controller, embeddings.view
    texts = [t for pair in zip(ANIMALS, MONEY, strict=True) for t in pair]  # topics interleaved
    embeddings.embed(texts)

    heatmap = tab.heatmap
    assert heatmap.group_check.isChecked()  # grouped by cluster: each topic is one block
    clusters = controller.result.analysis.labels
    assert [int(clusters[i]) for i in heatmap.order] == sorted(int(c) for c in clusters)
    assert list(heatmap.order) != list(range(6))
    heatmap.group_check.setChecked(False)
    ticks = heatmap.plot.getPlotItem().getAxis("left")._tickLevels[0]
    labels = [label for _pos, label in ticks]
    assert len(labels) == len(texts)
    assert labels[0].startswith("1. The cat sat")
    heatmap.group_check.setChecked(True)  # hovering finds the right texts in either order
    expected = float(_fake_vector(texts[2], 1536) @ _fake_vector(texts[3], 1536))
    pos = heatmap.plot.mapFromScene(heatmap.cell_scene_pos(2, 3))
    qtbot.mouseMove(heatmap.plot.viewport(), pos)
    wait_until(lambda: f"{expected:.3f}" in heatmap.hover_label.text())
    assert "3. A cat sleeps" in heatmap.hover_label.text()
    assert "4. The market rallied" in heatmap.hover_label.text()
    qtbot.mouseClick(heatmap.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    wait_until(lambda: heatmap.detail_label.isVisible())
    assert texts[2] in heatmap.detail_label.text()
    assert texts[3] in heatmap.detail_label.text()

    pairs = tab.pairs_table
    assert pairs.rowCount() == math.comb(6, 2)
    first = float(pairs.item(0, 2).text())
    assert first == max(float(pairs.item(r, 2).text()) for r in range(pairs.rowCount()))
    # Choosing a pair shows both texts in full and rings them on the map.
    tab.views.setCurrentIndex(3)
    qtbot.mouseClick(
        pairs.viewport(),
        Qt.MouseButton.LeftButton,
        pos=pairs.visualItemRect(pairs.item(2, 0)).center(),
    )
    i, j, _score = controller.result.analysis.pairs[2]
    assert sorted(tab.clusters.highlighted) == sorted([i, j])
    assert texts[i] in heatmap.detail_label.text()
    assert texts[j] in heatmap.detail_label.text()

    QGuiApplication.clipboard().clear()
    tab.views.setCurrentIndex(0)
    embeddings.click(tab.copy_button)
    image = QGuiApplication.clipboard().image()
    assert not image.isNull()
    assert image.width() > 100


def test_exports_read_back(
    embeddings: EmbeddingsTab, wait_until: WaitUntil, tmp_path: Path
) -> None:
    tab = embeddings.view
    texts = ANIMALS + FOOD
    tab.set_text("\n".join(texts))
    tab.dims_spin.setValue(16)
    embeddings.embed()
    expected = np.stack([_fake_vector(t, 16) for t in texts])

    paths = {
        kind: tmp_path / name
        for kind, name in [
            ("vectors-csv", "v.csv"),
            ("vectors-npy", "v.npy"),
            ("vectors-jsonl", "v.jsonl"),
            ("similarity-csv", "s.csv"),
        ]
    }
    for kind, path in paths.items():
        tab.export_requested.emit(kind, str(path))
        wait_until(lambda p=path: p.exists() and "Saved" in tab.result_label.text())
    embeddings.wait_idle("embeddings-export")

    with paths["vectors-csv"].open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:2] == ["text", "d0"]
    assert len(rows[0]) == 17
    assert [r[0] for r in rows[1:]] == texts
    np.testing.assert_allclose([[float(v) for v in r[1:]] for r in rows[1:]], expected, atol=1e-6)

    loaded = np.load(paths["vectors-npy"])
    assert loaded.shape == (6, 16)
    np.testing.assert_allclose(loaded, expected, atol=1e-6)

    records = [json.loads(x) for x in paths["vectors-jsonl"].read_text("utf-8").splitlines()]
    assert [r["text"] for r in records] == texts
    np.testing.assert_allclose([r["embedding"] for r in records], expected, atol=1e-6)

    with paths["similarity-csv"].open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["", *texts]
    np.testing.assert_allclose(
        [[float(v) for v in r[1:]] for r in rows[1:]], expected @ expected.T, atol=1e-5
    )


def test_files_load_with_a_column_picker_and_bad_files_say_why(
    embeddings: EmbeddingsTab, wait_until: WaitUntil, tmp_path: Path
) -> None:
    controller, tab = embeddings.controller, embeddings.view
    data = tmp_path / "reviews.csv"
    data.write_text(
        'id,review,stars\n1,"Lovely, would buy again",5\n2,,3\n3,Broke after a week,1\n',
        encoding="utf-8",
    )
    controller.load_file(str(data))
    wait_until(lambda: tab.column_row.isVisible())
    assert tab.column_combo.currentText() == "review"
    assert tab.text() == "Lovely, would buy again\nBroke after a week"
    assert "2 texts from reviews.csv" in tab.file_label.text()
    assert "1 empty skipped" in tab.file_label.text()

    tab.column_combo.setCurrentText("stars")
    tab.column_combo.activated.emit(tab.column_combo.currentIndex())
    assert tab.text() == "5\n3\n1"

    bad = tmp_path / "notes.docx"
    bad.write_bytes(b"PK\x03\x04")
    controller.load_file(str(bad))
    wait_until(lambda: tab.error_box.isVisible())
    assert "Open a .txt" in tab.error_label.text()
    assert tab.text() == "5\n3\n1"  # nothing lost

    broken = tmp_path / "items.jsonl"
    broken.write_text('{"text": "fine"}\n{oops}\n', encoding="utf-8")
    controller.load_file(str(broken))
    wait_until(lambda: "line 2" in tab.error_label.text())

    # A file dropped on the text box is opened, not pasted as a path.
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    dropped = tmp_path / "dropped.txt"
    dropped.write_text("first\nsecond\n", encoding="utf-8")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(dropped))])
    drop = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    # Qt drops synthetic drop events sent while no drag is in progress (sendEvent returns False
    # before any filter runs), so the tab's filter is handed the event the viewport would get.
    assert tab.eventFilter(tab.texts_edit.viewport(), drop)
    wait_until(lambda: tab.text() == "first\nsecond")
    assert "2 texts from dropped.txt" in tab.file_label.text()


def test_bad_requests_are_explained_next_to_the_button(
    embeddings: EmbeddingsTab, fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    tab = embeddings.view
    tab.model_combo.setCurrentText("")
    embeddings.click(tab.embed_button)
    assert "Nothing to embed" in tab.error_label.text()
    tab.set_text("hello")
    tab.model_combo.setCurrentText("")
    embeddings.click(tab.embed_button)
    assert "No model chosen" in tab.error_label.text()

    tab.model_combo.setCurrentText("my-local-embedder")  # no price known: said, not guessed
    wait_until(lambda: "price unknown" in tab.estimate_label.text())
    tab.model_combo.setCurrentText("text-embedding-ada-002")
    assert not tab.dims_spin.isEnabled()
    tab.model_combo.setCurrentText(MODEL)
    assert tab.dims_spin.isEnabled()
    assert tab.dims_spin.maximum() == 1536

    fake_openai.fail_next(401, path="/embeddings")
    embeddings.embed()
    assert "API key" in tab.error_label.text()
    assert tab.text() == "hello"  # nothing lost
    fake_openai.rate_limit(retry_after=7, path="/embeddings")
    embeddings.embed()
    assert "7" in tab.error_label.text()
    # The server asked to wait: Resume counts down instead of inviting another 429.
    assert tab.resume_button.isVisible()
    assert not tab.resume_button.isEnabled()
    assert tab.resume_button.text() == "Resume (1 batch left) in 7 s"


def test_plots_follow_the_app_palette(embeddings: EmbeddingsTab, qtbot: Any) -> None:
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    from playground.ui.shell.theme import apply_theme

    tab = embeddings.view
    qapp = QApplication.instance()
    for theme in ("dark", "light"):
        apply_theme(qapp, theme)
        qtbot.wait(1)  # let the palette-change events arrive (no asyncio involved)
        base = tab.heatmap.palette().color(QPalette.ColorRole.Base)
        for view in (tab.heatmap, tab.clusters):
            assert view.plot.backgroundBrush().color() == base


def test_state_is_saved_and_restored(
    embeddings: EmbeddingsTab, make_app: Callable[..., AppHarness]
) -> None:
    embeddings.view.set_text("one\ntwo")
    embeddings.view.dims_spin.setValue(256)
    embeddings.view.k_spin.setValue(4)
    embeddings.app.controller.save_window_state()

    # Opened by hand, not like `embeddings`: the model must come back from the saved state.
    again = make_app(home=embeddings.app.home)
    again.window.show_tab("embeddings")
    tab = again.feature("embeddings").view
    assert tab.text() == "one\ntwo"
    assert tab.model() == MODEL
    assert tab.dimensions() == 256
    assert tab.k() == 4


def test_sample_texts_get_a_first_time_user_going(
    embeddings: EmbeddingsTab, wait_until: WaitUntil
) -> None:
    controller, tab = embeddings.controller, embeddings.view
    assert tab.stack.currentIndex() == 0  # the empty page explains the tab
    embeddings.click(tab.sample_button)
    assert len(tab.text().splitlines()) == 16
    wait_until(lambda: "<b>16</b> new" in tab.estimate_label.text())
    embeddings.embed()
    assert tab.stack.currentWidget() is tab.views
    assert controller.result.analysis.k >= 2


def test_no_connection_keeps_the_finished_batches(
    embeddings: EmbeddingsTab, fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    tab = embeddings.view
    embeddings.embed(ANIMALS)
    tab.set_text("\n".join([*ANIMALS, *MONEY]))
    fake_openai.stop()  # the server goes away
    embeddings.embed()
    assert "No connection" in tab.error_label.text()
    assert "Batch 1 of 1 failed" in tab.error_label.text()
    assert tab.text() == "\n".join([*ANIMALS, *MONEY])  # nothing lost
    # The three cached texts still count as cached: only the new ones would be sent.
    wait_until(lambda: "<b>3</b> cached" in tab.estimate_label.text())
    assert "<b>3</b> new" in tab.estimate_label.text()


@pytest.mark.parametrize("count", [1, 2])
def test_one_or_two_texts_still_draw(embeddings: EmbeddingsTab, count: int) -> None:
    tab = embeddings.view
    embeddings.embed(ANIMALS[:count])
    assert not tab.error_box.isVisible()
    assert tab.stack.currentWidget() is tab.views
    assert tab.heatmap.matrix.shape == (count, count)
    assert tab.clusters.points.shape == (count, 2)
    assert tab.pairs_table.rowCount() == count - 1
    if count == 1:
        assert "at least two" in tab.pairs_info.text()
    tab.views.setCurrentIndex(2)
    assert tab.copy_plot()


def test_the_controller_runs_with_its_view_and_the_fake_server_alone(
    parts: Any, qtbot: Any, wait_until: WaitUntil, fake_openai: FakeOpenAI
) -> None:
    from playground.core.embeddings.cache import EmbeddingCache
    from playground.core.embeddings.service import EmbeddingService
    from playground.ui.embeddings.controller import EmbeddingsController
    from playground.ui.embeddings.tab import EmbeddingsTab as Tab

    services, runner = parts.services, parts.runner
    tab = Tab()
    qtbot.addWidget(tab)
    cache = EmbeddingCache(None)
    controller = EmbeddingsController(
        tab,
        EmbeddingService(services.session.client),
        cache,
        services.session,
        services.pricer,
        services.counter,
        parts.counters,
        runner,
    )
    tab.set_models([MODEL], MODEL)
    tab.set_text("\n".join(ANIMALS + MONEY))
    tab.embed_requested.emit()
    wait_until(lambda: not runner.is_busy("embeddings"), timeout=60)

    assert [len(r.json["input"]) for r in fake_openai.requests_to("/embeddings")] == [6]
    assert controller.result is not None
    assert controller.result.vectors.shape[0] == 6
    assert cache.count() == 6
    rows = [e for e in services.ledger.recent(10) if e.endpoint == Endpoint.EMBEDDINGS]
    assert [r.status for r in rows] == [RequestStatus.OK]
    assert "Sent" in tab.result_label.text()
    controller.shutdown()
