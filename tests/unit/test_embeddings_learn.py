"""Classify, outliers and recommend (core/embeddings/learn.py) on vectors from the fake server's
embeddings family (bag-of-words vectors: texts that share words are near, others nearly orthogonal),
fetched through the real SDK."""

from __future__ import annotations

import numpy as np
import pytest
from openai import AsyncOpenAI

from playground.core.embeddings import learn
from playground.core.embeddings.files import InputTable
from playground.core.embeddings.maths import Matrix, as_matrix
from playground.core.embeddings.service import EmbeddingService
from tests.fakes.openai_server import FakeOpenAI

SPORT = ["football goal match team", "tennis match serve player", "team coach goal league"]
FOOD = ["pasta sauce garlic dinner", "bread flour oven bake", "soup garlic onion dinner"]
WEATHER = ["rain cloud storm wind", "sunny warm sky forecast", "snow cold wind forecast"]


def _labelled() -> learn.Examples:
    texts, labels = [], []
    for label, words in (("sport", SPORT), ("food", FOOD), ("weather", WEATHER)):
        for i, text in enumerate(words):
            for j in range(2):  # two phrasings of each
                texts.append(f"{text} {words[(i + j + 1) % len(words)].split()[j]}")
                labels.append(label)
    return learn.Examples(tuple(texts), tuple(labels))


async def _embed(fake_openai: FakeOpenAI, texts: list[str]) -> Matrix:
    client = AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    try:
        result = await EmbeddingService(lambda: client).embed("text-embedding-3-small", texts)
    finally:
        await client.close()
    return as_matrix(result.vectors)


@pytest.mark.parametrize("method", list(learn.Method))
async def test_a_separable_set_is_learned_with_full_accuracy(
    fake_openai: FakeOpenAI, method: learn.Method
) -> None:
    examples = _labelled()
    x = await _embed(fake_openai, list(examples.texts))
    cv = learn.cross_validate(x, examples, method)
    assert cv.folds == 5
    assert cv.classes == ("sport", "food", "weather")
    assert cv.accuracy == 1.0
    assert cv.confusion.tolist() == [[6, 0, 0], [0, 6, 0], [0, 0, 6]]
    assert cv.mistakes == []
    model = learn.train(x, examples.labels, method)
    new = ["the team scored a goal", "garlic bread for dinner", "storm and wind tonight"]
    predictions = model.predict(await _embed(fake_openai, new))
    assert [p.label for p in predictions] == ["sport", "food", "weather"]
    assert all(p.confidence > 0.5 for p in predictions)


async def test_the_confusion_matrix_and_mistakes_show_a_mislabelled_example(
    fake_openai: FakeOpenAI,
) -> None:
    examples = _labelled()
    wrong = list(examples.labels)
    wrong[0] = "food"  # a sport sentence labelled food
    examples = learn.Examples(examples.texts, tuple(wrong))
    x = await _embed(fake_openai, list(examples.texts))
    cv = learn.cross_validate(x, examples, learn.Method.CENTROID)
    assert cv.confusion.sum() == len(wrong)
    food, sport = cv.classes.index("food"), cv.classes.index("sport")
    assert cv.confusion[food, sport] >= 1  # labelled food, predicted sport
    assert any(m.index == 0 and m.predicted == "sport" for m in cv.mistakes)
    assert cv.accuracy < 1.0


async def test_zero_shot_picks_the_nearest_description(fake_openai: FakeOpenAI) -> None:
    labels, descriptions = learn.parse_descriptions(
        "sport: a team match with a goal\nfood: dinner with garlic and bread\nweather"
    )
    assert labels == ["sport", "food", "weather"]
    assert descriptions[2] == "weather"
    lines = ["the match ended with a late goal", "garlic soup for dinner", "weather warning"]
    predictions = learn.zero_shot(
        await _embed(fake_openai, lines), await _embed(fake_openai, descriptions), labels
    )
    assert [p.label for p in predictions] == ["sport", "food", "weather"]
    assert "text,label,confidence" in learn.predictions_csv(lines, predictions)
    assert '"label": "food"' in learn.predictions_jsonl(lines, predictions)


def test_bad_label_sets_get_plain_messages() -> None:
    with pytest.raises(learn.LabelProblem, match="same label, “good”"):
        learn.check_examples(learn.Examples(("a", "b", "c"), ("good", "good", "good")))
    with pytest.raises(learn.LabelProblem, match=r"at least 2 examples.*“bad” \(1\)"):
        learn.check_examples(learn.Examples(("a", "b", "c"), ("good", "good", "bad")))
    with pytest.raises(learn.LabelProblem, match="no labelled examples"):
        learn.check_examples(learn.Examples((), ()))
    with pytest.raises(learn.LabelProblem, match="Line 2 has no label"):
        learn.parse_typed_examples("good: fine\njust a text without label\n")
    table = InputTable("reviews.csv", ("text", "label"), (("great", "good"), ("awful", "")))
    with pytest.raises(learn.LabelProblem, match=r"1 example has an empty label \(row 2\)"):
        learn.examples_from_table(table, "text", "label")
    with pytest.raises(learn.LabelProblem, match="two different columns"):
        learn.examples_from_table(table, "text", "text")
    with pytest.raises(learn.LabelProblem, match="at least two labels"):
        learn.parse_descriptions("only: one label")
    typed = learn.parse_typed_examples("good: fine: really\n\nbad:\nbad: awful")
    assert typed.texts == ("fine: really", "awful")
    assert typed.skipped == 1


async def test_planted_outliers_come_first(fake_openai: FakeOpenAI) -> None:
    cats = [f"the cat {w} on the mat near the cat bed" for w in ("sat", "slept", "purred", "ate")]
    dogs = [f"the dog {w} in the park with the dog ball" for w in ("ran", "barked", "played")]
    planted = "quarterly revenue forecast exceeded analyst expectations"
    texts = [*cats[:2], planted, *cats[2:], *dogs]
    x = await _embed(fake_openai, texts)
    ranked = learn.ranked_outliers(learn.outlier_scores(x))
    assert ranked[0][0] == 2
    clusters = np.array([0, 0, 0, 0, 0, 1, 1, 1])  # the planted line sits in the cats' cluster
    by_cluster = learn.ranked_outliers(learn.outlier_scores(x, clusters))
    assert by_cluster[0][0] == 2
    scores = learn.outlier_scores(x)
    threshold = learn.default_threshold(scores)
    assert [i for i, s in enumerate(scores) if s >= threshold] == [2]


async def test_recommend_more_like_this_less_like_that(fake_openai: FakeOpenAI) -> None:
    texts = [
        "red apple fruit",  # 0
        "green apple fruit",  # 1
        "apple pie with fruit",  # 2
        "apple laptop computer",  # 3
        "computer keyboard mouse",  # 4
        "banana fruit smoothie",  # 5
    ]
    x = await _embed(fake_openai, texts)
    first = learn.recommend(x, [0], count=3)
    assert 0 not in [i for i, _ in first]
    assert first[0][0] == 1
    refined = learn.recommend(x, [0], [3], count=5)
    assert all(i != 3 for i, _ in refined)
    assert [i for i, _ in refined][-1] == 4  # pushed away from computers
    assert learn.recommend(x, []) == []
