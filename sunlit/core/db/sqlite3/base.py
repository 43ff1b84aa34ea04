"""SQLite with a kernel lock in front of write transactions.

Every Sunlit transaction on SQLite is ``BEGIN IMMEDIATE`` (it takes the database's write lock at the
start). When several processes or threads write at once, SQLite makes the losers poll with a
back-off sleep (up to 100 ms per try), so throughput falls below a single writer's. This backend
takes an exclusive ``flock`` on ``<database>.writelock`` before ``BEGIN IMMEDIATE`` and releases it at
commit or rollback; waiters retry every 0.2–2 ms (not SQLite's up to 100 ms) and give up after the
connection's ``timeout`` (20 s) with "database is locked".
Readers are unaffected (WAL). Platforms without ``fcntl`` fall back to SQLite's own waiting.
"""

from __future__ import annotations

import os
import time
from typing import Any

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class DatabaseWrapper(base.DatabaseWrapper):
    _write_lock_fd: int | None = None

    def _lock_path(self) -> str | None:
        name = str(self.settings_dict.get("NAME") or "")
        if fcntl is None or not name or self.is_in_memory_db():
            return None
        return f"{name}.writelock"

    def _acquire_write_lock(self) -> None:
        path = self._lock_path()
        if path is None or self._write_lock_fd is not None:
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 20))
        deadline = time.monotonic() + timeout
        pause = 0.0002
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise OperationalError(
                            "database is locked (another writer held it too long)"
                        ) from None
                    time.sleep(pause)
                    pause = min(pause * 2, 0.002)  # short waits: a write transaction lasts milliseconds
        except BaseException:
            os.close(fd)
            raise
        self._write_lock_fd = fd

    def _release_write_lock(self) -> None:
        fd, self._write_lock_fd = self._write_lock_fd, None
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def _start_transaction_under_autocommit(self) -> None:
        self._acquire_write_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self) -> Any:
        try:
            return super()._commit()
        finally:
            self._release_write_lock()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()
        finally:
            self._release_write_lock()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release_write_lock()
