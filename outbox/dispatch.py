"""
What happens when an outbox row commits: who is told to send it.

- With a broker (CELERY_BROKER_URL): the Celery worker sends; the app process only publishes a
  "send what is due" task. A lost or unpublishable task loses nothing: the outbox is the source of
  truth, and the worker's periodic sweep (Celery beat, every OUTBOX_SWEEP_SECONDS) or the cron
  command `manage.py outbox_send` sends whatever is due.
- Without one (the embedded default of `make run`): a background thread of the app process sends,
  and also sweeps every OUTBOX_SWEEP_SECONDS for retries whose time has come.

Either way a request never waits: in an app server (spp_portal/wsgi.py calls run_in_background())
the commit only sets an event, and the background thread publishes or sends. In other processes
(management commands, the shell) there is no response to hold, so a broker task is published at
once; without a broker, the app servers' background senders (or cron) pick the message up.
"""

import logging
import os
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection

from . import delivery
from .tasks import send_due

logger = logging.getLogger(__name__)

_wake = threading.Event()
_lock = threading.Lock()
_thread: threading.Thread | None = None
_enabled = False
# Publishing failures are logged once per minute, not per message.
_last_publish_warning = 0.0


def broker_configured() -> bool:
    return bool(getattr(settings, "CELERY_BROKER_URL", ""))


def run_in_background() -> None:
    """Called once by the app server's entry point: this process sends (or publishes) from a thread."""
    global _enabled
    _enabled = True
    _ensure_thread()


def wake() -> None:
    """An outbox row was committed (transaction.on_commit)."""
    if _enabled:
        _ensure_thread()
        _wake.set()
    elif broker_configured():
        publish()


def publish() -> bool:
    """Ask the Celery worker to send what is due; False (logged) when the broker cannot be reached."""
    global _last_publish_warning
    try:
        send_due.apply_async(retry=False)
    except Exception:
        if time.monotonic() - _last_publish_warning > 60:
            _last_publish_warning = time.monotonic()
            logger.warning("email queued in the outbox; the broker could not be told (the sweep will send it)")
        return False
    return True


def _ensure_thread() -> None:
    global _thread
    with _lock:
        if _thread is not None and _thread.is_alive():
            return
        _thread = threading.Thread(target=_run, name="outbox-sender", daemon=True)
        _thread.start()


def _after_fork_in_child() -> None:
    # A forked child (gunicorn --preload) has the flag but not the thread, nor its lock's state.
    global _thread, _lock
    _thread = None
    _lock = threading.Lock()
    _wake.clear()
    if _enabled:
        _ensure_thread()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _run() -> None:
    while True:
        # With a broker, the worker's beat sweeps; here, wait for a commit. Without one, this
        # thread is the sweep too: retries come due while nobody commits anything.
        _wake.wait(timeout=None if broker_configured() else settings.OUTBOX_SWEEP_SECONDS)
        _wake.clear()
        try:
            if broker_configured():
                publish()
            else:
                delivery.send_due()
        except Exception:
            logger.exception("outbox sender pass failed; the messages stay in the outbox")
        finally:
            # This thread's own database connection: never left open between passes.
            close_old_connections()
            connection.close()
