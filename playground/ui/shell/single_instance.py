"""One Playground per data folder: a second start hands over to the first instead of racing it.

Two instances writing the same settings file and ledger would lose each other's changes. The first
instance holds a lock file in its data folder and listens on a local socket; a second start finds the
lock, asks the first to come to the front, and exits. If the lock is held but nobody answers (the
first instance hangs), the second says so instead of starting.
"""

from __future__ import annotations

import logging
import time
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QLockFile, QObject, Signal

if TYPE_CHECKING:  # QtNetwork loads after the first frame (`listen`), or for a second start
    from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

ACTIVATE = b"activate\n"


class SingleInstance(QObject):
    """Holds the per-data-folder lock and the "come to the front" channel.

    Signals:
        activation_requested: another start asked this instance to show its window.
    """

    activation_requested = Signal()

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = QLockFile(str(data_dir / "playground.lock"))
        self._lock.setStaleLockTime(0)  # a crashed instance's lock is stale once its PID is gone
        digest = zlib.crc32(str(data_dir.resolve()).encode())
        self.server_name = f"playground-{digest:08x}"
        self._server: QLocalServer | None = None

    def acquire(self) -> str:
        """Takes the lock (call `listen` once the window is up).

        Returns:
            "acquired"; "held" if another instance has the lock; "unavailable" if the lock file
            cannot be made (a read-only data folder): the app then runs unguarded.
        """
        if not self._lock.tryLock(100):
            if self._lock.error() == QLockFile.LockError.LockFailedError:
                return "held"
            log.warning("cannot create the instance lock in the data folder; not guarding")
            return "unavailable"
        return "acquired"

    def listen(self) -> None:
        """Starts answering later starts ("come to the front"). Needs the lock."""
        from PySide6.QtNetwork import QLocalServer

        if not self._lock.isLocked() or self._server is not None:
            return
        QLocalServer.removeServer(self.server_name)  # a socket file left by a crash
        server = QLocalServer(self)
        if server.listen(self.server_name):
            server.newConnection.connect(self._on_new_connection)
            self._server = server
        else:  # the app works without it; a second start then just says we are running
            log.warning("could not listen for a second start: %s", server.errorString())

    def notify_running(self, timeout_ms: int = 2000) -> bool:
        """Asks the running instance to show its window; True if it answered. A first instance
        that is still starting listens a moment after taking the lock, so this keeps trying."""
        from PySide6.QtNetwork import QLocalSocket

        deadline = time.monotonic() + timeout_ms / 1000
        socket = QLocalSocket()
        while True:
            socket.connectToServer(self.server_name)
            if socket.waitForConnected(100):
                break
            socket.abort()
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)  # not a test: a real wait for another process to start listening
        socket.write(ACTIVATE)
        ok = socket.waitForBytesWritten(timeout_ms)
        socket.disconnectFromServer()
        return ok

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._lock.isLocked():
            self._lock.unlock()

    def _on_new_connection(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._on_ready_read(s))
            socket.disconnected.connect(socket.deleteLater)

    def _on_ready_read(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).startswith(ACTIVATE.strip()):
            self.activation_requested.emit()
