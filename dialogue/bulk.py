"""
The bulk dump: every published comment across all statements, with its official responses, as
gzip-compressed CSV and JSON Lines, and a manifest (counts, SHA-256 of each file, schema version,
generation time), written through Django's storage API (`manage.py dump_open_data`, for cron).

One pass over the comments (`.iterator(chunk_size=CHUNK)`: a server-side cursor on PostgreSQL,
one query per chunk for the responses) feeds both files, each compressed into a temporary file
as it goes, so memory stays flat whatever the number of comments; the files are then handed to
the storage (a folder, or an object store) under `<OPEN_DATA_DUMP_PREFIX>/<time>/`, and
`<OPEN_DATA_DUMP_PREFIX>/latest.json` (the manifest, with the folder) is replaced last, so a
reader never finds a pointer to a dump that is not all there.

The fields are the open-data downloads' (dialogue/open_data.py), plus the statement's slug and
the publication time: only what the statement pages show beside each comment.
"""

import codecs
import gzip
import hashlib
import json
import tempfile

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.utils import timezone

from .open_data import CHUNK, CSV_FIELDS, DUMP_LATEST, DUMP_MANIFEST, attachments_cell, comment_record, public_comments
from .spreadsheet import csv_lines

SCHEMA_VERSION = "1"
DUMP_CSV_FIELDS = ["statement", "published_at", *CSV_FIELDS]
FILES = {"csv": "comments.csv.gz", "jsonl": "comments.jsonl.gz"}


def _record(comment) -> dict:
    return {
        "statement": comment.statement_slug,
        "published_at": (comment.decided_at or comment.submitted_at).isoformat(),
        **comment_record(comment),
    }


def _csv_row(record: dict) -> list:
    responses = record["responses"]
    flat = {
        **record,
        "attachments": attachments_cell(record["attachments"]),
        "response": "\n\n".join(response["body"] for response in responses),
        "response_government": "; ".join(response["government"] for response in responses),
        "response_date": "; ".join(response["date"] for response in responses),
    }
    return [flat[field] for field in DUMP_CSV_FIELDS]


class _Gzipped:
    """A text stream compressed into an anonymous temporary file, hashed once written."""

    def __init__(self):
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self.gzip = gzip.GzipFile(fileobj=self.file, mode="wb", compresslevel=6, mtime=0)
        self.text = codecs.getwriter("utf-8")(self.gzip)

    def write(self, text: str) -> None:
        self.text.write(text)

    def finish(self) -> tuple[int, str]:
        self.gzip.close()
        self.file.seek(0)
        digest, size = hashlib.sha256(), 0
        while block := self.file.read(1 << 20):
            digest.update(block)
            size += len(block)
        self.file.seek(0)
        return size, digest.hexdigest()

    def close(self) -> None:
        self.file.close()


def write_dump(*, storage: Storage | None = None, prefix: str | None = None, chunk: int = CHUNK) -> dict:
    """Write a complete dump and point `latest.json` at it; returns its manifest."""
    storage = storage or default_storage
    prefix = (prefix or settings.OPEN_DATA_DUMP_PREFIX).rstrip("/")
    generated_at = timezone.now().replace(microsecond=0)
    folder = f"{prefix}/{generated_at:%Y%m%dT%H%M%SZ}"
    csv_out, jsonl_out = _Gzipped(), _Gzipped()
    count = 0
    try:
        records = (_record(comment) for comment in public_comments().order_by("pk").iterator(chunk_size=chunk))

        def rows():
            nonlocal count
            for record in records:
                count += 1
                jsonl_out.write(json.dumps(record, ensure_ascii=False) + "\n")
                yield _csv_row(record)

        for line in csv_lines(DUMP_CSV_FIELDS, rows(), byte_order_mark=True):
            csv_out.write(line)
        files = []
        for kind, out in (("csv", csv_out), ("jsonl", jsonl_out)):
            size, sha256 = out.finish()
            name = storage.save(f"{folder}/{FILES[kind]}", File(out.file, name=FILES[kind]))
            files.append(
                {"name": FILES[kind], "path": name, "format": kind, "records": count, "bytes": size, "sha256": sha256}
            )
    finally:
        csv_out.close()
        jsonl_out.close()
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": generated_at.isoformat(),
        "comments": count,
        "folder": folder,
        "files": files,
        "csv_fields": DUMP_CSV_FIELDS,
        "json_schema": "Each line is an object of the open-data JSON Schema's comments items, "
        "with `statement` (its slug) and `published_at` added.",
    }
    _replace(storage, f"{folder}/{DUMP_MANIFEST}", manifest)
    _replace(storage, f"{prefix}/{DUMP_LATEST}", manifest)
    return manifest


def _replace(storage: Storage, name: str, data: dict) -> None:
    with tempfile.TemporaryFile() as file:
        file.write(json.dumps(data, indent=2, ensure_ascii=False).encode())
        file.seek(0)
        if storage.exists(name):
            storage.delete(name)
        storage.save(name, File(file, name=name.rsplit("/", 1)[-1]))
