"""
The text of a comment as the portal stores, checks and identifies it.

Pure functions with no database or workflow behind them, so that forms, services, views,
exports and management commands all use the same ones without importing each other.
"""

import hashlib
import unicodedata

# Crockford base 32: no I, L, O or U to misread (normalise_tracking_number maps the look-alikes).
TRACKING_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def clean_body(text: str) -> str:
    """The text as it is stored: browser line endings normalised, surrounding blank space removed."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def invisible_controls(text: str) -> list[str]:
    """Unicode control and bidirectional-override characters that could disguise a comment."""
    found = []
    for char in text:
        if char in "\n\t":
            continue
        if unicodedata.category(char) in {"Cc", "Cf"} and char not in found:
            found.append(char)
    return found


def fingerprint(text: str) -> str:
    """SHA-256 of the exact text, as UTF-8: anyone can check a published comment against its receipt."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise_tracking_number(value: str) -> str:
    """A tracking number as typed or read aloud (lower case, O for 0, I or L for 1) in its stored form."""
    return value.strip().upper().replace("O", "0").replace("I", "1").replace("L", "1")
