"""
A corpus of hostile inputs, sent by tests/test_hostile_inputs.py through every form of the portal.

Each entry is (id, value). The ids name the pytest cases, so a failure says which input broke which form.
Lone surrogates are absent on purpose: no browser can send them (they are not encodable as UTF-8).
"""

import html.parser

from dialogue.models import Comment

XSS = [
    ("script-tag", "<script>alert(1)</script>"),
    ("img-onerror", "<img src=x onerror=alert(1)>"),
    ("svg-onload", "<svg onload=alert(1)>"),
    ("break-out-double-quote", '"><script>alert(document.cookie)</script>'),
    ("break-out-single-quote", "'><img src=x onerror=alert(1)>"),
    ("javascript-url", "javascript:alert(1)"),
    ("anchor-javascript-href", '<a href="javascript:alert(1)">click me</a>'),
    ("iframe", '<iframe src="https://evil.example/"></iframe>'),
    ("body-onload", "<body onload=alert(1)>"),
    ("style-attribute-url", '<div style="background:url(javascript:alert(1))">styled</div>'),
    ("mixed-case-script", "<ScRiPt>alert(1)</sCrIpT>"),
    ("nested-script", "<scr<script>ipt>alert(1)</script>"),
    ("url-encoded-script", "%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
    ("entity-encoded-script", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("mutation-xss", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"),
    ("details-ontoggle", "<details open ontoggle=alert(1)>"),
    ("input-autofocus", "<input autofocus onfocus=alert(1)>"),
    ("object-data-uri", '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>'),
    ("meta-refresh", '<meta http-equiv="refresh" content="0;url=https://evil.example/">'),
    ("base-href", '<base href="https://evil.example/">'),
    ("form-injection", '<form action="https://evil.example/"><button>Continue</button></form>'),
    ("markdown-javascript-link", "[click here please](javascript:alert(1))"),
    ("autolink-attribute-break", 'See http://example.org/"onmouseover="alert(1) for the details'),
    ("autolink-with-tag", "Read https://example.org/<script>alert(1)</script> today"),
    ("anchor-onclick", "<a href=https://example.org/ onclick=alert(1)>a link</a>"),
    ("template-element", "<template><script>alert(1)</script></template>"),
    ("textarea-breakout", "</textarea><script>alert(1)</script>"),
    ("title-breakout", "</title><script>alert(1)</script>"),
    ("comment-breakout", '<!--<img src="--><img src=x onerror=alert(1)//">'),
    ("svg-animate", "<svg><animate onbegin=alert(1) attributeName=x dur=1s>"),
    ("data-url", "data:text/html,<script>alert(1)</script>"),
    ("angle-brackets", "<<<<<<<<>>>>>>>> <<b>bold?</b>>"),
]

TEMPLATE_SYNTAX = [
    ("django-variable-secret", "{{ settings.SECRET_KEY }}"),
    ("django-debug-tag", "{% debug %}"),
    ("django-load-tag", "{% load log %}{% get_admin_log 10 as log %}{{ log }}"),
    ("jinja-arithmetic", "{{7*7}} is forty-nine"),
    ("dollar-expression", "${7*7} is forty-nine"),
    ("erb-expression", "<%= 7*7 %> is forty-nine"),
    ("ruby-interpolation", "#{7*7} is forty-nine"),
]

SQL = [
    ("sql-or-true", "' OR '1'='1"),
    ("sql-drop-table", "'; DROP TABLE dialogue_comment; --"),
    ("sql-union", "1 UNION SELECT password FROM auth_user--"),
    ("sql-double-quote", '" OR 1=1 --'),
    ("sql-like-wildcard", "%' AND 1=0 UNION SELECT NULL--"),
    ("sql-sleep", "1; SELECT pg_sleep(10)"),
]

OVERSIZE = [
    ("oversize-100k-letters", "A" * 100_001),
    ("oversize-words", "word " * 20_000),
    ("oversize-multibyte", "é" * 60_000),
    ("oversize-long-url", "https://example.org/" + "a" * Comment.BODY_MAX_LENGTH),
    ("oversize-one-over-the-comment-limit", "b" * (Comment.BODY_MAX_LENGTH + 1)),
]

UNICODE_AND_CONTROLS = [
    ("bidi-override", "Nice comment on the borders\u202egnp.exe"),
    ("bidi-isolate", "\u2066isolated\u2069 text with a directional isolate"),
    ("zero-width-spaces", "zero\u200bwidth\u200bspaces everywhere in this comment"),
    ("null-byte-inside", "null\x00byte in the middle of a comment"),
    ("null-byte-only", "\x00"),
    ("percent-null", "%00"),
    ("byte-order-mark", "\ufeffA byte order mark at the start of this comment"),
    ("carriage-return-vertical-tab", "line\rcarriage\x0bvertical\x0cform feed in a comment"),
    ("ansi-escape", "\x1b[31mANSI escape\x1b[0m in a comment text"),
    ("control-characters", "\x01\x02\x03\x04 control characters at the start"),
    ("crlf-header-injection", "/en/\r\nSet-Cookie: injected=1"),
    ("zalgo", "Z\u0334\u0321\u0322\u031b\u031b\u0339\u031d\u0354\u035a" * 20),
    ("astral-and-emoji", "\U0001d54f\U0001f469\U0001f3fd\u200d\U0001f4bb and a flag \U0001f1e8\U0001f1e6"),
    ("rtl-text", "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645 \u05e9\u05dc\u05d5\u05dd"),
]

OTHER = [
    ("path-traversal", "../../../../etc/passwd"),
    ("protocol-relative-url", "//evil.example/"),
    ("backslash-url", "/\\evil.example/"),
    ("absolute-url", "https://evil.example/phish"),
    ("empty", ""),
    ("whitespace-only", "   \t  \n  "),
    ("json-prototype", '{"__proto__": {"admin": true}}'),
    ("email-with-tag", '"<script>alert(1)</script>"@example.org'),
    ("huge-number", "9" * 400),
    ("negative-number", "-1"),
]

CORPUS = XSS + TEMPLATE_SYNTAX + SQL + OVERSIZE + UNICODE_AND_CONTROLS + OTHER
IDS = [name for name, _value in CORPUS]
VALUES = [value for _name, value in CORPUS]
assert len(CORPUS) >= 50 and len(set(IDS)) == len(IDS)


class _Elements(html.parser.HTMLParser):
    """Collects every start tag with its attributes, in document order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    handle_startendtag = handle_starttag


def elements(markup: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Elements()
    parser.feed(markup)
    parser.close()
    return parser.elements


# Tags that never appear in the portal's pages without attributes: an attribute-less one came from input.
DANGEROUS_BARE_TAGS = {
    "script", "style", "iframe", "object", "embed", "svg", "math", "base", "meta", "form",
    "input", "img", "template", "details", "body", "mglyph", "animate",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href"}


def injected_markup(page: str, value: str) -> list[str]:
    """
    What in `page` came from the hostile `value` as markup rather than text: elements that
    `value` itself would create (same tag, same attributes), event-handler attributes, and
    script-bearing URLs. An empty list means the value was rendered inert.
    """
    page_elements = elements(page)
    found = []
    for tag, attrs in elements(value):
        if not attrs and tag not in DANGEROUS_BARE_TAGS:
            continue
        for page_tag, page_attrs in page_elements:
            if page_tag == tag and page_attrs == attrs:
                found.append(f"<{tag} {attrs}> from the input is an element of the page")
                break
    for tag, attrs in page_elements:
        for name, attr_value in attrs.items():
            if name.startswith("on"):
                found.append(f"<{tag}> has an event handler {name}={attr_value!r}")
            if name in URL_ATTRIBUTES and attr_value.strip().lower().startswith(("javascript:", "data:text/html")):
                found.append(f"<{tag}> has a script URL {name}={attr_value!r}")
    return found


# Path segments for every URL pattern (tests/test_hostile_inputs.py, test_hostile_paths): NUL bytes,
# other control characters and byte sequences that are not UTF-8, percent-encoded as a client sends
# them. Each is (id, segment).
PATH_SEGMENTS = [
    ("nul", "%00"),
    ("nul-in-a-tracking-number", "SPP-%0012-3456"),
    ("nul-after-a-word", "statement%00"),
    ("nul-then-traversal", "%00..%2F..%2Fetc%2Fpasswd"),
    ("control-characters", "%01%1B%7F"),
    ("invalid-utf8-byte", "%FF"),
    ("invalid-utf8-pair", "%FF%FE"),
    ("overlong-slash", "%C0%AF"),
    ("encoded-surrogate", "%ED%A0%80"),
    ("truncated-sequence", "SPP-%E2%82"),
]
# A query string with the same, in the parameters the portal's views read.
HOSTILE_QUERY = "page=%00&q=%00&next=%00&status=%00&text=%FF&tracking_number=%C0%AF&about=%ED%A0%80"
