"""
Files people upload (comment attachments, statement documents): what they really are, and how
the portal hands them back.

A file is recognised by its content, never by its name or the type the browser declared: its
first bytes, then a real parse (pypdf for PDF; the zip's manifest for DOCX and ODT; Pillow's
verify for PNG and JPEG; strict UTF-8 for text). What is not one of the accepted kinds is
refused with a message that says why, in words the uploader understands; so is a file whose
name claims another kind than its content (an HTML page or a script renamed `.pdf`).

The portal serves them only through `download_response`: always as a download, never rendered
from its own origin (Content-Disposition: attachment, nosniff, a sandboxing CSP), so an uploaded
file can never run as a page of the portal.

Below the apps (dialogue's attachments and priorities' statement documents both use it).
"""

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as DefusedElementTree
from django.http import FileResponse
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from PIL import Image
from pypdf import PdfReader


@dataclass(frozen=True)
class Kind:
    code: str
    label: str  # shown in lists ("PDF"); not translated, the formats' own names
    content_type: str
    extensions: tuple[str, ...]


PDF = Kind("pdf", "PDF", "application/pdf", (".pdf",))
DOCX = Kind("docx", "DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
ODT = Kind("odt", "ODT", "application/vnd.oasis.opendocument.text", (".odt",))
TXT = Kind("txt", "TXT", "text/plain; charset=utf-8", (".txt",))
PNG = Kind("png", "PNG", "image/png", (".png",))
JPEG = Kind("jpeg", "JPEG", "image/jpeg", (".jpg", ".jpeg"))
KINDS = {kind.code: kind for kind in (PDF, DOCX, ODT, TXT, PNG, JPEG)}

# A zip's members may expand to at most this much: a small "document" that unpacks to gigabytes is refused.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
# The text kept per file for previews and search: enough to find a submission by its words.
MAX_EXTRACTED_CHARS = 20_000

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
ODF_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"

# A complete tag, an XML declaration, a doctype or a comment: what a browser would take for markup.
MARKUP = re.compile(r"<\s*(?:[!?]|/?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?\s*>)")


class UnsafeFile(Exception):
    """The file is refused; `message` says why, for the person who uploaded it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Checked:
    """A file that passed: what it is, its size, its SHA-256 and its text (PDF, DOCX, ODT, TXT)."""

    kind: Kind
    name: str
    size: int
    sha256: str
    text: str


def check_file(upload, *, allowed: tuple[str, ...] = tuple(KINDS), max_bytes: int) -> Checked:
    """
    Recognise an uploaded file (a Django UploadedFile, or any binary file with `.name`) by its
    content, or raise UnsafeFile. `allowed`: the kinds' codes accepted here.
    """
    name = safe_name(getattr(upload, "name", "") or "file")
    size = upload.size if hasattr(upload, "size") else None
    if size is not None and size > max_bytes:
        raise UnsafeFile(_too_large(name, max_bytes))
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    upload.seek(0)
    if len(data) > max_bytes:
        raise UnsafeFile(_too_large(name, max_bytes))
    if not data:
        raise UnsafeFile(_("“%(name)s” is empty.") % {"name": name})
    kind, text = _recognise(data, name)
    if kind.code not in allowed:
        raise UnsafeFile(
            _("“%(name)s” is a %(kind)s file; only %(allowed)s files are accepted here.")
            % {"name": name, "kind": kind.label, "allowed": ", ".join(KINDS[code].label for code in allowed)}
        )
    extension = PurePath(name).suffix.lower()
    if extension not in kind.extensions:
        raise UnsafeFile(
            _(
                "“%(name)s” is named as another kind of file than it is (its content is %(kind)s). "
                "Rename it or attach the right file."
            )
            % {"name": name, "kind": kind.label}
        )
    return Checked(kind=kind, name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest(), text=text)


def _too_large(name: str, max_bytes: int) -> str:
    return _("“%(name)s” is larger than %(limit)s MB, the most accepted for one file.") % {
        "name": name,
        "limit": f"{max_bytes / (1024 * 1024):g}",
    }


def _recognise(data: bytes, name: str) -> tuple[Kind, str]:
    """(kind, extracted text) of the content, or UnsafeFile."""
    if data.startswith(b"%PDF-"):
        return PDF, _pdf_text(data, name)
    if data.startswith(b"PK\x03\x04"):
        return _office(data, name)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        _image(data, name, "PNG")
        return PNG, ""
    if data.startswith(b"\xff\xd8\xff"):
        _image(data, name, "JPEG")
        return JPEG, ""
    return TXT, _plain_text(data, name)


def _not_valid(name: str, kind: str) -> UnsafeFile:
    return UnsafeFile(
        _("“%(name)s” starts like a %(kind)s file but cannot be read as one: it may be damaged.")
        % {"name": name, "kind": kind}
    )


def _pdf_text(data: bytes, name: str) -> str:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnsafeFile(_("“%(name)s” is protected by a password: attach a copy without one.") % {"name": name})
        pages = reader.pages
        if len(pages) == 0:
            raise _not_valid(name, "PDF")
        texts, length = [], 0
        for page in pages:
            if length >= MAX_EXTRACTED_CHARS:
                break
            text = page.extract_text() or ""
            texts.append(text)
            length += len(text)
    except UnsafeFile:
        raise
    except Exception as error:  # pypdf raises many kinds of errors on malformed files
        raise _not_valid(name, "PDF") from error
    return _tidy("\n".join(texts))


def _office(data: bytes, name: str) -> tuple[Kind, str]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = {info.filename: info for info in archive.infolist()}
        if sum(info.file_size for info in members.values()) > MAX_UNPACKED_BYTES:
            raise UnsafeFile(_("“%(name)s” unpacks to too much data to be checked.") % {"name": name})
        if "mimetype" in members and archive.read("mimetype").strip() == ODT.content_type.encode():
            if "META-INF/manifest.xml" not in members or "content.xml" not in members:
                raise _not_valid(name, "ODT")
            DefusedElementTree.fromstring(archive.read("META-INF/manifest.xml"))
            root = DefusedElementTree.fromstring(archive.read("content.xml"))
            paragraphs = root.iter(f"{ODF_TEXT}p")
            return ODT, _tidy("\n".join("".join(p.itertext()) for p in paragraphs))
        if "[Content_Types].xml" in members and "word/document.xml" in members:
            types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
            if DOCX_MAIN not in types:
                raise UnsafeFile(
                    _("“%(name)s” is a Word file with macros or of another kind: save it as a plain .docx document.")
                    % {"name": name}
                )
            root = DefusedElementTree.fromstring(archive.read("word/document.xml"))
            paragraphs = root.iter(f"{W}p")
            return DOCX, _tidy("\n".join("".join(t.text or "" for t in p.iter(f"{W}t")) for p in paragraphs))
    except UnsafeFile:
        raise
    except (
        zipfile.BadZipFile,
        ParseError,
        DefusedXmlException,
        KeyError,
        ValueError,
        RuntimeError,
        NotImplementedError,
    ) as error:
        raise _not_valid(name, "DOCX/ODT") from error
    raise UnsafeFile(
        _("“%(name)s” is a zip archive, not a document: attach a PDF, DOCX or ODT document instead.") % {"name": name}
    )


def _image(data: bytes, name: str, kind: str) -> None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != kind:
                raise _not_valid(name, kind)
            image.verify()
    except UnsafeFile:
        raise
    except Exception as error:  # Pillow's errors on damaged or oversized (decompression bomb) images
        raise _not_valid(name, kind) from error


def _plain_text(data: bytes, name: str) -> str:
    unknown = UnsafeFile(
        _("“%(name)s” is not a file the portal accepts. Attach a PDF, DOCX, ODT, TXT, PNG or JPEG file.")
        % {"name": name}
    )
    try:
        text = data.decode("utf-8-sig", errors="strict")
    except UnicodeDecodeError as error:
        raise unknown from error
    if any(unicodedata.category(char) == "Cc" and char not in "\t\n\r\f" for char in text):
        raise unknown
    if MARKUP.search(text):
        raise UnsafeFile(
            _(
                "“%(name)s” contains web-page markup (HTML, SVG or XML), which cannot be attached. "
                "Attach a PDF or a plain-text file."
            )
            % {"name": name}
        )
    if text.lstrip().startswith("#!"):
        raise UnsafeFile(_("“%(name)s” is a script, which cannot be attached.") % {"name": name})
    return _tidy(text)


def _tidy(text: str) -> str:
    """Extracted text with its blank runs squeezed, cut at MAX_EXTRACTED_CHARS, without NUL characters."""
    text = text.replace("\x00", "")
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r"\n\s*\n+", "\n\n", text)
    return text.strip()[:MAX_EXTRACTED_CHARS]


def safe_name(name: str) -> str:
    """The uploaded file's own name, without folders or odd characters, at most 100 characters."""
    base = PurePath(name.replace("\\", "/")).name
    base = "".join(char for char in unicodedata.normalize("NFC", base) if unicodedata.category(char)[0] != "C")
    base = get_valid_filename(base) if base.strip(" .") else "file"
    stem, suffix = PurePath(base).stem, PurePath(base).suffix[:10]
    return f"{stem[: 100 - len(suffix)]}{suffix}" or "file"


def download_response(file, *, filename: str, content_type: str) -> FileResponse:
    """
    An uploaded file as a download, never as a page of the portal: the browser saves it
    (attachment), does not guess another type (nosniff) and, opened anyway, runs nothing from
    it (a sandbox with no sources). Not cached by shared caches: who may see it can change.
    """
    response = FileResponse(file, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
