"""Composition root: parse the command line, build every service once, wire the window, run the loop.

Nothing else in the app creates services or reads global state: tests build the same objects with
`services.build_services(...)` and `window.build_window(...)`, passing in-memory secrets and a
temporary home. `--self-test` and `--screenshot` use those two as well, never this module, so the
composition root has no import cycle.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from playground import APP_NAME, __version__
from playground.core.storage.paths import AppPaths
from playground.services import build_services
from playground.window import build_shell, fill_window

log = logging.getLogger("playground")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="playground", description=f"{APP_NAME}: try the OpenAI API without code."
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check encodings, prices, keyring, data folder and window; exit 0/1",
    )
    parser.add_argument(
        "--screenshot",
        metavar="DIR",
        help="render every tab in light and dark to DIR/<tab>-<theme>.png and exit",
    )
    parser.add_argument(
        "--no-first-run", action="store_true", help="do not show the welcome dialog"
    )
    return parser.parse_args(argv)


class _RedactingFilter(logging.Filter):
    """Masks anything that looks like a key in every log record, whatever logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        from playground.core.api.redaction import redact

        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def setup_logging(paths: AppPaths | None) -> None:
    """Logs to stderr, and to the log file in the data folder when `paths` is given (call again
    with `paths` later to add the file: `run_app` does so after the first frame)."""
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    handlers: list[logging.Handler] = []
    if paths is None:
        handlers.append(logging.StreamHandler(sys.stderr))
    else:
        from logging.handlers import RotatingFileHandler

        if not any(isinstance(h, logging.StreamHandler) for h in root.handlers):
            handlers.append(logging.StreamHandler(sys.stderr))
        from playground.core.storage.paths import ensure_private_file

        with contextlib.suppress(OSError):  # a read-only data folder was reported; stderr works
            ensure_private_file(paths.log_file)  # owner-only: the handler would create it 0644
            handlers.append(RotatingFileHandler(paths.log_file, maxBytes=1_000_000, backupCount=2))
    for handler in handlers:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(_RedactingFilter())
        root.addHandler(handler)
    # httpx2 logs every request line at INFO; keep the log about the app.
    for noisy in ("httpx2", "httpx", "httpcore", "openai"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.self_test:
        from playground.selftest import run_self_test

        return run_self_test()
    if args.screenshot:
        from playground.ui.samples.screenshots import take_screenshots

        return take_screenshots(Path(args.screenshot))
    return run_app(no_first_run=args.no_first_run)


def run_app(*, no_first_run: bool = False) -> int:
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication, QMessageBox

    from playground.ui.shell.import_hook import keep_sources_out_of_memory

    # Before the app's own modules load: PySide6 would keep the source of each in memory.
    keep_sources_out_of_memory()
    from playground.core.storage.window_state import read_ui_settings
    from playground.ui.shell.first_frame import after_first_frame
    from playground.ui.shell.single_instance import SingleInstance
    from playground.ui.shell.theme import app_icon, apply_theme, follow_system

    paths = AppPaths.resolve()
    app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("playground")
    app.setWindowIcon(app_icon())

    with contextlib.suppress(OSError):  # a read-only folder is reported once the window is up
        paths.ensure()
    instance = SingleInstance(paths.data_dir)
    if instance.acquire() == "held":
        if instance.notify_running():
            print(
                f"{APP_NAME} is already running; its window was brought to the front.",
                file=sys.stderr,
            )
            return 0
        message = (
            f"{APP_NAME} is already running with this data folder but does not answer.\n"
            "Close it (or end its process), then start it again."
        )
        print(message, file=sys.stderr)
        QMessageBox.critical(None, APP_NAME, message)
        return 1

    setup_logging(None)  # stderr now; the log file after the first frame
    # Shell first: the window with its menus, tabs and status bar, from the settings file's window
    # section alone, painted by Qt's own loop. asyncio, the keyring, the databases, the Chat tab and
    # the controllers come after its first frame (bench/startup.py: warm start 4.5x -> ~1.5x the
    # bare window).
    ui = read_ui_settings(paths.settings_file)
    apply_theme(app, ui.theme)
    window, pages = build_shell()
    window.restore_layout(ui)
    window.show()
    log.info("%s %s window shown", APP_NAME, __version__)
    first_frame = QEventLoop()
    after_first_frame(window, first_frame.quit)
    first_frame.exec()

    import asyncio

    setup_logging(paths)
    from playground.core.api.imports import freeze_loaded_objects
    from playground.core.api.secrets import DeferredSecretStore
    from playground.ui.shell.bridge import TaskRunner, close_loop, install_loop

    loop = install_loop(app)
    runner = TaskRunner()
    # The keyring is opened in the runner's worker thread (an import and D-Bus round trips); the
    # first use waits.
    services = build_services(paths, secrets=DeferredSecretStore(executor=runner.executor))
    controller = fill_window(window, pages, services, runner)
    follow_system(app, ui.theme, window.refresh_icons)
    instance.activation_requested.connect(lambda: _bring_to_front(window))
    instance.listen()
    controller.restore()
    for warning in services.warnings:
        log.warning("%s", warning)  # stderr too, for a frozen app started from a terminal
        QMessageBox.warning(window, APP_NAME, warning)
    # The SDK and the token encoding are not loaded here: the first model refresh (with a key)
    # loads the SDK in a worker, the first count the encoding (bench/startup.py: idle memory).
    controller.start(allow_first_run=not no_first_run)
    freeze_loaded_objects()  # start-up's objects; prepare_for_requests freezes the SDK's too
    log.info("%s %s ready (data in %s)", APP_NAME, __version__, paths.data_dir)

    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    for signum in (
        signal.SIGINT,
        signal.SIGTERM,
    ):  # a logout or `kill` closes cleanly: state is saved
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, window.close)
    try:
        loop.run_until_complete(closed.wait())
        loop.run_until_complete(runner.shutdown())
        loop.run_until_complete(services.session.aclose())
    finally:
        services.close()
        close_loop(loop)
        instance.release()
    return 0


def _bring_to_front(window: Any) -> None:
    log.info("another start asked for the window; bringing it to the front")
    if window.isMinimized():
        window.showNormal()
    window.raise_()
    window.activateWindow()
