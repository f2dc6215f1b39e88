"""The Embeddings tab's Classify, Outliers and Recommend pages, end to end: real widgets, the real
SDK, the fake server (bag-of-words vectors), the real cache and ledger."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from playground.core.models import Endpoint
from tests.conftest import AppHarness, WaitUntil
from tests.fakes.openai_server import FakeOpenAI
from tests.gui.drivers import opener
from tests.gui.test_embeddings_slice import EmbeddingsTab

pytestmark = pytest.mark.gui

EXAMPLES = """\
sport: football team goal match
sport: tennis match player team
sport: coach team match goal
food: garlic pasta dinner bread
food: bake bread oven dinner
food: onion soup garlic bread
"""
NEW = ["the team won the match", "garlic bread for dinner", "a goal in the final match"]


@pytest.fixture
def embeddings(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: WaitUntil
) -> EmbeddingsTab:
    return opener(EmbeddingsTab, make_app, qtbot, wait_until)()


def _ledger(app: AppHarness) -> int:
    return sum(1 for e in app.services.ledger.recent(100) if e.endpoint == Endpoint.EMBEDDINGS)


def test_classify_learns_reports_and_labels_the_texts(
    embeddings: EmbeddingsTab, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    embeddings.embed(NEW)
    page = embeddings.view.classify_page
    embeddings.view.views.setCurrentWidget(page)
    page.set_examples_text(EXAMPLES)
    before = len(fake_openai.requests_to("/embeddings"))
    embeddings.click(page.train_button)
    embeddings.wait_idle("embeddings-learn")
    assert "100% right" in page.report_label.text()
    assert page.confusion_table.rowCount() == 2
    assert page.confusion_table.item(0, 0).text() == "3"
    assert page.confusion_table.item(0, 1).text() == "0"
    assert page.mistakes_table.rowCount() == 0
    assert [row[1] for row in page.predictions()] == ["sport", "food", "sport"]
    assert all(row[2].endswith("%") for row in page.predictions())
    # The examples were embedded once, metered, and cached: training again sends nothing.
    assert len(fake_openai.requests_to("/embeddings")) == before + 1
    rows = _ledger(embeddings.app)
    embeddings.click(page.train_button)
    embeddings.wait_idle("embeddings-learn")
    assert len(fake_openai.requests_to("/embeddings")) == before + 1
    assert _ledger(embeddings.app) == rows
    target = tmp_path / "labels.csv"
    page.ask_export_path = lambda: str(target)
    embeddings.click(page.export_button)
    embeddings.wait_idle("embeddings-learn-file")
    assert (
        target.read_text(encoding="utf-8")
        .splitlines()[1]
        .startswith("the team won the match,sport,")
    )


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("good: fine\ngood: great\ngood: nice", "same label"),
        ("good: fine\ngood: great\nbad: awful", "at least 2 examples"),
        ("good: fine\nno label on this line", "has no label"),
        ("", "no labelled examples"),
    ],
)
def test_bad_examples_get_a_plain_message_and_send_nothing(
    embeddings: EmbeddingsTab, fake_openai: FakeOpenAI, typed: str, message: str
) -> None:
    page = embeddings.view.classify_page
    page.set_examples_text(typed)
    embeddings.click(page.train_button)
    assert page.problem_label.isVisibleTo(page)
    assert message in page.problem_label.text()
    assert fake_openai.requests_to("/embeddings") == []


def test_examples_from_a_file_with_an_empty_label_say_which_row(
    embeddings: EmbeddingsTab, fake_openai: FakeOpenAI, tmp_path: Path, wait_until: WaitUntil
) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text("review,sentiment\ngreat soup,good\nawful soup,\n", encoding="utf-8")
    page = embeddings.view.classify_page
    page.ask_open_path = lambda: str(path)
    embeddings.click(page.open_button)
    wait_until(lambda: page.columns_row.isVisibleTo(page))
    assert page.label_column.currentText() == "sentiment"
    assert page.text_column.currentText() == "review"
    embeddings.click(page.train_button)
    assert "empty label (row 2)" in page.problem_label.text()
    assert fake_openai.requests_to("/embeddings") == []


def test_zero_shot_labels_each_text_by_the_nearest_description(
    embeddings: EmbeddingsTab,
) -> None:
    embeddings.embed(NEW)
    page = embeddings.view.classify_page
    page.set_mode("zero-shot")
    page.set_descriptions_text("sport: a team match with a goal\nfood: dinner with garlic bread")
    embeddings.click(page.train_button)
    embeddings.wait_idle("embeddings-learn")
    assert [row[1] for row in page.predictions()] == ["sport", "food", "sport"]
    assert "Zero-shot" in page.report_label.text()
    assert page.confusion_table.rowCount() == 0


def test_outliers_rank_a_planted_text_first_and_ring_it_on_the_map(
    embeddings: EmbeddingsTab, wait_until: WaitUntil
) -> None:
    cats = [f"the cat {w} on the mat near the cat bed" for w in ("sat", "slept", "purred", "ate")]
    planted = "quarterly revenue forecast exceeded analyst expectations"
    embeddings.embed([*cats[:2], planted, *cats[2:]])
    page = embeddings.view.outliers_page
    wait_until(lambda: page.table.rowCount() == 5)
    assert page.table.item(0, 1).text() == planted
    assert page.outliers() == [2]
    assert page.map is not None
    assert page.map.highlighted == [2]
    page.slider.setValue(0)  # everything is over a threshold of the lowest distance
    assert len(page.outliers()) == 5
    assert page.map.highlighted == page.outliers()
    page.measure_combo.setCurrentIndex(1)  # from all the others
    wait_until(lambda: "the others" in page.info_label.text())
    assert page.table.item(0, 1).text() == planted


def test_recommend_more_like_this_and_less_like_that(
    embeddings: EmbeddingsTab, wait_until: WaitUntil
) -> None:
    texts = [
        "red apple fruit",
        "green apple fruit",
        "apple pie with fruit",
        "apple laptop computer",
        "computer keyboard mouse",
        "banana fruit smoothie",
    ]
    embeddings.embed(texts)
    page = embeddings.view.recommend_page
    page.select_rows([0])
    embeddings.click(page.more_button)
    wait_until(lambda: page.results.rowCount() == 5)
    assert page.recommended_rows()[0] == 1
    page.select_rows([3])
    embeddings.click(page.less_button)
    wait_until(lambda: page.results.rowCount() == 4)
    assert 3 not in page.recommended_rows()
    assert page.recommended_rows()[-1] == 4  # the computer line, pushed away
    assert "Less like:" in page.picked_label.text()
    embeddings.click(page.clear_button)
    assert page.results.rowCount() == 0


def test_typed_examples_and_descriptions_survive_a_restart(embeddings: EmbeddingsTab) -> None:
    page = embeddings.view.classify_page
    page.set_examples_text(EXAMPLES)
    page.set_descriptions_text("sport: a match\nfood: a dinner")
    page.set_method("logistic")
    page.set_mode("zero-shot")
    state = embeddings.controller.save_state()
    page.set_examples_text("")
    page.set_descriptions_text("")
    page.set_mode("examples")
    page.set_method("centroid")
    embeddings.controller.restore_state(state)
    assert page.examples_text() == EXAMPLES
    assert page.descriptions_text() == "sport: a match\nfood: a dinner"
    assert (page.mode(), page.method()) == ("zero-shot", "logistic")
