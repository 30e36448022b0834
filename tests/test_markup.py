"""Statement bodies are Markdown from publishers, rendered sanitised: nothing executable reaches a page."""

import pytest

from priorities.markup import render_markdown

from .factories import make_statement

pytestmark = pytest.mark.django_db

HOSTILE_BODY = """Ministers met.

<script>alert('body')</script>

[click me](javascript:alert('link')) and [safe](https://www.example.org/spp)

<img src=x onerror="alert('img')">

<a href="JaVaScRiPt:alert(1)">mixed case</a> <iframe src="https://evil.example"></iframe>
"""


def test_script_and_javascript_links_never_reach_the_page(client):
    statement = make_statement(body_en=HOSTILE_BODY)
    html = client.get(statement.get_absolute_url()).text
    body = html[html.index('class="statement-body') :]
    body = body[: body.index("</div>")]
    assert "<script>alert" not in body
    assert "javascript:" not in body.lower()
    assert "onerror" not in body
    assert "<iframe" not in body
    assert 'href="https://www.example.org/spp"' in body
    assert "Ministers met." in body


def test_markdown_structure_is_kept():
    html = render_markdown("A **bold** claim.\n\n- one\n- two")
    assert "<strong>bold</strong>" in html
    assert "<li>one</li>" in html
