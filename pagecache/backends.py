"""
The portal's cache backends (settings.CACHES): Django's Redis cache, failing soft
("pagecache.backends.FailSoftRedisCache", several servers), and Django's file cache, culled without
listing its folder at every write ("pagecache.backends.FileCache", one server; see its docstring).

With Redis unreachable the portal must still serve, from the database: a read that fails is a miss,
a write that fails is dropped. What that means for each user of the cache, and why:
- the page cache and shared fragments (pagecache/cache.py) fail open: every page is rendered from
  the database, slower, never stale (a generation that cannot be read is a new one);
- sessions (`cached_db`) fail over to their database copy, so everyone stays signed in;
- allauth's rate limits (keys under LOCAL_FALLBACK_PREFIXES) count in each process's own memory
  while the outage lasts: a limit still holds, at most once per worker process, rather than none
  (fail open: anyone may guess passwords) or every sign-in refused (fail closed: nobody signs in).
  The comment rate limit is counted in the database and does not notice.

The cache may miss but must never lie once Redis returns: a key whose write or delete failed during
the outage (a signed-out session, the page-cache generation a moderator's decision ended) is
deleted as soon as Redis answers again, before anything else is read.

After a failure Redis is left alone for RETRY_SECONDS (each request would otherwise pay a connect
timeout), and the outage is logged once per LOG_SECONDS with how many operations failed meanwhile,
not once per request. `ping()` tells /healthz the truth, whatever the pause.
"""

import itertools
import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

# Keys whose failed writes are remembered for deletion; past this, the oldest are forgotten (and said so).
REMEMBERED_KEYS = 10_000


class _Outage:
    def __init__(self):
        self.lock = threading.Lock()
        self.down_since: float | None = None
        self.retry_at = 0.0
        self.logged_at = 0.0
        self.failures = 0
        self.stale: dict[tuple[str, int | None], None] = {}  # an ordered set of (key, version)


_outages: dict[str, _Outage] = {}
_outages_lock = threading.Lock()


class FailSoftRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        self.retry_seconds = float(options.pop("RETRY_SECONDS", 5))
        self.log_seconds = float(options.pop("LOG_SECONDS", 60))
        self.local_prefixes = tuple(options.pop("LOCAL_FALLBACK_PREFIXES", ()))
        super().__init__(server, {**params, "OPTIONS": options})
        # Django gives each thread its own cache object; an outage, the keys it left stale and the
        # local counts are the process's, shared by every thread that uses this cache.
        where = f"{server}|{params.get('KEY_PREFIX', '')}"
        with _outages_lock:
            self._outage = _outages.setdefault(where, _Outage())
        self._local = LocMemCache(f"fail-soft:{where}", {"OPTIONS": {"MAX_ENTRIES": 10_000}})

    # --- The cache API ----------------------------------------------------------------------

    def get(self, key, default=None, version=None):
        return self._call("get", key, (key, default, version), default, write=False)

    def get_many(self, keys, version=None):
        keys = list(keys)
        local = [key for key in keys if self._is_local(key)]
        if local and self.is_down():
            return self._local.get_many(local, version=version)
        return self._attempt(lambda: super(FailSoftRedisCache, self).get_many(keys, version=version), {})

    def has_key(self, key, version=None):
        return self._call("has_key", key, (key, version), False, write=False)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", key, (key, value, timeout, version), False, write=True, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, (key, value, timeout, version), None, write=True, version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, (key, timeout, version), False, write=True, version=version)

    def delete(self, key, version=None):
        return self._call("delete", key, (key, version), False, write=True, version=version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, (key, delta, version), _MISSING, write=True, version=version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        data = dict(data)
        failed = self._attempt(
            lambda: super(FailSoftRedisCache, self).set_many(data, timeout=timeout, version=version), None
        )
        if failed is None:
            self._remember(data, version)
            return list(data)
        return failed

    def delete_many(self, keys, version=None):
        keys = list(keys)
        if self._attempt(lambda: super(FailSoftRedisCache, self).delete_many(keys, version=version), False) is False:
            self._remember(keys, version)

    def clear(self):
        self._local.clear()
        return self._attempt(lambda: super(FailSoftRedisCache, self).clear(), None)

    # --- Health ------------------------------------------------------------------------------

    def is_down(self) -> bool:
        return self._outage.down_since is not None

    def ping(self) -> str | None:
        """None when Redis answers a round trip now, otherwise what went wrong (for /healthz)."""
        if self.is_down():
            if not self._recover():
                return "unreachable"
            return None
        try:
            self._cache.get_client(write=True).ping()
        except Exception as error:
            self._failed(error)
            return f"{type(error).__name__}: {error}"
        return None

    # --- The machinery -----------------------------------------------------------------------

    def _is_local(self, key) -> bool:
        return bool(self.local_prefixes) and str(key).startswith(self.local_prefixes)

    def _call(self, name, key, args, fallback, *, write, version=None):
        if self._is_local(key) and self.is_down() and time.monotonic() < self._outage.retry_at:
            if write:  # Redis may still hold an older value (a lock, a count): dropped when it returns
                self._remember([key], version)
            return getattr(self._local, name)(*args)
        result = self._attempt(lambda: getattr(super(FailSoftRedisCache, self), name)(*args), _FAILED)
        if result is not _FAILED:
            return result
        if write:
            self._remember([key], version)
        if self._is_local(key):
            return getattr(self._local, name)(*args)
        if fallback is _MISSING:  # incr: as Django's caches say of a key they do not have
            raise ValueError(f"Key '{key}' not found (the cache is unreachable)")
        return fallback

    def _attempt(self, operation, fallback):
        if self.is_down():
            if time.monotonic() < self._outage.retry_at:
                self._count()
                return fallback
            # Back, perhaps: the stale keys go before anything is read (a signed-out session, say).
            if not self._recover():
                return fallback
        try:
            return operation()
        except Exception as error:
            # redis-py's errors (ConnectionError, TimeoutError, a server refusing writes) and a
            # misbehaving socket alike: the cache is an optimisation, never a reason to fail a page.
            self._failed(error)
            return fallback

    def _count(self) -> None:
        with self._outage.lock:
            self._outage.failures += 1
            if time.monotonic() - self._outage.logged_at >= self.log_seconds:
                self._outage.logged_at = time.monotonic()
                failures, self._outage.failures = self._outage.failures, 0
                logger.warning(
                    "cache still unreachable; serving from the database",
                    extra={
                        "cache_failures": failures,
                        "down_seconds": round(time.monotonic() - self._outage.down_since),
                    },
                )

    def _failed(self, error: Exception) -> None:
        with self._outage.lock:
            first = self._outage.down_since is None
            if first:
                self._outage.down_since = time.monotonic()
            self._outage.retry_at = time.monotonic() + self.retry_seconds
        if first:
            self._outage.logged_at = time.monotonic()
            logger.warning(
                "cache unreachable; serving from the database (%s: %s)",
                type(error).__name__,
                error,
                extra={"cache_retry_seconds": self.retry_seconds},
            )
        else:
            self._count()

    def _recover(self) -> bool:
        """Redis answers again? Then drop what went stale meanwhile, and say so; False if it still fails."""
        with self._outage.lock:
            stale = list(self._outage.stale)
        try:
            client = self._cache.get_client(write=True)
            if stale:
                client.delete(*(self.make_and_validate_key(key, version=version) for key, version in stale))
            else:
                client.ping()
        except Exception as error:
            self._failed(error)
            return False
        with self._outage.lock:
            if self._outage.down_since is None:
                return True
            down_for = time.monotonic() - self._outage.down_since
            self._outage.down_since = None
            for item in stale:
                self._outage.stale.pop(item, None)
        self._local.clear()
        logger.warning(
            "cache reachable again after %d s; %d stale keys dropped",
            round(down_for),
            len(stale),
            extra={"cache_stale_keys_dropped": len(stale)},
        )
        return True

    def _remember(self, keys, version) -> None:
        with self._outage.lock:
            for key in keys:
                self._outage.stale[(key, version)] = None
            overflow = len(self._outage.stale) - REMEMBERED_KEYS
            for item in list(self._outage.stale)[: max(overflow, 0)]:
                del self._outage.stale[item]
        if overflow > 0:
            logger.error(
                "cache outage: more keys were written than can be remembered; some may be stale in the "
                "cache until they expire (run `manage.py invalidate_public_pages` once it answers)"
            )


_FAILED = object()
_MISSING = object()


class FileCache(FileBasedCache):
    """
    Django's file cache, for one server's workers: each write (a rate-limit count, a session, a
    cached page) first listed the whole folder to see whether it held MAX_ENTRIES, which cost more
    than the write once the folder held a few hundred files (make bench: 60 % of an API request with
    310 files), and grows with it, up to 20,000. Here each process looks once every CULL_CHECK_EVERY
    writes (its first write included); the folder may pass MAX_ENTRIES by that many writes per
    process before Django's cull removes a third of it, as it does.
    """

    CULL_CHECK_EVERY = 100

    def __init__(self, dir, params):
        super().__init__(dir, params)
        self._writes = itertools.count()

    def _cull(self):
        if next(self._writes) % self.CULL_CHECK_EVERY == 0:
            super()._cull()
