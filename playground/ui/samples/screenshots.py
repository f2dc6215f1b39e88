"""`playground --screenshot DIR`: render every tab (and the dialogs) in light and dark to PNG files.

Runs offscreen with a throw-away home folder and an in-memory keyring, so it never touches the user's
data. The Chat tab is filled with a short sample exchange so the picture shows what the tab is for.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import math
import os
import sys
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from PySide6.QtWidgets import QApplication, QTabWidget, QWidget

from playground.core.api.catalog import CatalogSnapshot
from playground.core.api.secrets import MemorySecretStore
from playground.core.chat.service import ChatRequest, TokenLogprob
from playground.core.models import Endpoint, Message, ModelInfo, RequestStatus, Usage
from playground.core.storage.history import Alternative, MessageMeta
from playground.core.storage.paths import AppPaths
from playground.core.storage.settings import MemorySettingsStore
from playground.services import Services, build_services
from playground.ui.common.feature import FeatureController
from playground.ui.samples import retirements
from playground.ui.shell.about import AboutDialog
from playground.ui.shell.app_controller import SESSION_KEY_GONE, AppController
from playground.ui.shell.bridge import TaskRunner, close_loop, install_loop
from playground.ui.shell.first_run import FirstRunDialog
from playground.ui.shell.guide import GettingStartedWindow
from playground.ui.shell.ledger_repair import DamagedLedgerBox
from playground.ui.shell.settings_dialog import SettingsDialog
from playground.ui.shell.theme import app_icon, apply_theme
from playground.window import build_window

# With the shutdown dates OpenAI announced (the pickers badge them): December 2026.
SAMPLE_MODELS = (
    ModelInfo("gpt-4o-mini", shutdown_date="2027-01-14"),
    ModelInfo("gpt-4.1", shutdown_date="2027-01-14"),
    ModelInfo("gpt-4.1-mini", shutdown_date="2027-01-14"),
    ModelInfo("gpt-5-mini", shutdown_date="2026-12-11"),
    ModelInfo("o3"),
    ModelInfo("text-embedding-3-small"),
)
SAMPLE_SYSTEM = (
    "You are a patient tutor. Answer in under 80 words and end with one question for the student."
)
SAMPLE_USER = "Why is the sky blue?"
SAMPLE_REPLY = (
    "Sunlight holds **every colour**. Air molecules scatter short wavelengths far more than long ones "
    "(Rayleigh scattering, intensity \\( \\propto 1/\\lambda^4 \\)):\n\n"
    "| colour | wavelength | scattered |\n|---|---|---|\n| blue | 450 nm | a lot |\n| red | 700 nm | little |\n\n"
    "```python\nratio = (700 / 450) ** 4  # blue scatters ~5.9x more than red\nprint(round(ratio, 1))\n```\n\n"
    "Why do you think sunsets look red instead?"
)


def take_screenshots(out_dir: Path, themes: tuple[str, ...] = ("light", "dark")) -> int:
    """Writes `<tab>-<theme>.png` for every tab and `<dialog>-<theme>.png` for the dialogs."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        _offscreen_desktop(Path(tmp))
        app = QApplication.instance() or QApplication(sys.argv[:1])  # reads the desktop file
    assert isinstance(app, QApplication)
    app.setWindowIcon(app_icon())
    loop = install_loop(app)
    written: list[Path] = []
    for theme in themes:
        written += _render_theme(app, out_dir, theme)
    close_loop(loop)
    for path in written:
        print(path)
    return 0


SCREEN = {"width": 1600, "height": 1000}
"""The desktop the pictures are taken on (Qt's offscreen default is 800×800, smaller than the
window, which now fits the screen it opens on)."""


def _offscreen_desktop(folder: Path) -> None:
    """Without a display, renders on an offscreen desktop of `SCREEN`'s size."""
    platform = os.environ.get("QT_QPA_PLATFORM", "offscreen")
    if platform != "offscreen" or QApplication.instance() is not None:
        return
    config = folder / "offscreen-screen.json"
    screen = {"name": "Screenshots", "x": 0, "y": 0, "logicalDpi": 96, "logicalBaseDpi": 96}
    config.write_text(json.dumps({"screens": [{**screen, **SCREEN, "dpr": 1}]}), encoding="utf-8")
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"


def _render_theme(app: QApplication, out_dir: Path, theme: str) -> list[Path]:
    apply_theme(app, theme)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        secrets = MemorySecretStore()
        secrets.set("openai", "sk-screenshot-0000000000000000demo")
        services = build_services(
            AppPaths.under(Path(tmp)),
            secrets=secrets,
            environ={},
            settings_store=MemorySettingsStore(),
        )
        services.catalog.remember(CatalogSnapshot("openai", SAMPLE_MODELS, 0.0))
        window, controller = build_window(services, TaskRunner())
        controller.restore()
        window.resize(1180, 760)
        window.show()
        _fill_chat_sample(controller, services)
        # The draft estimate is counted off the GUI thread; let it land before taking pictures.
        asyncio.get_event_loop().run_until_complete(_settle(controller))
        window.set_connection_state(f"OpenAI · {len(SAMPLE_MODELS)} models", ok=True)
        for key in window.tab_keys:
            window.show_tab(key)
            if controller.features is not None and key in controller.features.pages:
                feature = controller.features.controller(key)
                for name, widget in _fill_tab_sample(key, feature):
                    written.append(_save(widget, out_dir / f"{key}-{name}-{theme}.png"))
                window.show_tab(key)
            app.processEvents()
            written.append(_save(window, out_dir / f"{key}-{theme}.png"))
        window.show_tab("chat")
        written.append(
            _logprobs_shot(app, window, controller, out_dir / f"chat-logprobs-{theme}.png")
        )
        written.append(_long_shot(app, window, controller, services, out_dir, theme))
        written.append(_compacted_shot(app, window, controller, services, out_dir, theme))
        written.append(
            _tools_shot(app, window, controller, services, out_dir / f"chat-tools-{theme}.png")
        )
        written.append(
            _cache_shot(app, window, controller, services, out_dir / f"chat-cache-{theme}.png")
        )

        def _code() -> QWidget:
            from playground.ui.chat.code_dialog import CodeDialog

            controller.chat.show_code()
            dialog = controller.chat.view.findChild(CodeDialog)
            assert isinstance(dialog, CodeDialog)
            dialog.resize(760, 560)
            return dialog

        def _settings(page: int = 0) -> QWidget:
            dialog = SettingsDialog(controller.settings, window)
            dialog.set_key_status("openai", controller.key_status_text("openai"))
            tabs = dialog.findChild(QTabWidget)
            if tabs is not None:
                tabs.setCurrentIndex(page)
            if page == 1:  # the Data group, as the controller fills it (off the GUI thread there)
                from playground.core.api.retirements import price_data_age, retirement_data_age
                from playground.core.money.price_update import data_text

                text = data_text()
                dialog.set_data_ages(
                    [price_data_age(text, services.today()), retirement_data_age()]
                )
            return dialog

        dialogs: list[tuple[str, Callable[[], QWidget]]] = [
            ("chat-code", _code),
            ("settings", _settings),
            ("settings-prices", lambda: _settings(1)),
            ("settings-budgets", lambda: _settings(2)),
            ("first-run", lambda: FirstRunDialog(services.secrets.notice, window)),
            (
                "first-run-again",
                lambda: FirstRunDialog(
                    "No keyring was found: keys last for this session.",
                    window,
                    reason=SESSION_KEY_GONE,
                ),
            ),
            ("getting-started", lambda: GettingStartedWindow("in your system's keyring", window)),
            (
                "ledger-damaged",
                lambda: DamagedLedgerBox(services.paths.database_file, window),
            ),
            ("about", lambda: AboutDialog(controller.about_extra(), window)),
            ("retirements", lambda: retirements.retirements_view(controller, services)),
            ("chat-model-popup", lambda: retirements.chat_picker_popup(controller)),
        ]
        for name, make in dialogs:
            dialog = make()
            dialog.show()
            app.processEvents()
            written.append(_save(dialog, out_dir / f"{name}-{theme}.png"))
            dialog.close()
        window.close()
        services.close()
    return written


def _fill_tab_sample(key: str, controller: FeatureController) -> list[tuple[str, QWidget]]:
    """Fills a built tab with its sample content; returns further (name, widget) pictures.

    A tab's samples live in `playground.ui.samples.<key>` as `fill(controller) -> [(name, widget)]`,
    using only the controller's and view's public methods. Chat's sample is a stored conversation
    made before the tabs are shown (`_fill_chat_sample`), so it has no module of its own.
    """
    name = f"playground.ui.samples.{key}"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return []
    screens: list[tuple[str, QWidget]] = module.fill(controller)
    return screens


async def _settle(controller: AppController) -> None:
    async def _wait() -> None:
        while any(controller.runner.is_busy(g) for g in ("draft-count", "model-info")):  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    await asyncio.wait_for(_wait(), 10)


def _fill_chat_sample(controller: AppController, services: Services) -> None:
    """A real stored conversation, opened the way the user opens one from the history list."""
    chat = controller.chat
    history = services.history
    reply_usage = Usage(input_tokens=41, output_tokens=112)
    entry = services.accounting.record(
        profile=services.session.profile,
        model="gpt-4o-mini",
        endpoint=Endpoint.CHAT,
        usage=reply_usage,
        latency_ms=1840.0,
        status=RequestStatus.OK,
        conversation_id="sample-sky",
    )
    chat.counters.request_recorded(entry)
    params = ChatRequest(model="gpt-4o-mini", messages=(), temperature=0.7)
    history.create("sample-older", title="Email subject lines", params=params)
    history.append_message(
        "sample-older", Message("user", "Five subject lines for a product launch")
    )
    history.create("sample-sky", params=params, system_prompt=SAMPLE_SYSTEM)
    history.append_message("sample-sky", Message("user", SAMPLE_USER))
    history.append_message(
        "sample-sky",
        Message("assistant", SAMPLE_REPLY),
        MessageMeta(
            model="gpt-4o-mini",
            usage=reply_usage,
            cost=entry.cost,
            finish_reason="stop",
            ttft_ms=420.0,
            elapsed_ms=1840.0,
            system_fingerprint="fp_44709d6fcb",
            # Regenerated twice: "‹ 2/3 ›" on the answer, the second one shown.
            alternatives=(
                Alternative("Because of Rayleigh scattering.", MessageMeta(model="gpt-4o-mini")),
                Alternative(
                    "Blue light bounces around the most.", MessageMeta(model="gpt-4o-mini")
                ),
            ),
            alternative_index=1,
        ),
    )
    history.save_draft("sample-sky", "And why are sunsets red?")
    chat.open_conversation("sample-sky")


def _logprobs_shot(
    app: QApplication, window: QWidget, controller: AppController, path: Path
) -> Path:
    """The logprobs lens on the sample answer. The probabilities are illustrative: a stored
    conversation keeps no logprobs, and the screenshot mode talks to no server."""
    turn = controller.chat.view.conversation.last()
    assert turn is not None
    words = turn.message.content.split(" ")[:40]
    tokens = []
    for i, word in enumerate(words):
        p = (0.97, 0.88, 0.62, 0.35, 0.93, 0.99, 0.71)[i % 7]
        tokens.append(
            TokenLogprob(
                (" " if i else "") + word,
                math.log(p),
                (
                    (" " + word, math.log(p)),
                    (" the", math.log((1 - p) * 0.6)),
                    (" a", math.log((1 - p) * 0.3)),
                ),
            )
        )
    turn.set_logprobs(tokens)
    turn.logprobs_button.setChecked(True)
    app.processEvents()
    saved = _save(window, path)
    turn.logprobs_button.setChecked(False)
    return saved


def _long_shot(
    app: QApplication,
    window: QWidget,
    controller: AppController,
    services: Services,
    out_dir: Path,
    theme: str,
) -> Path:
    """A long conversation kept on OpenAI whose oldest turns a summary note replaced (greyed,
    "not sent"), with the panel showing Keep on OpenAI, Long conversations and a setting learned
    from the server (issue 21). The sample conversation is opened again afterwards."""
    from PySide6.QtWidgets import QScrollArea

    from playground.core.chat.context import summary_note
    from playground.core.chat.service import ResponsesRequest

    history = services.history
    params = ResponsesRequest(
        model="gpt-4o-mini",
        messages=(),
        store=True,
        context_strategy="summarise",
        summary_model="gpt-4o-mini",
    )
    history.create("sample-long", title="Lisbon trip", params=params, api="responses")
    turns = [
        Message("user", "Plan three days in Lisbon for two, mid-range budget."),
        Message("assistant", "Day 1: Alfama and the castle. Day 2: Belém. Day 3: Sintra."),
        Message("user", "We don't like crowds. Swap anything busy."),
        Message("assistant", "Then Sintra on a weekday morning, Belém after 4 pm."),
        summary_note(
            "Two people, three days in Lisbon, mid-range budget, no crowds: Alfama and the "
            "castle, Belém late in the day, Sintra on a weekday morning."
        ),
        Message("user", "Where should we eat on day 2?"),
    ]
    for message in turns:
        meta = MessageMeta(model="gpt-4o-mini") if message.role == "assistant" else None
        history.append_message("sample-long", message, meta)
    chat = controller.chat
    chat.open_conversation("sample-long")
    view = chat.view
    view.set_learned("gpt-4o-mini", ["top_p"])
    # Let the turns of the other conversation go and the new ones take their height.
    loop = asyncio.get_event_loop()
    loop.run_until_complete(_settle(controller))
    loop.run_until_complete(asyncio.sleep(0.3))
    area = view.findChild(QScrollArea, "chatParamsScroll")
    if area is not None:
        area.ensureWidgetVisible(view.params.context_group, 0, 0)
    app.processEvents()
    saved = _save(window, out_dir / f"chat-long-{theme}.png")
    # A setting the server refused: the error offers to send again without it; what was
    # learned shows at the top of the panel.
    from playground.core.api.errors import AppError

    view.show_error(
        AppError.local(
            "Setting refused",
            "gpt-4o-mini does not take temperature (the server said so).",
            "Send again without it; it is then left out for this model (see “Learned from the "
            "server” in the Parameters panel).",
        ),
        retry=True,
        retry_text="Send again without it",
    )
    if area is not None:
        area.verticalScrollBar().setValue(0)
    app.processEvents()
    _save(window, out_dir / f"chat-refused-{theme}.png")
    # A retired model's 404 (issue 15): it names the model and its date, and offers the
    # replacement as a button.
    from playground.core.api.errors import ErrorKind

    view.show_error(
        AppError(
            ErrorKind.MODEL_NOT_FOUND,
            "Model retired",
            "OpenAI retired “gpt-4.1-nano” on 23 Oct 2026; the server no longer serves it (404).",
            "Suggested replacement: o3. Switch to o3 and send again.",
            status=404,
            replacement="o3",
        ),
        retry=True,
        retry_text="Retry",
    )
    app.processEvents()
    _save(window, out_dir / f"chat-retired-{theme}.png")
    view.hide_error()
    view.set_learned("gpt-4o-mini", [])
    chat.open_conversation("sample-sky")
    app.processEvents()
    return saved


def _compacted_shot(
    app: QApplication,
    window: QWidget,
    controller: AppController,
    services: Services,
    out_dir: Path,
    theme: str,
) -> Path:
    """OpenAI compacts (issue 21): see `ui/samples/chat_compaction.py`."""
    from playground.ui.samples import chat_compaction

    def settle() -> None:
        loop = asyncio.get_event_loop()
        loop.run_until_complete(_settle(controller))
        loop.run_until_complete(asyncio.sleep(0.3))

    saved: Path = chat_compaction.shot(
        app,
        window,
        controller.chat,
        services.history,
        settle,
        lambda widget, name: _save(widget, out_dir / f"{name}-{theme}.png"),
    )
    controller.chat.open_conversation("sample-sky")
    app.processEvents()
    return saved


def _tools_shot(
    app: QApplication, window: QWidget, controller: AppController, services: Services, path: Path
) -> Path:
    """A reopened Responses answer with what it kept (issue 21): its Thinking, a web search, a
    code interpreter step with the file it made (Download), its sources; the panel's built-in
    tools with the vector stores listed by name and an MCP server's header kept in the keyring."""
    from PySide6.QtWidgets import QScrollArea

    from playground.core.chat.builtin_tools import (
        Citation,
        FileSearchTool,
        McpTool,
        ToolStep,
        WebSearchTool,
    )
    from playground.core.chat.service import ResponsesRequest

    tools = (
        WebSearchTool(),
        FileSearchTool(vector_store_ids=("vs_sample_1",)),
        McpTool(server_label="deepwiki", server_url="https://mcp.deepwiki.com/mcp"),
    )
    params = ResponsesRequest(model="gpt-4o-mini", messages=(), builtin_tools=tools)
    history = services.history
    history.create("sample-tools", title="Tides in Brest", params=params, api="responses")
    history.append_message("sample-tools", Message("user", "Tabulate tomorrow's tides in Brest."))
    url = "https://tides.example/brest"
    reply = "High tide is at 14:02 (6.1 m); the table is in tides.csv."
    citation = Citation(title="Brest tide tables", url=url, start_index=0, end_index=29)
    made = Citation(file_id="cfile_1", filename="tides.csv", container_id="cntr_1")
    steps = (
        ToolStep("ws_1", "web_search_call", "completed", "Searched the web for “tides Brest”",
                 queries=("tides Brest",), sources=(url,), fee=Decimal("0.01"), fee_checked=True),
        ToolStep("ci_1", "code_interpreter_call", "completed", "Ran 3 lines of Python",
                 code="import pandas as pd\ndf = pd.read_html(url)[0]\ndf.to_csv('tides.csv')",
                 output="Saved 4 rows", container_id="cntr_1", files=(made,), fee_checked=True),
    )  # fmt: skip
    history.append_message(
        "sample-tools",
        Message("assistant", reply),
        MessageMeta(
            model="gpt-4o-mini",
            usage=Usage(input_tokens=812, output_tokens=164, web_searches=1, code_runs=1),
            cost=Decimal("0.0102"),
            finish_reason="stop",
            reasoning="The user wants a table: search for the tide tables, then tabulate them.",
            steps=steps,
            citations=(citation, made),
        ),
    )
    chat = controller.chat
    chat.open_conversation("sample-tools")
    view = chat.view
    loop = asyncio.get_event_loop()
    loop.run_until_complete(_settle(controller))
    loop.run_until_complete(asyncio.sleep(0.3))  # the list asked of the (absent) server fails
    # What OpenAI and the keyring would have answered.
    view.set_vector_stores([("vs_sample_1", "Harbour manuals · 3 of 3 ready"), ("vs_2", "Notes")])
    view.set_mcp_headers_state("deepwiki", ["Authorization"])
    area = view.findChild(QScrollArea, "chatParamsScroll")
    if area is not None:
        area.ensureWidgetVisible(view.params.vector_stores, 0, 0)
    app.processEvents()
    saved = _save(window, path)
    chat.open_conversation("sample-sky")
    app.processEvents()
    return saved


def _cache_shot(
    app: QApplication, window: QWidget, controller: AppController, services: Services, path: Path
) -> Path:
    """A conversation with a prompt cache key and a 12-hour lifetime (issue 21): the panel's
    Prompt caching rows, and a second answer that read most of its input from the cache."""
    from PySide6.QtWidgets import QScrollArea

    from playground.core.chat.service import ResponsesRequest

    params = ResponsesRequest(
        model="gpt-4.1", messages=(), prompt_cache_key="harbour-guide", prompt_cache_ttl="12h"
    )
    history = services.history
    history.create("sample-cache", title="Harbour guide", params=params, api="responses")
    turns = (
        ("When is high tide in Brest tomorrow?", "At 14:02, 6.1 m.", 0),
        ("And the day after?", "At 14:51, 6.3 m.", 1_280),
    )
    for question, answer, cached in turns:
        history.append_message("sample-cache", Message("user", question))
        usage = Usage(input_tokens=1_342 + cached // 40, output_tokens=12, cached_tokens=cached)
        history.append_message(
            "sample-cache",
            Message("assistant", answer),
            MessageMeta(
                model="gpt-4.1",
                usage=usage,
                cost=services.pricer.cost("gpt-4.1", usage),
                finish_reason="stop",
            ),
        )
    chat = controller.chat
    chat.open_conversation("sample-cache")
    view = chat.view
    asyncio.get_event_loop().run_until_complete(_settle(controller))
    area = view.findChild(QScrollArea, "chatParamsScroll")
    if area is not None:
        area.ensureWidgetVisible(view.params.cache_ttl_combo, 0, 40)
    app.processEvents()
    saved = _save(window, path)
    chat.open_conversation("sample-sky")
    app.processEvents()
    return saved


def _save(widget: QWidget, path: Path) -> Path:
    widget.grab().save(str(path))
    return path
