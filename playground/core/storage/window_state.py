"""The window's own settings, readable without the rest of the settings machinery.

`run_app` shows the window before anything else is loaded; it needs only these few values (theme,
geometry, last tab), so they live in this small module that imports nothing from the app.
`playground.core.storage.settings` owns the file and re-exports `UiSettings`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path


@dataclass(frozen=True, slots=True)
class UiSettings:
    """Window state. `geometry` is Qt's saveGeometry() as base64 text."""

    last_tab: str = "chat"
    geometry: str = ""
    theme: str = "system"  # "system" | "light" | "dark"


def read_ui_settings(settings_file: Path) -> UiSettings:
    """The "ui" section of the settings file; defaults when it is missing or unreadable (the full
    settings load later reports a damaged file)."""
    try:
        raw = json.loads(settings_file.read_text(encoding="utf-8"))
        ui = raw.get("ui", {}) if isinstance(raw, dict) else {}
    except (OSError, ValueError, RecursionError):
        return UiSettings()
    if not isinstance(ui, dict):
        return UiSettings()
    names = {f.name for f in fields(UiSettings)}
    return UiSettings(**{k: str(v) for k, v in ui.items() if k in names and v is not None})
