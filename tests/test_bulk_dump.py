"""The bulk dump (manage.py dump_open_data, dialogue/bulk.py): complete, compressed, checked, linked."""

import csv
import gzip
import hashlib
import io
import json

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from dialogue import services
from dialogue.models import RejectionReason

from .factories import make_comment, make_statement, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def storage_folder(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def test_the_dump_holds_every_published_comment_and_nothing_else_with_a_checked_manifest(
    storage_folder, moderator, client, generous_rate_limit
):
    author = make_user(email="someone.private@example.org", organisation="Acme Freight")
    first, second = make_statement(), make_statement()
    published = [make_comment(first, author=author, approve_by=moderator) for _ in range(3)]
    published.append(make_comment(second, author=author, approve_by=moderator, body='=HYPERLINK("x") a formula'))
    services.response_post(comment=published[0], moderator=moderator, government="US", body="Noted.", language="en")
    pending = make_comment(first, author=author)
    hidden = make_comment(first, author=author, approve_by=moderator)
    services.comment_hide(comment=hidden, moderator=moderator, seen=hidden.fingerprint, reason=RejectionReason.SPAM)

    out = io.StringIO()
    call_command("dump_open_data", "--chunk", "2", stdout=out)
    assert "Dump of 4 comments is the latest" in out.getvalue()

    manifest = json.loads((storage_folder / "open-data/dumps/latest.json").read_text())
    assert manifest["comments"] == 4
    assert manifest["schema_version"] == "1"
    assert manifest["generated_at"].endswith("+00:00")
    files = {file["format"]: file for file in manifest["files"]}
    for file in files.values():
        data = default_storage.open(file["path"]).read()
        assert hashlib.sha256(data).hexdigest() == file["sha256"]
        assert len(data) == file["bytes"]
        assert file["records"] == 4

    lines = gzip.decompress(default_storage.open(files["jsonl"]["path"]).read()).decode().splitlines()
    records = [json.loads(line) for line in lines]
    assert sorted(r["tracking_number"] for r in records) == sorted(c.tracking_number for c in published)
    answered = next(r for r in records if r["tracking_number"] == published[0].tracking_number)
    assert answered["responses"][0]["government"] == "US"
    assert {r["statement"] for r in records} == {first.slug, second.slug}

    text = gzip.decompress(default_storage.open(files["csv"]["path"]).read()).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 4
    assert next(r for r in rows if r["statement"] == second.slug)["body"].startswith("'=")  # spreadsheet-safe
    everything = text + "\n".join(lines)
    for hidden_away in (pending, hidden):
        assert hidden_away.tracking_number not in everything
    assert "someone.private@example.org" not in everything

    # The open-data page links the latest dump, and its files are served from the storage.
    page = client.get("/en/open-data/").content.decode()
    assert "/en/open-data/dumps/latest/comments.csv.gz" in page and files["csv"]["sha256"] in page
    download = client.get("/en/open-data/dumps/latest/comments.jsonl.gz")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == default_storage.open(files["jsonl"]["path"]).read()
    assert client.get("/en/open-data/dumps/latest/manifest.json").status_code == 200
    assert client.get("/en/open-data/dumps/latest/other.txt").status_code == 404


def test_without_a_dump_the_page_says_so_and_the_links_are_404(storage_folder, client):
    page = client.get("/en/open-data/").content.decode()
    assert "has not been generated yet" in page
    assert client.get("/en/open-data/dumps/latest/comments.csv.gz").status_code == 404


def test_a_new_dump_replaces_the_latest_pointer(storage_folder, moderator):
    statement = make_statement()
    make_comment(statement, approve_by=moderator)
    call_command("dump_open_data", stdout=io.StringIO())
    make_comment(statement, approve_by=moderator)
    call_command("dump_open_data", stdout=io.StringIO())
    manifest = json.loads((storage_folder / "open-data/dumps/latest.json").read_text())
    assert manifest["comments"] == 2
