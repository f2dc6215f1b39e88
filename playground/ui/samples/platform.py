"""Sample content for `--screenshot`: the Platform tab's Files page with a dozen files of every
purpose, a JSONL file previewed, and an upload in parts half-way. No network.

Nothing here is used when the app runs normally.
"""

from __future__ import annotations

import json

from PySide6.QtWidgets import QApplication, QLabel, QWidget

from playground.core.models import Usage
from playground.core.platform.batches import (
    BatchInfo,
    BatchParams,
    ResultRow,
    check_batch_file,
    prompts_to_jsonl,
)
from playground.core.platform.dataset import check_dataset
from playground.core.platform.files import FileInfo, FilePage, make_preview
from playground.core.platform.fine_tuning import JobEvent, JobInfo
from playground.core.platform.vector_stores import Chunk, StoreFile, StoreInfo
from playground.ui.platform.controller import PlatformController

_NOW = 1_796_630_400  # 2026-12-07
_FILES = (
    ("support-replies.jsonl", "fine-tune", 1_843_210, 3),
    ("support-replies-validation.jsonl", "fine-tune", 204_800, 3),
    ("movie-genres.jsonl", "batch", 86_412, 26),
    ("batch_68f2_output.jsonl", "batch_output", 412_095, 25),
    ("handbook-2026.pdf", "assistants", 5_342_118, 50),
    ("pricing-faq.md", "assistants", 18_230, 51),
    ("receipt-scan.png", "vision", 734_003, 70),
    ("quarterly-notes.txt", "user_data", 9_871, 95),
    ("step_metrics.csv", "fine-tune-results", 2_310, 120),
    ("product-catalogue.csv", "user_data", 688_204_112, 130),
    ("team-photo.jpg", "vision", 2_114_870, 200),
    ("glossary.txt", "user_data", 4_020, 260),
)
_EXAMPLES = [
    {
        "messages": [
            {"role": "system", "content": "You answer support questions for Acme lamps."},
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }
    for question, answer in (
        ("My lamp flickers.", "Check that the bulb is screwed in fully, then try another socket."),
        ("How long is the warranty?", "Two years from the date on your receipt."),
        ("Can I use a 100 W bulb?", "No: the lamp takes bulbs up to 60 W (or LED equivalents)."),
    )
]


def fill(controller: PlatformController) -> list[tuple[str, QWidget]]:
    """The file list with a JSONL preview; also a picture of an upload in parts half-way."""
    files = tuple(
        FileInfo(f"file-sample{i:02}", name, purpose, size, _NOW - hours * 3600)
        for i, (name, purpose, size, hours) in enumerate(_FILES)
    )
    controller.show_file_page(FilePage(files, has_more=False))
    page = controller.view.files
    page.table.selectRow(0)
    data = "\n".join(json.dumps(example) for example in _EXAMPLES).encode()
    page.show_preview(files[0], make_preview(files[0].name, data))
    shots: list[tuple[str, QWidget]] = []

    page.set_uploading(True)
    page.set_upload_progress(402_653_184, 688_204_112)
    page.set_info("Uploading product-catalogue.csv in 11 parts…")
    shots.append(("upload", _snapshot(controller.view)))
    page.set_uploading(False)
    page.set_upload_progress(0, 0)
    page.set_info("")

    shots.append(("batches", _batches(controller)))
    if controller.fine_tuning is not None:
        shots.append(("fine-tuning", _fine_tuning(controller)))
        shots.append(("from-chat", _from_chat(controller)))
    if controller.vector_stores is not None:
        shots.append(("vector-stores", _vector_stores(controller)))
    controller.view.pages.setCurrentIndex(0)
    return shots


_MOVIES = ("The Shawshank Redemption", "Up", "Alien", "Heat", "Amélie", "Toy Story")
_GENRES = ("Drama", "Animation", "Science fiction", "Crime", "Comedy", "Animation")


def _batches(controller: PlatformController) -> QWidget:
    """The Batches page: a checked prompt list, four batches in different states, and the
    results of the finished one with its cost."""
    view = controller.view
    view.pages.setCurrentWidget(view.batches)
    page = view.batches
    page.set_draft("\n".join(_MOVIES), "Answer with one film genre.", "gpt-4o-mini", 10)
    params = BatchParams("gpt-4o-mini", "Answer with one film genre.", 10)
    page.show_check(check_batch_file(prompts_to_jsonl(_MOVIES, params)))
    batches = [
        BatchInfo("batch_4", "in_progress", "/v1/chat/completions", _NOW - 600, 6, 2, 0,
                  name="movie-genres.jsonl"),
        BatchInfo("batch_3", "completed", "/v1/chat/completions", _NOW - 7200, 6, 6, 0,
                  output_file_id="file-out", name="prompt-list.jsonl"),
        BatchInfo("batch_5", "completed", "/v1/chat/completions", _NOW - 30_000, 24, 24, 0,
                  output_file_id="file-out5", source="Prompt Lab"),
        BatchInfo("batch_2", "expired", "/v1/chat/completions", _NOW - 90_000, 120, 71, 49,
                  output_file_id="file-out2", error_file_id="file-err2", name="reviews.jsonl"),
        BatchInfo("batch_1", "cancelled", "/v1/chat/completions", _NOW - 180_000, 40, 12, 0,
                  name="summaries.jsonl"),
    ]  # fmt: skip
    page.set_batches(batches)
    page.select_batch("batch_3")
    rows = [
        ResultRow(f"prompt-{i}", movie, genre, model="gpt-4o-mini", usage=Usage(24, 2))
        for i, (movie, genre) in enumerate(zip(_MOVIES, _GENRES, strict=True), 1)
    ]
    page.show_results_rows(
        batches[1], rows, "Cost at the batch price: $0.000014 (the same requests live: $0.000029)"
    )
    page.set_poll_note("")
    return _snapshot(view)


def _snapshot(view: QWidget) -> QWidget:
    QApplication.processEvents()
    pixmap = view.window().grab()
    label = QLabel(view)
    label.setPixmap(pixmap)
    label.resize(pixmap.size())
    label.hide()
    return label


def _loss(step: int) -> float:
    return round(1.6 / (1 + 0.45 * step) + 0.05 * (step % 3 == 0), 4)


def _fine_tuning(controller: PlatformController) -> QWidget:
    """The Dataset doctor on a small file with two problems, and three jobs with events."""
    view = controller.view
    part = controller.fine_tuning
    page = view.fine_tuning
    assert part is not None
    assert page is not None
    view.pages.setCurrentWidget(page)
    page.set_files("support-replies.jsonl", "support-replies-validation.jsonl")
    page.set_base_model("gpt-4o-mini")
    lines = [
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": "You answer support questions for Acme lamps."},
                    {"role": "user", "content": f"Question {i} about lamp model A{i}?"},
                    {"role": "assistant", "content": f"Model A{i} takes bulbs up to {i + 20} W."},
                ]
            }
        )
        for i in range(24)
    ]
    lines[5] = lines[5].replace('"user"', '"User"')
    lines[11] = '{"messages": [{"role": "user", "content": "Is it dimmable?"}]}'
    lines[17] = lines[3]
    data = "\n".join(lines).encode()
    report = check_dataset(
        data,
        lambda text: part.counter.count(text, "gpt-4o-mini"),
        validation="\n".join([lines[1], lines[20].replace("A20", "B2")]).encode(),
        context_window=128_000,
    )
    page.show_report(report, part.summary(report, "gpt-4o-mini", 3))
    jobs = [
        JobInfo("ftjob-3", "running", "gpt-4o-mini", _NOW - 1200, suffix="support-v3"),
        JobInfo("ftjob-2", "succeeded", "gpt-4o-mini", _NOW - 86_400,
                "ft:gpt-4o-mini:acme:support-v2:9xk2", suffix="support-v2"),
        JobInfo("ftjob-1", "failed", "gpt-4o-mini", _NOW - 200_000,
                error="The job failed due to an invalid training file.", suffix="support-v1"),
    ]  # fmt: skip
    page.set_jobs(jobs)
    page.select_job("ftjob-3")
    events = [
        JobEvent(_NOW - 1200, "info", "Validating training file: support-replies.jsonl"),
        JobEvent(_NOW - 1150, "info", "Files validated, moving job to queued state"),
        JobEvent(_NOW - 900, "info", "Fine-tuning job started"),
        *(
            JobEvent(_NOW - 800 + 60 * step, "info",
                     f"Step {step}/24: training loss={_loss(step):.4f}",
                     {"step": step, "train_loss": _loss(step),
                      "valid_loss": _loss(step) * 1.08 + 0.02})
            for step in range(1, 15)
        ),
    ]  # fmt: skip
    page.show_events(jobs[0], events)
    page.set_info("")
    return _snapshot(view)


def _from_chat(controller: PlatformController) -> QWidget:
    """The "From Chat…" dialog: three conversations, two ticked, one answer unticked."""
    from datetime import UTC, datetime

    from playground.core.platform.from_chat import AnswerTurn
    from playground.core.storage.history import ConversationSummary
    from playground.ui.platform.from_chat_dialog import FromChatDialog

    page = controller.view.fine_tuning
    assert page is not None
    when = datetime.fromtimestamp(_NOW, UTC)
    dialog = FromChatDialog(page)
    dialog.set_conversations(
        [
            ConversationSummary(key, title, when, when, when, count, "gpt-4o-mini", title, False)
            for key, title, count in (
                ("c1", "Lamp flickers after a bulb change", 8),
                ("c2", "Warranty for the A20 desk lamp", 4),
                ("c3", "Which bulbs fit the floor lamp?", 6),
            )
        ]
    )
    dialog.set_conversation_checked("c1", True)
    dialog.set_conversation_checked("c3", True)
    dialog.open_conversation("c1")
    dialog.show_turns(
        "c1",
        [
            AnswerTurn(1, "My lamp flickers since I changed the bulb.",
                       "Check that the bulb is screwed in fully, then try another socket."),
            AnswerTurn(3, "It still flickers in the other socket.",
                       "Then the bulb may not suit a dimmer: try a dimmable LED bulb."),
            AnswerTurn(5, "ok thanks", "You're welcome!"),
            AnswerTurn(7, "And the warranty?", "Two years from the date on your receipt."),
        ],
    )  # fmt: skip
    dialog.set_turn_checked(5, False)
    dialog.show()
    shot = _snapshot(dialog)
    dialog.close()
    return shot


def _vector_stores(controller: PlatformController) -> QWidget:
    """Two stores, one with a file still indexing and one that failed, and a search."""
    view = controller.view
    page = view.vector_stores
    assert page is not None
    view.pages.setCurrentWidget(page)
    stores = [
        StoreInfo("vs_1", "Lamp handbook", "in_progress", 3, 1, 1, 1, 5_360_348, 30),
        StoreInfo("vs_2", "Pricing FAQ", "completed", 1, 1, 0, 0, 18_230),
    ]
    page.set_stores(stores)
    page.select_store("vs_1")
    page.show_files(
        stores[0],
        [
            StoreFile("f1", "completed"),
            StoreFile("f2", "in_progress"),
            StoreFile("f3", "failed", "The file type is not supported."),
        ],
        {"f1": "handbook-2026.pdf", "f2": "pricing-faq.md", "f3": "team-photo.jpg"},
    )
    page.query.setText("how long is the warranty")
    page.show_chunks(
        "how long is the warranty",
        [
            Chunk("f1", "handbook-2026.pdf", 0.82,
                  "The warranty lasts two years from the date on your receipt. Keep the receipt."),
            Chunk("f1", "handbook-2026.pdf", 0.41,
                  "Repairs after the warranty are charged at cost; ask the shop for a quote."),
        ],
    )  # fmt: skip
    page.set_info("")
    return _snapshot(view)
