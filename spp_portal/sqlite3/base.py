"""
Django's SQLite backend, with writers that queue instead of sleeping.

SQLite admits one writer at a time, and the portal's transactions take the write lock as they
begin (transaction_mode IMMEDIATE, settings.py). SQLite makes a second writer wait in its busy
handler, which sleeps in growing steps (1, 2, 5, 10, 15, 20, 25 ms and on) and then looks again:
a lock freed just after a writer fell asleep stays unused until it wakes. Under a burst of
submissions (make bench, two gunicorn workers) the lock sat idle between writers: 84-92
submissions a second, p99 260-745 ms.

Here a transaction first takes an exclusive lock on a file beside the database
(``<database>-writers``, flock), trying again every half millisecond, and then begins as before:
the next writer starts within half a millisecond of the last one's commit (same bench: 97-113 a
second, p99 about 100 ms). SQLite's own lock stays the authority: a write outside a transaction
goes straight to it, and the file lock only orders the transactions of the processes that share
the database. A writer that has waited for the database's timeout (DATABASE_STATEMENT_TIMEOUT)
gets SQLite's own error, "database is locked", which the portal answers with its 503 page
(spp_portal/unavailable.py). An in-memory database (the test suite's) has nothing beside it to
lock, and is Django's as it is.
"""

import fcntl
import os
import time

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

RETRY_SECONDS = 0.0005


class DatabaseWrapper(base.DatabaseWrapper):
    _writers: int | None = None  # the lock file, opened by this connection's first transaction

    def _start_transaction_under_autocommit(self):
        self._queue()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._leave()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._leave()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._leave()

    def _close(self):
        try:
            return super()._close()
        finally:
            if self._writers is not None:
                os.close(self._writers)  # and with it the lock, were it held
                self._writers = None

    def _queue(self) -> None:
        if self.is_in_memory_db():
            return
        if self._writers is None:
            self._writers = os.open(f"{self.settings_dict['NAME']}-writers", os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + float(self.settings_dict["OPTIONS"].get("timeout", 5))
        while True:
            try:
                fcntl.flock(self._writers, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OperationalError("database is locked (waited for the other writers)") from None
                time.sleep(RETRY_SECONDS)

    def _leave(self) -> None:
        if self._writers is not None:
            fcntl.flock(self._writers, fcntl.LOCK_UN)
