"""The typed bundle of long-lived core services the UI talks to, and the one function that builds it.

No Qt is needed to build it: tests build the same bundle with in-memory secrets and a temporary home.
Heavy modules (the SDK, genai-prices, tiktoken) are not imported here; each service loads them on
first use.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from playground.core.storage.paths import AppPaths

if TYPE_CHECKING:  # app.py imports this module before the first frame: keep it light
    from playground.core.api.catalog import ModelCatalog
    from playground.core.api.secrets import SecretStore
    from playground.core.api.session import ApiSession
    from playground.core.chat.presets import PresetStore
    from playground.core.money.accounting import Accounting
    from playground.core.money.ledger import UsageLedger
    from playground.core.money.pricing import Pricer
    from playground.core.money.tokens import TiktokenCounter
    from playground.core.storage.history import HistoryStore
    from playground.core.storage.settings import SettingsStore


@dataclass
class Services:
    """Every long-lived object the UI talks to, built once per run."""

    paths: AppPaths
    settings_store: SettingsStore
    secrets: SecretStore
    session: ApiSession
    catalog: ModelCatalog
    counter: TiktokenCounter
    pricer: Pricer
    ledger: UsageLedger
    accounting: Accounting
    history: HistoryStore
    presets: PresetStore
    warnings: list[str]
    today: Callable[[], date] = date.today
    """What day it is, for everything that judges dates (which models are retired): one clock, so a
    test can fix it."""
    #: The usage ledger file found damaged at start (the app offers to move it aside); usage is
    #: counted in memory meanwhile.
    damaged_ledger: Path | None = None
    #: The environment requests are sent with (`OPENAI_BASE_URL` and friends), for what the
    #: Settings dialog shows.
    environ: Mapping[str, str] = field(default_factory=dict)

    def close(self) -> None:
        self.history.close()
        self.ledger.close()

    def replace_ledger(self, ledger: UsageLedger) -> None:
        """Makes `ledger` the one every later request is written to (after the damaged file was
        moved aside), and closes the old one."""
        old, self.ledger = self.ledger, ledger
        self.accounting.ledger = ledger
        self.damaged_ledger = None
        old.close()


def build_services(
    paths: AppPaths,
    *,
    secrets: SecretStore | None = None,
    environ: Mapping[str, str] | None = None,
    settings_store: SettingsStore | None = None,
    today: Callable[[], date] = date.today,
) -> Services:
    """Builds the core services. Problems that do not stop the app (a read-only data folder, no
    keyring) are collected in `warnings` and shown once the window is up."""
    from playground.core.api.catalog import ModelCatalog
    from playground.core.api.secrets import open_secret_store
    from playground.core.api.session import ApiSession
    from playground.core.chat.presets import PresetStore
    from playground.core.money.accounting import Accounting
    from playground.core.money.ledger import LedgerDamagedError, LedgerError, UsageLedger
    from playground.core.money.price_update import KEPT_FILE
    from playground.core.money.pricing import Pricer
    from playground.core.money.tokens import TiktokenCounter
    from playground.core.storage.history import HistoryError, HistoryStore
    from playground.core.storage.settings import JsonSettingsStore, MemorySettingsStore

    warnings: list[str] = []
    try:
        paths.ensure()
    except OSError as exc:
        warnings.append(
            f"The data folder cannot be created ({exc}). Nothing will be saved this session."
        )
    store: SettingsStore = settings_store or JsonSettingsStore(paths.settings_file)
    if settings_store is None and not _writable(paths.config_dir):
        store = MemorySettingsStore(store.load(), notice=store.notice)
        warnings.append(
            f"Settings cannot be saved in {paths.config_dir}; changes last for this session only."
        )
    secrets = secrets if secrets is not None else open_secret_store()
    settings = store.load()
    if store.notice:  # the settings file had to be repaired or set aside
        warnings.append(store.notice)
    damaged_ledger: Path | None = None
    try:
        ledger = UsageLedger(paths.database_file)
    except LedgerDamagedError:  # the window explains it and offers to move the file aside
        damaged_ledger = paths.database_file
        ledger = UsageLedger.in_memory()
    except LedgerError as exc:
        warnings.append(f"{exc} Usage is counted for this session only.")
        ledger = UsageLedger.in_memory()
    try:
        history = HistoryStore(paths.history_file)
        history.recover_interrupted()
    except HistoryError as exc:
        # Read-only or damaged: show what can still be read (the file is not changed), keep new
        # conversations in memory.
        copied = 0
        try:
            history, copied = HistoryStore.salvage(paths.history_file)
            history.recover_interrupted()
        except HistoryError:
            history = HistoryStore.in_memory()
        if copied:
            warnings.append(
                f"{exc} The {copied} saved conversation{'s' if copied != 1 else ''} that could "
                "be read are shown, but cannot be changed there; new conversations are kept for "
                "this session only."
            )
        else:
            warnings.append(f"{exc} Conversations are kept for this session only.")
    pricer = Pricer(settings.price_overrides, kept=paths.data_dir / KEPT_FILE)
    session = ApiSession(settings, secrets, environ)
    counter = TiktokenCounter()
    accounting = Accounting(ledger, pricer)
    if history.recovered:  # only after a crash or kill cut replies off
        _record_recovered(history, accounting, counter, session)
    return Services(
        paths=paths,
        settings_store=store,
        secrets=secrets,
        session=session,
        catalog=ModelCatalog(paths.models_cache_file),
        counter=counter,
        pricer=pricer,
        ledger=ledger,
        accounting=accounting,
        history=history,
        presets=PresetStore(paths.presets_file),
        warnings=warnings,
        today=today,
        damaged_ledger=damaged_ledger,
        environ=os.environ if environ is None else environ,
    )


def _record_recovered(
    history: HistoryStore, accounting: Accounting, counter: TiktokenCounter, session: ApiSession
) -> None:
    """The ledger rows of requests a crash or kill cut off: their answers were kept (marked
    interrupted), their tokens are counted now, as an estimate, so nothing spent goes uncounted."""
    from playground.core.chat.service import ChatRequest
    from playground.core.models import Endpoint, RequestStatus
    from playground.core.money.metering import RequestRecord, unfinished_usage
    from playground.core.storage.history import HistoryError

    for reply in history.recovered:
        try:
            stored = history.load(reply.conversation_id)
        except HistoryError:
            continue
        if any(m.id == reply.message_id and m.meta.response_id for m in stored.messages):
            continue  # a background answer: Chat follows it at start and records it then
        before = [m for m in stored.messages if m.id < reply.message_id]
        conversation = stored.to_conversation()
        conversation.turns = [m.message for m in before]
        model = reply.model or (stored.params.model if stored.params else "")
        request = ChatRequest(model=model, messages=conversation.messages_with())
        usage = unfinished_usage(counter, request, None, reply.text)
        accounting.write(
            RequestRecord(
                profile=session.profile,
                model=model,
                endpoint=Endpoint.CHAT,
                usage=usage,
                status=RequestStatus.ERROR,
                conversation_id=reply.conversation_id,
                tab="chat",
            )
        )


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
        return True
    except OSError:
        return False
