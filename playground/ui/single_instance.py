"""One Playground per data folder: a second start hands over to the first instead of racing it.

Two instances writing the same settings file and ledger would lose each other's changes. The first
instance holds a lock file in its data folder and listens on a local socket; a second start finds the
lock, asks the first to come to the front, and exits. If the lock is held but nobody answers (the
first instance hangs), the second says so instead of starting.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
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
        digest = hashlib.sha1(str(data_dir.resolve()).encode()).hexdigest()[:16]
        self.server_name = f"playground-{digest}"
        self._server: QLocalServer | None = None

    def acquire(self) -> str:
        """Takes the lock and starts listening.

        Returns:
            "acquired"; "held" if another instance has the lock; "unavailable" if the lock file
            cannot be made (a read-only data folder): the app then runs unguarded.
        """
        if not self._lock.tryLock(100):
            if self._lock.error() == QLockFile.LockError.LockFailedError:
                return "held"
            log.warning("cannot create the instance lock in the data folder; not guarding")
            return "unavailable"
        QLocalServer.removeServer(self.server_name)  # a socket file left by a crash
        server = QLocalServer(self)
        if server.listen(self.server_name):
            server.newConnection.connect(self._on_new_connection)
            self._server = server
        else:  # the app works without it; a second start then just says we are running
            log.warning("could not listen for a second start: %s", server.errorString())
        return "acquired"

    def notify_running(self, timeout_ms: int = 2000) -> bool:
        """Asks the running instance to show its window; True if it answered."""
        socket = QLocalSocket()
        socket.connectToServer(self.server_name)
        if not socket.waitForConnected(timeout_ms):
            return False
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
