"""Reading pages as a reader does: the text a browser would show, without the markup."""

import re
from html import unescape

HIDDEN = re.compile(r"<(script|style)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
# Tags inside a line of text join their words as they are; any other tag starts a new piece of text.
INLINE = re.compile(r"</?(a|abbr|b|code|em|i|label|small|span|strong|sub|sup|time)\b[^>]*>", re.IGNORECASE)
TAG = re.compile(r"<[^>]+>")
SPACE = re.compile(r"\s+")


def visible_text(html: str) -> str:
    """
    The page's words in order: tags removed, entities decoded, runs of white space (no-break
    spaces too) made one space, and the minus sign (U+2212, as in "UTC-4" on the page) written as the
    hyphen-minus a test can type.
    """
    text = TAG.sub(" ", INLINE.sub("", HIDDEN.sub(" ", html)))
    return SPACE.sub(" ", unescape(text)).replace("\N{MINUS SIGN}", "-").strip()


def section(html: str, element_id: str) -> str:
    """The markup from the element with this id to the end of the page (enough to look inside it)."""
    start = html.index(f'id="{element_id}"')
    return html[html.rindex("<", 0, start) :]
