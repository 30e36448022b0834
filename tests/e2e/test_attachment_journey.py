"""
Issue 14 (attachments): a stakeholder attaches a PDF to a comment, a moderator approves it, and an
anonymous visitor downloads the file from the statement page, byte for byte.
"""

import pytest

from tests.e2e.attachment_steps import approve_from_queue, comment_with_files, download_attachment
from tests.factories import make_moderator, make_statement, make_user
from tests.files import pdf_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_stakeholders_pdf_is_approved_with_the_comment_and_downloaded_by_the_public(new_page, tmp_path):
    statement = make_statement(title_en="Statement open for files")
    paper = tmp_path / "position-paper.pdf"
    paper.write_bytes(pdf_bytes("Our position on cross-border rail"))
    author = new_page(make_user("ines@example.mx", display_name="Inés"))
    tracking = comment_with_files(author, statement, "Our position paper on cross-border rail is attached.", [paper])

    public = new_page()
    # Pending: the public cannot download it, as if it did not exist.
    assert public.goto(f"/en/dialogue/comments/{tracking}/files/1/").status == 404

    approve_from_queue(new_page(make_moderator(display_name="Moderator Ruiz")), tracking)

    assert download_attachment(public, statement, tracking, "position-paper.pdf") == paper.read_bytes()
