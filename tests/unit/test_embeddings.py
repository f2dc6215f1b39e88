"""Embeddings core: limits, planning, the cache, input files, requests (fake server), maths, exports."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from openai import AsyncOpenAI

from playground.core.api.errors import AppError, ErrorKind
from playground.core.embeddings import maths as em
from playground.core.embeddings.cache import EmbeddingCache, cache_key, unpack
from playground.core.embeddings.files import (
    InputFileError,
    parse_lines,
    read_table,
    write_npy,
    write_similarity_csv,
    write_vectors_csv,
    write_vectors_jsonl,
)
from playground.core.embeddings.service import (
    EmbeddingLimits,
    EmbeddingService,
    RunProgress,
    check_dimensions,
    embedding_limits,
    plan_batches,
    prepare,
    run_plan,
)
from tests.fakes import openai_payloads as payloads
from tests.fakes.openai_server import FakeOpenAI


def words(text: str) -> int:
    return len(text.split())


# --- limits -----------------------------------------------------------------------------------


def test_limits_per_model() -> None:
    small = embedding_limits("text-embedding-3-small")
    assert (small.dimensions, small.max_dimensions) == (True, 1536)
    assert embedding_limits("text-embedding-3-large").max_dimensions == 3072
    ada = embedding_limits("text-embedding-ada-002")
    assert not ada.dimensions
    assert ada.native_dimensions == 1536
    local = embedding_limits("nomic-embed-text")
    assert not local.dimensions
    assert local.native_dimensions is None
    assert (small.max_inputs, small.max_tokens_per_input, small.max_tokens_per_request) == (
        2048,
        8192,
        300_000,
    )


def test_check_dimensions() -> None:
    assert check_dimensions("text-embedding-3-small", 256) == ""
    assert check_dimensions("text-embedding-3-small", None) == ""
    assert "1 to 1,536" in check_dimensions("text-embedding-3-small", 2000)
    assert "does not take dimensions" in check_dimensions("text-embedding-ada-002", 256)


# --- planning ---------------------------------------------------------------------------------


def test_plan_batches_respects_inputs_and_tokens_per_request() -> None:
    limits = EmbeddingLimits(max_inputs=3, max_tokens_per_request=10)
    tokens = [4, 4, 1, 1, 1, 1, 9, 2]
    assert plan_batches(tokens, range(8), limits) == [(0, 1, 2), (3, 4, 5), (6,), (7,)]
    assert plan_batches(tokens, [], limits) == []


def test_prepare_packs_batches_with_a_margin_below_the_request_cap() -> None:
    texts = [f"t{i}" for i in range(60)]
    plan = prepare(texts, "text-embedding-3-small", None, lambda _t: 5_000, None)
    assert plan.limits.max_tokens_per_request == 300_000
    assert [len(b) for b in plan.batches] == [57, 3]  # 57 x 5,000 <= 285,000 < 58 x 5,000


def test_prepare_flags_oversize_and_skips_cached_and_duplicates() -> None:
    cache = EmbeddingCache(None)
    cache.put_many("m", None, [("cached text", [1.0, 0.0])])
    limits = EmbeddingLimits(max_inputs=2, max_tokens_per_input=5)
    texts = ["a b", "cached text", "one two three four five six", "a b", "c", "d"]
    plan = prepare(texts, "m", None, words, cache, skipped_empty=2, limits=limits)
    assert plan.oversize == (2,)
    assert plan.cached == frozenset({1})
    assert plan.batches == ((0, 4), (5,))  # the duplicate "a b" is sent once
    assert (plan.new_count, plan.new_tokens, plan.skipped_empty) == (3, 4, 2)
    assert plan.usable == (0, 1, 3, 4, 5)


# --- cache ------------------------------------------------------------------------------------


def test_cache_round_trip_keyed_by_model_and_dimensions(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    with EmbeddingCache(path) as cache:
        cache.put_many("m", 8, [("hello", [0.5, 0.25]), ("world", [1.0, -1.0])])
    with EmbeddingCache(path) as cache:
        found = cache.get_many("m", 8, ["hello", "world", "other"])
        assert set(found) == {"hello", "world"}
        assert list(unpack(found["world"])) == [1.0, -1.0]
        assert cache.contains("m", None, ["hello"]) == set()
        assert cache.contains("other-model", 8, ["hello"]) == set()
        assert cache.count() == 2
    assert cache_key("m", 8, "x") != cache_key("m", 9, "x")


def test_cache_damaged_file_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    from playground.core.embeddings.cache import EmbeddingCacheError

    with pytest.raises(EmbeddingCacheError, match="damaged"):
        EmbeddingCache(path)


# --- input files ------------------------------------------------------------------------------


def test_parse_lines_counts_empty_lines() -> None:
    parsed = parse_lines("alpha\n\n  \nbeta\n")
    assert parsed.texts == ("alpha", "beta")
    assert parsed.skipped_empty == 2


def test_read_txt_csv_jsonl(tmp_path: Path) -> None:
    txt = tmp_path / "a.txt"
    txt.write_text("one\n\ntwo\n", encoding="utf-8")
    table = read_table(txt)
    assert table.column(table.default_column).texts == ("one", "two")
    assert table.column("text").skipped_empty == 1

    data = tmp_path / "b.csv"
    data.write_text('id,review\n1,"Great, really"\n2,\n3,Bad\n', encoding="utf-8")
    table = read_table(data)
    assert table.columns == ("id", "review")
    assert table.default_column == "review"
    parsed = table.column("review")
    assert parsed.texts == ("Great, really", "Bad")
    assert parsed.skipped_empty == 1

    lines = tmp_path / "c.jsonl"
    lines.write_text('{"text": "x", "n": 1}\n"y"\n\n{"title": "t"}\n', encoding="utf-8")
    table = read_table(lines)
    assert table.columns == ("text", "title")
    assert table.column("text").texts == ("x", "y")


def test_bad_files_get_clear_messages(tmp_path: Path) -> None:
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(b"%PDF")
    with pytest.raises(InputFileError, match=r"\.txt.*\.csv.*\.jsonl"):
        read_table(pdf)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"text": oops}\n', encoding="utf-8")
    with pytest.raises(InputFileError, match="line 2: not valid JSON"):
        read_table(bad)
    latin = tmp_path / "latin.txt"
    latin.write_bytes("café".encode("latin-1"))
    with pytest.raises(InputFileError, match="not UTF-8"):
        read_table(latin)
    empty = tmp_path / "empty.csv"
    empty.write_text("only,a,header\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="no texts"):
        read_table(empty)


# --- requests against the fake server -------------------------------------------------------


def _service(fake: FakeOpenAI) -> tuple[EmbeddingService, AsyncOpenAI]:
    client = AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
    return EmbeddingService(lambda: client), client


async def test_run_plan_batches_and_caches(fake_openai: FakeOpenAI) -> None:
    service, client = _service(fake_openai)
    cache = EmbeddingCache(None)
    texts = [f"text number {i}" for i in range(7)]
    limits = EmbeddingLimits(max_inputs=3)
    plan = prepare(texts, "text-embedding-3-small", 16, words, cache, limits=limits)
    progress = RunProgress()
    seen: list[int] = []
    async with client:
        await run_plan(plan, service, cache, progress, lambda n, _r: seen.append(n))
    sizes = [len(r.json["input"]) for r in fake_openai.requests_to("/embeddings")]
    assert sizes == [3, 3, 1]
    assert all(r.json["dimensions"] == 16 for r in fake_openai.requests_to("/embeddings"))
    assert seen == [0, 1, 2]
    assert progress.done_batches == 3
    expected = sum(payloads.count_tokens(t) for t in texts)
    assert progress.usage.input_tokens == expected
    vectors = cache.get_many("text-embedding-3-small", 16, texts)
    assert len(vectors) == 7
    assert len(unpack(vectors[texts[0]])) == 16
    again = prepare(texts, "text-embedding-3-small", 16, words, cache, limits=limits)
    assert again.batches == ()
    assert len(again.cached) == 7


async def test_failed_batch_keeps_finished_ones_and_resume_sends_the_rest(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.scenario.embedding_failures = {2: 500}
    service, client = _service(fake_openai)
    cache = EmbeddingCache(None)
    texts = [f"item {i}" for i in range(6)]
    limits = EmbeddingLimits(max_inputs=2)
    plan = prepare(texts, "text-embedding-3-small", None, words, cache, limits=limits)
    progress = RunProgress()
    async with client:
        with pytest.raises(AppError) as failure:
            await run_plan(plan, service, cache, progress)
        assert failure.value.kind == ErrorKind.SERVER
        assert (progress.done_batches, progress.failed_batch, progress.remaining) == (1, 1, 2)
        assert cache.count() == 2
        resumed = prepare(texts, "text-embedding-3-small", None, words, cache, limits=limits)
        assert resumed.batches == ((2, 3), (4, 5))
        await run_plan(resumed, service, cache, RunProgress())
    sent = [r.json["input"] for r in fake_openai.requests_to("/embeddings")]
    assert sent[-2:] == [texts[2:4], texts[4:6]]
    assert cache.count() == 6


async def test_fake_refuses_oversize_inputs_like_the_api(fake_openai: FakeOpenAI) -> None:
    service, client = _service(fake_openai)
    async with client:
        with pytest.raises(AppError) as failure:
            await service.embed("text-embedding-3-small", ["word " * 9000])
    assert failure.value.status == 400


# --- maths ------------------------------------------------------------------------------------


def _blobs() -> np.ndarray:
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(3, 32))
    return np.concatenate([c + 0.15 * rng.normal(size=(20, 32)) for c in centres])


def test_similarity_rank_and_pairs() -> None:
    x = em.as_matrix([[1, 0], [0.9, 0.1], [0, 1], [-1, 0]])
    s = em.similarity_matrix(x)
    assert s.shape == (4, 4)
    assert s[0, 0] == pytest.approx(1.0)
    assert em.cosine([1, 0], [0, 2]) == pytest.approx(0.0)
    ranking = em.rank([1, 0.05], x)
    assert [i for i, _ in ranking] == [0, 1, 2, 3]
    assert ranking[0][1] > ranking[-1][1]
    pairs = em.top_pairs(s, 2)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1), (1, 2)]


def test_kmeans_finds_separated_clusters_and_suggests_k() -> None:
    x = em.as_matrix(_blobs())
    labels = em.kmeans(x, 3)
    groups = {tuple(labels[i * 20 : (i + 1) * 20]) for i in range(3)}
    assert all(len(set(g)) == 1 for g in groups)  # each blob is one cluster
    assert len({g[0] for g in groups}) == 3
    k, scores = em.suggest_k(x)
    assert k == 3
    assert scores[3] == max(scores.values())


def test_pca_separates_clusters_and_reports_variance() -> None:
    analysis = em.analyze(_blobs())
    assert analysis.projection.points.shape == (60, 2)
    assert 0.3 < sum(analysis.projection.explained) <= 1.0
    assert analysis.k == analysis.suggested_k == 3
    assert analysis.pairs[0][2] >= analysis.pairs[-1][2]


def test_large_inputs_skip_the_matrix_but_keep_clusters() -> None:
    analysis = em.analyze(_blobs(), max_matrix=50)
    assert analysis.similarity is None
    assert analysis.pairs == []
    assert analysis.projection.points.shape == (60, 2)
    assert analysis.k == 3


# --- exports ----------------------------------------------------------------------------------


def test_exports_read_back(tmp_path: Path) -> None:
    labels = ["first, with comma", 'second "quoted"', "third"]
    vectors = [[0.1, 0.2, 0.3], [1.5, -2.25, 3.0], [0.0, 0.0, 1.0]]

    write_vectors_csv(tmp_path / "v.csv", labels, vectors)
    with (tmp_path / "v.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["text", "d0", "d1", "d2"]
    assert [r[0] for r in rows[1:]] == labels
    assert [[float(v) for v in r[1:]] for r in rows[1:]] == vectors

    write_vectors_jsonl(tmp_path / "v.jsonl", labels, vectors)
    records = [json.loads(line) for line in (tmp_path / "v.jsonl").read_text("utf-8").splitlines()]
    assert [(r["text"], r["embedding"]) for r in records] == list(zip(labels, vectors, strict=True))

    write_npy(tmp_path / "v.npy", vectors)
    loaded = np.load(tmp_path / "v.npy")
    assert loaded.dtype == np.float32
    assert loaded.shape == (3, 3)
    np.testing.assert_allclose(loaded, vectors, rtol=1e-6)

    s = em.similarity_matrix(em.as_matrix(vectors))
    write_similarity_csv(tmp_path / "s.csv", labels, s.tolist())
    with (tmp_path / "s.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["", *labels]
    np.testing.assert_allclose([[float(v) for v in r[1:]] for r in rows[1:]], s, atol=1e-6)
