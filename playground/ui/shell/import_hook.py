"""Keeps PySide6's import hook from holding the source of every module in memory.

PySide6 (6.4 and later, PYSIDE-2029) hooks `__import__` and, for each module imported after it,
asks whether the module uses PySide6 by reading its whole source with `inspect.getsource`. That
goes through `linecache`, which keeps every line of every file it read for the rest of the run:
the app's modules, asyncio, the keyring stack, and later the SDK's 520 modules and the price
table (a 1.6 MB Python file). At idle that was 3 MiB of source without a key and 11 MiB (about
20-27 MiB of RSS) with a key and the model list loaded (bench/startup.py).

`keep_sources_out_of_memory` gives the hook the same answer without the cache: a plain `.py` file
is searched as bytes and closed; anything else (a module from a zip, a frozen app) still goes
through PySide6's own check, and what that check added to `linecache` is dropped again. Tracebacks
read the lines they show when they need them, as before.
"""

from __future__ import annotations

import linecache
import logging
import sys
from collections.abc import Callable
from types import ModuleType

log = logging.getLogger(__name__)

_MARK = "_playground_keeps_no_source"


def keep_sources_out_of_memory() -> bool:
    """Replaces PySide6's "does this module use PySide6?" check with one that keeps nothing.

    Call it once PySide6 is imported. Returns False (and changes nothing) when this PySide6 has no
    such check, so a PySide6 that drops or renames it only brings the old cost back.
    """
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(original):
        log.debug("PySide6 has no source check to replace; nothing done")
        return False
    if getattr(original, _MARK, False):
        return True
    check = _source_check(original)
    setattr(check, _MARK, True)
    feature._mod_uses_pyside = check  # type: ignore[attr-defined]
    return True


def _source_check(original: Callable[[ModuleType], bool]) -> Callable[[ModuleType], bool]:
    def uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            try:
                with open(path, "rb") as source:
                    return b"PySide6" in source.read()
            except OSError:
                pass  # not a readable file: let PySide6 look the way it knows
        cached = isinstance(path, str) and path in linecache.cache
        try:
            return original(module)
        finally:
            if isinstance(path, str) and not cached:
                linecache.cache.pop(path, None)

    return uses_pyside
