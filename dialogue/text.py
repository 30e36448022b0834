"""
The text of a comment as the portal stores, checks and identifies it.

Pure functions with no database or workflow behind them, so that forms, services, views,
exports and management commands all use the same ones without importing each other.
"""

import hashlib
import unicodedata

from django.utils.crypto import salted_hmac

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


def fingerprint(text: str, attachments: list[str] | tuple[str, ...] = ()) -> str:
    """
    SHA-256 of the exact text, as UTF-8: anyone can check a published comment against its receipt.
    With attachments, it covers their SHA-256s too, in order, each on a line of its own after the
    text ("<text>\n\nattachment sha256:<hex>\n…"), so a file cannot be swapped behind a receipt.
    """
    lines = "".join(f"\nattachment sha256:{digest}" for digest in attachments)
    covered = f"{text}\n{lines}" if attachments else text
    return hashlib.sha256(covered.encode("utf-8")).hexdigest()


# What the audit log says of an account once it is deleted (the database's trigger lets an event's
# actor name change to this pattern only: dialogue/migrations/0009_audit_log_append_only.py).
FORMER_PARTICIPANT = "Former participant"


def pseudonym(account_id: int) -> str:
    """ "Former participant 7F3K": the same for every event of one deleted account, and revealing nothing
    of it (a keyed hash of its id; 4 Crockford characters, so two accounts rarely share one)."""
    digest = int.from_bytes(salted_hmac("dialogue.pseudonym", str(account_id)).digest()[:4], "big")
    code = "".join(TRACKING_ALPHABET[(digest >> (5 * place)) & 31] for place in range(4))
    return f"{FORMER_PARTICIPANT} {code}"


def normalise_tracking_number(value: str) -> str:
    """A tracking number as typed or read aloud (lower case, O for 0, I or L for 1) in its stored form."""
    return value.strip().upper().replace("O", "0").replace("I", "1").replace("L", "1")


def name_controls(text: str) -> list[str]:
    """Like invisible_controls, for a one-line name: tabs and line breaks have no place in it either."""
    return [char for char in dict.fromkeys(text) if unicodedata.category(char) in {"Cc", "Cf"}]


# Names a stakeholder may not take, because readers would take them for the portal, its officials
# or a government speaking (in English, French and Spanish; compared without case or accents,
# as whole words). Officials, who speak for the governments, may.
_OFFICIAL_PHRASES = [
    # the portal and the partnership
    "north american dialogue", "dialogue nord americain", "dialogo de america del norte",
    "security and prosperity partnership", "partenariat pour la securite et la prosperite",
    "alianza para la seguridad y la prosperidad",
    # its officials
    "moderator", "moderators", "moderation", "moderateur", "moderateurs", "moderatrice", "moderatrices",
    "moderador", "moderadores", "moderadora", "moderadoras", "moderacion",
    "administrator", "administrators", "administrateur", "administrateurs", "administratrice",
    "administrador", "administradores", "administradora", "admin", "webmaster",
    "official response", "reponse officielle", "respuesta oficial",
    # the governments
    "government of canada", "canadian government", "gouvernement du canada", "gouvernement canadien",
    "gobierno de canada", "gobierno canadiense",
    "government of mexico", "mexican government", "gouvernement du mexique", "gouvernement mexicain",
    "gobierno de mexico", "gobierno mexicano", "gobierno de la republica",
    "government of the united states", "united states government", "us government", "u s government",
    "american government", "gouvernement des etats unis", "gouvernement americain",
    "gobierno de los estados unidos", "gobierno de estados unidos", "gobierno estadounidense",
    "federal government", "gouvernement federal", "gobierno federal",
]  # fmt: skip
# ...and these only as the whole name: "Canada" speaking is a government; "Canada Steel Ltd." is not.
_OFFICIAL_NAMES = {
    "canada", "mexico", "mexique", "united states", "etats unis", "estados unidos", "usa", "us", "eeuu", "ee uu",
    "government", "gouvernement", "gobierno", "spp", "aspan", "aspan spp",
}  # fmt: skip


def _comparable(text: str) -> str:
    """Without case or accents, letters and digits in single-spaced words: "Québec!" → "quebec"."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    letters = "".join(char if char.isalnum() else " " for char in decomposed if not unicodedata.combining(char))
    return " ".join(letters.split())


def claims_official_identity(name: str) -> bool:
    """Whether `name` would pass for the portal, one of its officials or a government."""
    words = _comparable(name)
    padded = f" {words} "
    return words in _OFFICIAL_NAMES or any(f" {phrase} " in padded for phrase in _OFFICIAL_PHRASES)
