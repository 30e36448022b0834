"""Publishers attach official documents (PDF) per language to a statement (issue 14, item 3)."""

import hashlib

import pytest

from priorities.models import Statement, StatementDocument

from .factories import make_statement
from .files import HTML_PAGE, docx_bytes, pdf_bytes, upload
from .test_admin_publishing import change_form_data, change_url, publisher  # noqa: F401 - the fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def with_document(statement, name, data, *, language="fr", title="Déclaration conjointe (version signée)"):
    return change_form_data(
        statement,
        **{
            "documents-TOTAL_FORMS": "1",
            "documents-0-language": language,
            "documents-0-title": title,
            "documents-0-file": upload(name, data),
        },
    )


def document_url(document):
    return f"/en/statements/{document.statement.slug}/documents/{document.pk}/"


def test_a_publisher_attaches_a_pdf_and_the_statement_page_lists_it(client, publisher):  # noqa: F811
    statement = make_statement(title_en="Joint statement")
    data = pdf_bytes("Signed joint statement")
    response = client.post(change_url(statement), with_document(statement, "signed.pdf", data))
    assert response.status_code == 302, response.text
    document = StatementDocument.objects.get()
    assert (document.language, document.name, document.size) == ("fr", "signed.pdf", len(data))
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    client.logout()
    page = client.get(statement.get_absolute_url())
    assert f'href="{document_url(document)}"' in page.text
    assert "Official documents" in page.text and "Déclaration conjointe (version signée)" in page.text
    assert "français" in page.text and f"{len(data)} bytes" in page.text.replace("\xa0", " ")
    download = client.get(document_url(document))
    assert b"".join(download.streaming_content) == data
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "sandbox; default-src 'none'"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("statement.pdf", HTML_PAGE, "contains web-page markup"),
        ("statement.docx", docx_bytes(), "only PDF files are accepted here"),
    ],
    ids=["html-renamed-pdf", "word-document"],
)
def test_anything_but_a_real_pdf_is_refused(client, publisher, name, data, message):  # noqa: F811
    statement = make_statement(title_en="Joint statement")
    response = client.post(change_url(statement), with_document(statement, name, data))
    assert response.status_code == 200
    assert message in response.text
    assert not StatementDocument.objects.exists()


def test_a_draft_statements_documents_are_for_publishers_only(client, publisher):  # noqa: F811
    draft = make_statement(title_en="Draft", status=Statement.Status.DRAFT, open_comments=False)
    client.post(change_url(draft), with_document(draft, "draft.pdf", pdf_bytes()))
    document = StatementDocument.objects.get()
    assert client.get(document_url(document)).status_code == 200
    client.logout()
    assert client.get(document_url(document)).status_code == 404
