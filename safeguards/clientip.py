"""
The client's address, as the rate limits (the portal's and allauth's) and the logs see it.

Behind a load balancer every request arrives from the balancer's own address (REMOTE_ADDR).
Each proxy appends the address it received the request from to X-Forwarded-For, after
whatever was already there — including anything the client wrote itself. So only the last
TRUSTED_PROXY_COUNT entries were written by proxies the portal trusts, and the client's
address is the entry TRUSTED_PROXY_COUNT places from the end; everything to its left may be
forged and is never read. With TRUSTED_PROXY_COUNT = 0 (the default: no proxy) the header is
ignored and REMOTE_ADDR is the client. Alternatively TRUSTED_CLIENT_IP_HEADER names a header
that the proxy sets and overwrites (X-Real-IP, CF-Connecting-IP), which is then read instead.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address, or "" when no trustworthy address can be read (never an exception)."""
    cached = getattr(request, "_safeguards_client_ip", None)
    if cached is None:
        cached = request._safeguards_client_ip = _client_ip(request)
    return cached


def _client_ip(request: HttpRequest) -> str:
    remote = clean_ip(request.META.get("REMOTE_ADDR", ""))
    header = settings.TRUSTED_CLIENT_IP_HEADER
    if header:
        return clean_ip(request.headers.get(header, "")) or remote
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted > 0:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if forwarded:
            # Fewer entries than trusted proxies: the request skipped the outer ones, and every
            # entry there is was still written by a trusted proxy; the leftmost is the client.
            return clean_ip(forwarded[-min(trusted, len(forwarded))]) or remote
    return remote


def clean_ip(value: str) -> str:
    """An address in its canonical form, without a port ("[::1]:80", "10.0.0.1:80"); "" if it is not one."""
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return ""
