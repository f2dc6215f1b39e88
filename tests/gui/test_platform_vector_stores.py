"""The Platform tab's Vector stores page: a store made, files added and indexed, searched,
renamed and deleted, against the fake server."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMessageBox

from playground.core.platform.batches import Backoff, BatchesService
from playground.core.platform.files import FilesService
from playground.core.platform.vector_stores import VectorStoresService
from playground.ui.platform.controller import PlatformController
from playground.ui.platform.tab import PlatformTab
from playground.ui.platform.vector_stores_page import VectorStoresPage
from tests.conftest import Parts, WaitUntil
from tests.fakes.openai_server import FakeOpenAI

HANDBOOK = (
    b"Lamps take bulbs up to 60 W.\n\nThe warranty lasts two years from the receipt date.\n\n"
    b"Clean the shade with a dry cloth."
)


def _open(parts: Parts, qtbot: Any) -> PlatformController:
    client = parts.services.session.client
    view = PlatformTab()
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    return PlatformController(
        view,
        FilesService(client),
        BatchesService(client),
        parts.runner,
        parts.services.pricer,
        vector_stores=VectorStoresService(client),
        backoff=Backoff(first=0.01, longest=0.04, after_error=0.02),
    )


def _page(controller: PlatformController) -> VectorStoresPage:
    page = controller.view.vector_stores
    assert page is not None
    return page


def _idle(controller: PlatformController) -> bool:
    groups = (*controller.busy_groups, "platform-stores-poll")
    return not any(controller.runner.is_busy(g) for g in groups)


def _file_states(page: VectorStoresPage) -> list[tuple[str, str]]:
    table = page.files_table
    return [(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(table.rowCount())]


def test_a_store_is_made_filled_indexed_searched_renamed_and_deleted(
    parts: Parts, qtbot: Any, fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    fake_openai.files.add("handbook.txt", HANDBOOK, "assistants")
    fake_openai.files.add("scan.bin", b"\xff\xfe\x00\x81", "assistants")
    fake_openai.vector_stores.index_steps = 3
    controller = _open(parts, qtbot)
    view = controller.view
    page = _page(controller)
    wait_until(lambda: _idle(controller) and len(view.files.loaded_names()) == 2)
    view.pages.setCurrentWidget(page)

    page.name_edit.setText("Lamp handbook")
    page.expiry.setValue(7)
    page.chunking.setCurrentIndex(1)
    page.create_button.click()
    wait_until(lambda: len(page.stores) == 1 and _idle(controller))
    created = fake_openai.last("/v1/vector_stores").json
    assert created["name"] == "Lamp handbook"
    assert created["expires_after"] == {"anchor": "last_active_at", "days": 7}
    assert created["chunking_strategy"]["static"]["max_chunk_size_tokens"] == 400
    assert page.selected_store() is not None

    view.files.table.selectAll()  # on the Files page
    page.add_selected_button.click()
    wait_until(lambda: _file_states(page) and _idle(controller))
    seen = [_file_states(page)]

    def indexed() -> bool:
        seen.append(_file_states(page))
        return all("Indexing" not in status for _name, status in seen[-1]) and _idle(controller)

    wait_until(indexed)
    assert ("handbook.txt", "Indexing") in seen[0]  # it was followed while indexing
    assert sorted(seen[-1]) == [
        ("handbook.txt", "Ready"),
        ("scan.bin", "Could not be indexed: The file type is not supported."),
    ]
    assert page.table.item(0, 1).text() == "1 of 2 ready, 1 failed"

    page.query.setText("how long is the warranty")
    page.search_button.click()
    wait_until(lambda: "warranty" in page.results.toPlainText() and _idle(controller))
    text = page.results.toPlainText()
    assert text.startswith("0.40 · handbook.txt")  # how, long, is, the, warranty: 2 of 5
    assert "60 W" not in text.split("\n")[1]

    page.name_edit.setText("Acme handbook")
    page.rename_button.click()
    wait_until(lambda: page.table.item(0, 0).text() == "Acme handbook" and _idle(controller))

    page.delete_button.click()
    box = page.findChild(QMessageBox, "storeDeleteQuestion")
    assert box is not None
    box.button(QMessageBox.StandardButton.Yes).click()
    wait_until(lambda: page.table.rowCount() == 0 and _idle(controller))
    assert fake_openai.vector_stores.stores == {}
    assert len(fake_openai.files.files) == 2  # the files stay


def test_searching_for_nothing_says_so(
    parts: Parts, qtbot: Any, fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    controller = _open(parts, qtbot)
    page = _page(controller)
    wait_until(lambda: _idle(controller))
    page.name_edit.setText("Empty")
    page.create_button.click()
    wait_until(lambda: len(page.stores) == 1 and _idle(controller))
    page.query.setText("anything")
    page.search_button.click()
    wait_until(lambda: "Nothing in this store matches" in page.results.toPlainText())
