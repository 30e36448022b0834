"""
Files attached to comments (issue 14, item 2): recognised by their content, moderated with their
comment, downloaded safely, covered by the receipt, searchable once published, listed in open data.
"""

import csv
import hashlib
import io
import json
import os
import subprocess
import sys

import pytest
from django.core import mail
from django.core.cache import cache

from dialogue import services
from dialogue.models import Attachment, Comment
from dialogue.text import fingerprint
from safeguards.files import MAX_EXTRACTED_CHARS

from .factories import make_comment, make_statement, make_user
from .files import DOCM_MAIN, HTML_PAGE, SHELL_SCRIPT, SVG_IMAGE, docx_bytes, odt_bytes, pdf_bytes, png_bytes, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("generous_rate_limit", "media")]

BODY = "Our association's detailed submission on border wait times is attached."
FILES_AGAIN = "browsers cannot keep chosen files: please choose your files again"


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded files go to a folder of the test's own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def statement():
    return make_statement(title_en="Statement open for comment")


@pytest.fixture
def stakeholder():
    return make_user("ana@example.mx", display_name="Ana")


def comment_url(statement):
    return f"/en/dialogue/statements/{statement.slug}/comment/"


def submit(client, statement, *files, body=BODY):
    return client.post(
        comment_url(statement), {"about": "", "body": body, "language": "en", "attachments": list(files)}
    )


def with_files(statement, author, *files, approve_by=None):
    """A comment submitted with `files` through the real service, approved by `approve_by` when given."""
    return make_comment(statement, author=author, body=BODY, files=list(files), approve_by=approve_by)


def download_url(comment, number=1):
    return f"/en/dialogue/comments/{comment.tracking_number}/files/{number}/"


class TestRefusals:
    @pytest.mark.parametrize(
        ("data", "reason"),
        [
            (HTML_PAGE, "web-page markup"),
            (SVG_IMAGE, "web-page markup"),
            (SHELL_SCRIPT, "is a script"),
            (b"%PDF-1.7\n<html><script>alert(1)</script></html>", "cannot be read as one"),
        ],
        ids=["html", "svg", "script", "fake-pdf-header"],
    )
    def test_a_file_renamed_pdf_is_refused_and_the_text_kept(self, client, statement, stakeholder, data, reason):
        """The name and the declared type say PDF; the content decides, and the form says why it refused."""
        client.force_login(stakeholder)
        response = submit(client, statement, upload("submission.pdf", data, "application/pdf"))
        assert response.status_code == 400
        assert reason in response.text and "submission.pdf" in response.text
        assert FILES_AGAIN in response.text
        assert BODY.replace("'", "&#x27;") in response.text  # the text is kept in the form
        assert not Comment.objects.exists() and not Attachment.objects.exists()

    def test_a_pdf_over_the_limit_is_refused(self, client, statement, stakeholder, settings):
        settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
        client.force_login(stakeholder)
        response = submit(client, statement, upload("report.pdf", pdf_bytes(pad_to=1024 * 1024 + 1)))
        assert response.status_code == 400
        assert "“report.pdf” is larger than 1 MB, the most accepted for one file." in response.text
        assert FILES_AGAIN in response.text and "detailed submission" in response.text
        assert not Comment.objects.exists()

    def test_a_sixth_file_is_refused(self, client, statement, stakeholder):
        client.force_login(stakeholder)
        files = [upload(f"part-{n}.pdf", pdf_bytes(f"Part {n}")) for n in range(6)]
        response = submit(client, statement, *files)
        assert response.status_code == 400
        assert "You can attach at most 5 files to a comment (you chose 6)." in response.text
        assert "detailed submission" in response.text
        assert not Comment.objects.exists()

    def test_the_service_refuses_a_sixth_file_too(self, statement, stakeholder):
        """The rule holds below the form: a caller of the service cannot pass more."""
        files = [upload(f"part-{n}.pdf", pdf_bytes(f"Part {n}")) for n in range(6)]
        with pytest.raises(services.FileRefused):
            services.comment_submit(author=stakeholder, statement=statement, body=BODY, language="en", files=files)
        assert not Comment.objects.exists()

    def test_a_stakeholder_uploading_many_files_is_slowed_down(self, statement, stakeholder, settings):
        settings.ATTACHMENT_RATE_LIMIT = (3, 24 * 3600)
        with_files(statement, stakeholder, upload("a.pdf", pdf_bytes("one")), upload("b.pdf", pdf_bytes("two")))
        with pytest.raises(services.FileRefused, match="in the last 24 hours"):
            services.comment_submit(
                author=stakeholder,
                statement=statement,
                body="A second comment with two more files attached.",
                language="en",
                files=[upload("c.pdf", pdf_bytes("three")), upload("d.pdf", pdf_bytes("four"))],
            )

    def test_a_word_file_with_macros_is_refused(self, client, statement, stakeholder):
        macro = docx_bytes(main=DOCM_MAIN)
        client.force_login(stakeholder)
        response = submit(client, statement, upload("letter.docx", macro))
        assert response.status_code == 400 and "with macros" in response.text


class TestAccepted:
    def test_every_accepted_kind_is_stored_and_listed_on_the_receipt_with_its_sha256(
        self, client, statement, stakeholder, media, django_capture_on_commit_callbacks
    ):
        files = {
            "brief.pdf": pdf_bytes("Tariff schedules"),
            "letter.docx": docx_bytes("Signed by our board"),
            "annex.odt": odt_bytes("Annex on rail freight"),
            "notes.txt": "Plain notes, in UTF-8: café, niño.".encode(),
            "map.png": png_bytes(),
        }
        client.force_login(stakeholder)
        with django_capture_on_commit_callbacks(execute=True):
            response = submit(client, statement, *[upload(name, data, "text/html") for name, data in files.items()])
        assert response.status_code == 302
        comment = Comment.objects.get()
        attachments = list(comment.attachments.all())
        assert [(a.name, a.kind, a.size) for a in attachments] == [
            ("brief.pdf", "pdf", len(files["brief.pdf"])),
            ("letter.docx", "docx", len(files["letter.docx"])),
            ("annex.odt", "odt", len(files["annex.odt"])),
            ("notes.txt", "txt", len(files["notes.txt"])),
            ("map.png", "png", len(files["map.png"])),
        ]
        assert attachments[0].content_type == "application/pdf"  # from the content, not the declared text/html
        digests = [hashlib.sha256(data).hexdigest() for data in files.values()]
        assert [a.sha256 for a in attachments] == digests
        # Stored through the storage API under a random name, never the uploaded one.
        assert all(
            (media / a.file.name).read_bytes() == data for a, data in zip(attachments, files.values(), strict=True)
        )
        assert not any("brief" in a.file.name for a in attachments)
        # The fingerprint covers the text and the files.
        assert comment.fingerprint == fingerprint(BODY, digests) != fingerprint(BODY)
        receipt = client.get(response["Location"])
        for digest in digests:
            assert digest in receipt.text
        assert "The fingerprint covers your text and the SHA-256 of each attached file." in receipt.text
        [email] = mail.outbox
        assert all(digest in email.body for digest in digests) and "brief.pdf" in email.body
        assert "Tariff schedules" in comment.attachments_text and "Annex on rail freight" in comment.attachments_text

    def test_my_data_export_lists_my_files(self, client, statement, stakeholder):
        data = pdf_bytes("Mine")
        with_files(statement, stakeholder, upload("mine.pdf", data))
        client.force_login(stakeholder)
        export = json.loads(client.get("/en/accounts/my-data/export/").content)
        assert export["comments"][0]["attachments"] == [
            {
                "name": "mine.pdf",
                "type": "application/pdf",
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        ]

    def test_extracted_text_is_capped(self, statement, stakeholder):
        comment = with_files(statement, stakeholder, upload("long.txt", ("word " * 10_000).encode()))
        assert len(comment.attachments.get().text) == MAX_EXTRACTED_CHARS

    def test_anyone_can_verify_a_published_comment_with_files(self, client, statement, stakeholder, moderator):
        comment = with_files(statement, stakeholder, upload("brief.pdf", pdf_bytes()), approve_by=moderator)
        response = client.get("/en/dialogue/verify/", {"tracking_number": comment.tracking_number, "text": BODY})
        assert response.context["result"] == "match"

    def test_editing_the_text_keeps_the_files_in_the_fingerprint(self, statement, stakeholder):
        comment = with_files(statement, stakeholder, upload("brief.pdf", pdf_bytes()))
        edited = services.comment_edit(comment=comment, author=stakeholder, body=BODY + " Updated.")
        assert edited.fingerprint == fingerprint(BODY + " Updated.", [comment.attachments.get().sha256])


class TestWhoMayDownload:
    def test_a_pending_attachment_is_404_for_everyone_but_its_author_and_moderators(
        self, client, statement, stakeholder, moderator
    ):
        comment = with_files(statement, stakeholder, upload("brief.pdf", pdf_bytes()))
        url = download_url(comment)
        assert client.get(url).status_code == 404
        client.force_login(make_user("other@example.com"))
        assert client.get(url).status_code == 404
        client.force_login(stakeholder)
        assert client.get(url).status_code == 200
        client.force_login(moderator)
        assert client.get(url).status_code == 200

    def test_public_once_approved(self, client, statement, stakeholder, moderator):
        data = pdf_bytes("Published brief")
        comment = with_files(statement, stakeholder, upload("brief.pdf", data), approve_by=moderator)
        response = client.get(download_url(comment))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == data
        assert client.get(download_url(comment, 2)).status_code == 404

    @pytest.mark.parametrize("decision", ["reject", "hide", "withdraw"])
    def test_gone_from_public_view_when_rejected_hidden_or_withdrawn(
        self, client, statement, stakeholder, moderator, decision
    ):
        comment = with_files(statement, stakeholder, upload("brief.pdf", pdf_bytes()))
        if decision == "reject":
            services.comment_reject(comment=comment, moderator=moderator, seen=comment.fingerprint, reason="off_topic")
        elif decision == "hide":
            services.comment_approve(comment=comment, moderator=moderator, seen=comment.fingerprint)
            assert client.get(download_url(comment)).status_code == 200
            services.comment_hide(comment=comment, moderator=moderator, seen=comment.fingerprint, reason="abusive")
        else:
            services.comment_withdraw(comment=comment, author=stakeholder)
        assert client.get(download_url(comment)).status_code == 404
        client.force_login(make_user("other@example.com"))
        assert client.get(download_url(comment)).status_code == 404
        client.force_login(moderator)
        assert client.get(download_url(comment)).status_code == 200

    def test_downloads_are_never_rendered_by_the_browser(self, client, statement, stakeholder, moderator):
        comment = with_files(statement, stakeholder, upload("Brief (final).pdf", pdf_bytes()), approve_by=moderator)
        response = client.get(download_url(comment))
        assert response["Content-Disposition"].startswith("attachment;")
        assert "Brief_final.pdf" in response["Content-Disposition"]
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
        assert "no-store" in response["Cache-Control"]


class TestOnPages:
    def test_the_statement_page_links_a_published_comments_files(self, client, statement, stakeholder, moderator):
        comment = with_files(statement, stakeholder, upload("brief.pdf", pdf_bytes()), approve_by=moderator)
        response = client.get(statement.get_absolute_url())
        assert f'href="{download_url(comment)}"' in response.text
        assert "brief.pdf" in response.text

    def test_a_page_of_comments_looks_attachments_up_once_and_only_when_there_are_some(
        self, client, statement, stakeholder, moderator, django_assert_max_num_queries
    ):
        for _ in range(3):
            make_comment(statement, approve_by=moderator)
        cache.clear()
        with django_assert_max_num_queries(1000) as without:
            client.get(statement.get_absolute_url())
        for number in range(3):
            with_files(statement, stakeholder, upload("brief.pdf", pdf_bytes(f"Brief {number}")), approve_by=moderator)
        cache.clear()
        with django_assert_max_num_queries(1000) as with_some:
            response = client.get(statement.get_absolute_url())
        assert response.text.count("brief.pdf") == 3
        assert len(with_some.captured_queries) == len(without.captured_queries) + 1

    def test_moderators_preview_the_extracted_text(self, client, statement, stakeholder, moderator):
        comment = with_files(statement, stakeholder, upload("brief.docx", docx_bytes("Cross-border trucking rules")))
        client.force_login(moderator)
        queue = client.get("/en/moderation/")
        assert "1 attached file: review it before deciding" in queue.text
        page = client.get(f"/en/moderation/comments/{comment.tracking_number}/")
        assert "Cross-border trucking rules" in page.text
        assert f'href="{download_url(comment)}"' in page.text


class TestSearch:
    def test_an_attachments_words_are_found_once_approved_and_not_before(
        self, client, statement, stakeholder, moderator
    ):
        comment = with_files(statement, stakeholder, upload("brief.pdf", pdf_bytes("Phytosanitary certificates")))
        assert "phytosanitary" not in comment.body.lower()

        def found():
            response = client.get("/en/search/", {"q": "phytosanitary"})
            return [r.object.pk for r in response.context["page"].object_list if r.kind == "comment"]

        assert found() == []
        services.comment_approve(comment=comment, moderator=moderator, seen=comment.fingerprint)
        assert found() == [comment.pk]
        services.comment_hide(comment=comment, moderator=moderator, seen=comment.fingerprint, reason="abusive")
        assert found() == []


class TestOpenData:
    def test_open_data_and_the_api_list_each_attachment(self, client, statement, stakeholder, moderator):
        data = pdf_bytes("Published brief")
        comment = with_files(statement, stakeholder, upload("brief.pdf", data), approve_by=moderator)
        make_comment(statement, approve_by=moderator)
        expected = {
            "name": "brief.pdf",
            "type": "application/pdf",
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "url": f"http://testserver{download_url(comment)}",
        }
        records = json.loads(client.get(f"/en/open-data/statements/{statement.slug}/comments.json").content)
        assert [r["attachments"] for r in records["comments"]] == [[expected], []]
        rows = list(
            csv.DictReader(
                io.StringIO(client.get(f"/en/open-data/statements/{statement.slug}/comments.csv").text.lstrip("\ufeff"))
            )
        )
        assert expected["sha256"] in rows[0]["attachments"] and rows[1]["attachments"] == ""
        api = client.get(f"/api/v1/comments/{comment.tracking_number}/").json()
        assert api["attachments"] == [expected]

    def test_a_pending_comments_files_are_in_no_open_data(self, client, statement, stakeholder):
        with_files(statement, stakeholder, upload("brief.pdf", pdf_bytes()))
        records = json.loads(client.get(f"/en/open-data/statements/{statement.slug}/comments.json").content)
        assert records["comments"] == []


class TestObjectStorage:
    def test_with_s3_bucket_set_files_go_to_object_storage(self):
        """Several app servers share uploads through S3-compatible storage when S3_BUCKET is set (README)."""
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "spp_portal.settings",
            "S3_BUCKET": "spp-portal-files",
            "S3_ENDPOINT_URL": "https://objects.example.internal",
            "S3_REGION": "ca-central-1",
        }
        code = (
            "import django; django.setup();"
            "from django.core.files.storage import default_storage as s;"
            "print(s.bucket_name, s.endpoint_url, s.default_acl, type(s._wrapped).__name__)"
        )
        result = subprocess.run(  # noqa: S603 - this interpreter, our own code
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, timeout=60
        )
        assert result.stdout.split() == ["spp-portal-files", "https://objects.example.internal", "private", "S3Storage"]
