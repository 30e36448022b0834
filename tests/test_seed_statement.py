"""The 2008 joint statement ships with the portal, word for word."""

import re
from pathlib import Path

import pytest

from priorities.models import Priority

from .factories import seed_statement

SEED_FILE = Path(__file__).resolve().parent.parent / "priorities" / "seed" / "spp-joint-statement-2008-02-28.txt"
METADATA_PREFIXES = ("Release Date:", "For Immediate Release", "Office of the Press Secretary", "Contact:")

pytestmark = pytest.mark.django_db


def seed_paragraphs():
    """The statement's paragraphs in the captured page: from its title to '…ongoing work.', chrome removed."""
    lines = SEED_FILE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Joint Statement by Ministers"))
    end = next(i for i, line in enumerate(lines) if line.rstrip().endswith("areas where there is ongoing work."))
    body = [line.strip() for line in lines[start + 1 : end + 1] if line.strip()]
    return [line for line in body if not line.startswith(METADATA_PREFIXES)]


def stored_paragraphs(markdown_body):
    items = []
    for block in markdown_body.split("\n\n"):
        for line in block.splitlines():
            items.append(re.sub(r"^- ", "• ", line.strip()))
    return items


def test_stored_body_is_the_seed_text_word_for_word():
    statement = seed_statement()
    assert stored_paragraphs(statement.body_en) == seed_paragraphs()


def test_release_metadata_comes_from_the_page():
    statement = seed_statement()
    text = SEED_FILE.read_text(encoding="utf-8")
    assert statement.title_en in text
    assert statement.release_date.isoformat() == "2008-02-28"
    assert statement.reviewed_on.isoformat() == "2008-02-28"
    assert "This page was last reviewed/modified on February 28, 2008." in text
    assert statement.release_note == "For Immediate Release"
    assert statement.issuing_office == "Office of the Press Secretary"
    assert statement.press_contact == "202-282-8010"
    assert statement.location == "Los Cabos, Baja California Sur"
    assert statement.original_language == "en"
    assert statement.is_published()


def test_chrome_is_not_part_of_the_statement():
    body = seed_statement().body_en
    for chrome in ("Threat Level", "threat level", "5 Year Anniversary", "Press Room", "last reviewed"):
        assert chrome not in body


def test_five_priorities_each_with_one_directive_of_the_statement():
    statement = seed_statement()
    assert list(Priority.objects.values_list("title_en", flat=True)) == [
        "Competitiveness",
        "Safe Food & Products",
        "Energy and Environment",
        "Smart & Secure Borders",
        "Emergency Management and Preparedness",
    ]
    directives = list(statement.directives.select_related("priority"))
    assert len(directives) == 5
    for directive, line in zip(directives, [p for p in seed_paragraphs() if p.startswith("•")], strict=True):
        assert line == f"• {directive.priority.title_en}: {directive.text_en}{line[-1]}"
    assert set(statement.priorities.all()) == set(Priority.objects.all())


def test_no_translation_is_invented_for_the_statement():
    statement = seed_statement()
    assert statement.official_languages() == ["en"]
    assert not statement.body_fr
    assert not statement.body_es
