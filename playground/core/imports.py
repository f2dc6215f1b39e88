"""One lock for first imports of the big packages that worker threads load.

The warm-up thread imports the SDK (openai, pydantic) while another worker may be loading the price
data (genai_prices, pydantic). Two threads importing the same package with circular imports can
hand one of them a half-initialised module ("cannot import name ... from partially initialized
module"). Taking this lock around those imports makes them happen one after the other; once a
package is in `sys.modules` the lock costs next to nothing.
"""

from __future__ import annotations

import importlib
import sys
import threading
from types import ModuleType

heavy_import_lock = threading.RLock()


def import_heavy(name: str) -> ModuleType:
    """`importlib.import_module(name)`, serialised with every other first import of a big package."""
    module = sys.modules.get(name)
    # A module is in `sys.modules` from the start of its import: one another thread is still
    # running is half-initialised, so wait for it under the lock like a first import.
    if module is not None and not getattr(module.__spec__, "_initializing", False):
        return module
    with heavy_import_lock:
        return importlib.import_module(name)
