"""
Purge hooks for a CDN or reverse proxy in front of the app servers (settings.PAGECACHE_PURGE).

A hook is called after each invalidation commits, with the tags dropped (None: every page).
`http_ban` asks each proxy in PAGECACHE_PURGE_URLS to ban what it keeps, Varnish style (see the
README, Performance, for the matching VCL): one `BAN` request per proxy with an `X-Purge-Regex`
header that matches the surrogate-key header of every page carrying one of the tags.
"""

import logging
import re
import urllib.request

from django.conf import settings

logger = logging.getLogger(__name__)


def tags_pattern(tags: list[str] | None) -> str:
    """A regular expression matching a Surrogate-Key header holding one of `tags` (None: any page)."""
    if tags is None:
        return "."
    return "(^| )(" + "|".join(re.escape(tag) for tag in tags) + ")( |$)"


def http_ban(tags: list[str] | None) -> None:
    pattern = tags_pattern(tags)
    for url in getattr(settings, "PAGECACHE_PURGE_URLS", []):
        request = urllib.request.Request(url, method="BAN", headers={"X-Purge-Regex": pattern})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=2):  # noqa: S310 - the operator's own proxies
                pass
        except OSError as error:
            logger.warning("purge of %s at %s failed: %s", tags or "every page", url, error)
