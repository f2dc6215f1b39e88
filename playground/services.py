"""The typed bundle of long-lived core services the UI talks to, and the one function that builds it.

No Qt is needed to build it: tests build the same bundle with in-memory secrets and a temporary home.
Heavy modules (the SDK, genai-prices, tiktoken) are not imported here; each service loads them on
first use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
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

    def close(self) -> None:
        self.history.close()
        self.ledger.close()


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
    from playground.core.money.ledger import LedgerError, UsageLedger
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
    try:
        ledger = UsageLedger(paths.database_file)
    except LedgerError as exc:
        warnings.append(f"{exc} Usage is counted for this session only.")
        ledger = UsageLedger.in_memory()
    try:
        history = HistoryStore(paths.history_file)
        history.recover_interrupted()
    except HistoryError as exc:
        warnings.append(f"{exc} Conversations are kept for this session only.")
        history = HistoryStore.in_memory()
    pricer = Pricer(settings.price_overrides)
    session = ApiSession(settings, secrets, environ)
    return Services(
        paths=paths,
        settings_store=store,
        secrets=secrets,
        session=session,
        catalog=ModelCatalog(paths.models_cache_file),
        counter=TiktokenCounter(),
        pricer=pricer,
        ledger=ledger,
        accounting=Accounting(ledger, pricer),
        history=history,
        presets=PresetStore(paths.presets_file),
        warnings=warnings,
        today=today,
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
