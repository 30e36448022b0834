"""
What changed between two versions of a statement, word by word, in each language.

difflib matches the words (whitespace kept with the word before it, so paragraphs stay where they
were); the page shows the later text with removed words in <del> and added ones in <ins>, each
also named in words for screen readers ("removed:", "added:") and shown by shape, struck through
or underlined (static/css/portal.css, "Versions"), not by colour alone.
"""

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from django.conf import settings
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .models import StatementVersion

WORD = re.compile(r"\S+\s*")
FIELDS = ("title", "summary", "body")


def word_diff(before: str, after: str) -> SafeString:
    """`after`, with the words of `before` it no longer has in <del> and the words it adds in <ins>."""
    old, new = WORD.findall(before), WORD.findall(after)
    # Leading whitespace belongs to no word: kept as it is, outside the comparison.
    lead = after[: len(after) - len(after.lstrip())]
    matcher = SequenceMatcher(None, [word.strip() for word in old], [word.strip() for word in new], autojunk=False)
    parts = [conditional_escape(lead)]
    for tag, old_from, old_to, new_from, new_to in matcher.get_opcodes():
        if tag == "equal":
            parts.append(conditional_escape("".join(new[new_from:new_to])))
            continue
        if tag in ("delete", "replace"):
            removed = "".join(old[old_from:old_to])
            parts.append(
                format_html(
                    '<del><span class="visually-hidden">{} </span>{}</del>{}',
                    _("removed:"),
                    removed.rstrip(),
                    " " if tag == "replace" else _trailing(removed),
                )
            )
        if tag in ("insert", "replace"):
            added = "".join(new[new_from:new_to])
            parts.append(
                format_html(
                    '<ins><span class="visually-hidden">{} </span>{}</ins>{}',
                    _("added:"),
                    added.rstrip(),
                    _trailing(added),
                )
            )
    return mark_safe("".join(parts))  # noqa: S308 - every part escaped above


def _trailing(text: str) -> str:
    return text[len(text.rstrip()) :]


@dataclass
class TextChange:
    """One text (a title, a body, a directive) in one language: the later text with the changes marked."""

    name: str
    diff: SafeString
    changed: bool
    state: str = ""  # "added" or "removed" for a directive only one of the two versions has


@dataclass
class LanguageChanges:
    code: str
    name: str
    texts: list[TextChange] = field(default_factory=list)
    directives: list[TextChange] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(text.changed for text in (*self.texts, *self.directives))


def compare(before: StatementVersion, after: StatementVersion) -> list[LanguageChanges]:
    """Per language, each text of `after` with what changed since `before` (the same version: its texts, unmarked)."""
    names = {"title": _("Title"), "summary": _("Summary"), "body": _("Text")}
    earlier = {directive["id"]: directive for directive in before.directives}
    later = {directive["id"]: directive for directive in after.directives}
    # The later version's order, then the directives it removed, where they stood.
    ids = [directive["id"] for directive in after.directives] + [
        directive["id"] for directive in before.directives if directive["id"] not in later
    ]
    languages = []
    for code, name in settings.LANGUAGES:
        changes = LanguageChanges(code=code, name=name)
        for field_name in FIELDS:
            old = before.texts.get(code, {}).get(field_name, "")
            new = after.texts.get(code, {}).get(field_name, "")
            if old or new:
                changes.texts.append(TextChange(names[field_name], word_diff(old, new), old != new))
        for number, pk in enumerate(ids, start=1):
            old = earlier.get(pk, {}).get("text", {}).get(code, "")
            new = later.get(pk, {}).get("text", {}).get(code, "")
            state = "removed" if pk not in later else "added" if pk not in earlier else ""
            if old or new:
                label = _("Directive %(number)d") % {"number": number}
                changes.directives.append(TextChange(label, word_diff(old, new), old != new, state))
        languages.append(changes)
    return languages
