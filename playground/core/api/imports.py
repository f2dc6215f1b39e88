"""First imports of the big packages, made in worker threads and one at a time.

A worker imports the SDK (openai, pydantic) before the first request while another may be loading
the price data (genai_prices, pydantic). Two threads importing the same package with circular imports can
hand one of them a half-initialised module ("cannot import name ... from partially initialized
module"). Taking this lock around those imports makes them happen one after the other; once a
package is in `sys.modules` the lock costs next to nothing.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
from types import ModuleType

heavy_import_lock = threading.RLock()


def import_heavy(name: str) -> ModuleType:
    """`importlib.import_module(name)`, serialised with every other first import of a big package."""
    module = sys.modules.get(name)
    # A module another thread is still importing is in sys.modules already, half-initialised
    # (`__spec__._initializing`): wait for that import instead of using it.
    if module is not None and not getattr(module.__spec__, "_initializing", False):
        return module
    with heavy_import_lock:
        return importlib.import_module(name)


def prepare_for_requests() -> None:
    """Imports what the first request and its reply need: the SDK (about 0.4 s and 35 MiB) and the
    Markdown renderer with its common lexers. Blocking: call it in a worker thread.

    The app calls it before its first model refresh, i.e. once it has a key or a local server, not
    at start-up: a window left idle without a key never pays for the SDK (bench/startup.py, idle
    memory). The token encoding is not loaded here either: the first count loads it off the GUI
    thread (`CountersController`).
    """
    import_heavy("openai")
    from playground.core.chat.markdown import warm_up

    warm_up()
    release_free_memory()
    freeze_loaded_objects()


def freeze_loaded_objects() -> None:
    """Moves every object alive now (modules, classes, the SDK's hundreds of thousands of
    objects) out of the garbage collector's sight (`gc.freeze`). Python's full collections walk
    every tracked object: with the SDK loaded they took 35-160 ms, stalls in the middle of a
    streamed answer (bench/compare_stream.py). Objects made later are collected as before."""
    import gc

    gc.freeze()


def release_free_memory() -> None:
    """Hands memory freed after loading (parsers, temporary buffers) back to the OS (glibc only;
    elsewhere the allocator does this itself). bench/startup.py: idle memory -4 MiB."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        ctypes.CDLL("libc.so.6").malloc_trim(0)
