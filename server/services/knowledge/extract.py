"""Text out of an uploaded document: PDF (pypdf), DOCX (python-docx), plain text (UTF-8 or
Windows-1255, the encoding older Hebrew Windows software still writes).

The type is decided by the file's bytes (a PDF header, a ZIP holding word/document.xml) and
its name, never by the browser's Content-Type alone. A failure is an ExtractionError with
the ErrorCode the document's row keeps and the screen translates.
"""
from __future__ import annotations

import io
import re
import zipfile

from server.error_codes import ErrorCode
from server.services.knowledge.text import blocks_from_text

MAX_CHARS = 2_000_000  # of extracted text: a few MB of Hebrew prose, far beyond any FAQ
_HEBREW = re.compile(r"[\u05D0-\u05EA]")

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "text": "text/plain",
}


class ExtractionError(Exception):
    def __init__(self, code: ErrorCode):
        super().__init__(code.value)
        self.code = code


def detect_kind(filename: str, data: bytes) -> str | None:
    """"pdf" | "docx" | "text", or None for a type this reader does not take."""
    name = (filename or "").lower()
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return "docx" if "word/document.xml" in archive.namelist() else None
        except zipfile.BadZipFile:
            return None
    if name.endswith((".pdf", ".docx", ".doc", ".rtf", ".odt", ".xlsx", ".xls", ".pptx")):
        return None  # named as a binary format but not one: a broken or disguised file
    if b"\x00" not in data[:4096]:
        return "text"
    return None


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1255; text that is neither is refused."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1255")
    except UnicodeDecodeError:
        raise ExtractionError(ErrorCode.FILE_ENCODING) from None
    if not _HEBREW.search(text):
        raise ExtractionError(ErrorCode.FILE_ENCODING)
    return text


def _pdf_blocks(data: bytes) -> list[tuple[str, str]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ExtractionError(ErrorCode.DOCUMENT_UNREADABLE)
        text = "\n\n".join((page.extract_text() or "") for page in reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError):
        raise ExtractionError(ErrorCode.DOCUMENT_UNREADABLE) from None
    return blocks_from_text(text[:MAX_CHARS])


def _docx_blocks(data: bytes) -> list[tuple[str, str]]:
    import docx
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception:  # python-docx raises KeyError, ValueError, lxml's errors … for a broken file
        raise ExtractionError(ErrorCode.DOCUMENT_UNREADABLE) from None
    blocks: list[tuple[str, str]] = []
    size = 0
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        heading = style.lower().startswith(("heading", "title")) or style.startswith("כותרת")
        blocks.append(("heading" if heading else "para", text))
        size += len(text)
        if size > MAX_CHARS:
            break
    for table in document.tables:  # price lists live in tables: one row, one line
        for row in table.rows:
            cells = [cell.text.strip() for cell in row.cells if cell.text.strip()]
            if cells:
                blocks.append(("para", " — ".join(dict.fromkeys(cells))))
    return blocks


def extract_blocks(filename: str, data: bytes) -> tuple[str, list[tuple[str, str]]]:
    """(kind, [(heading|para, text)]) of a document, or ExtractionError."""
    kind = detect_kind(filename, data)
    if kind is None:
        raise ExtractionError(ErrorCode.UNSUPPORTED_DOCUMENT_TYPE)
    if kind == "pdf":
        blocks = _pdf_blocks(data)
    elif kind == "docx":
        blocks = _docx_blocks(data)
    else:
        blocks = blocks_from_text(decode_text(data)[:MAX_CHARS])
    if not any(kind_ == "para" for kind_, _ in blocks):
        # Only short lines (a list of services): they are the text, not headings.
        blocks = [("para", text) for _, text in blocks]
    if not blocks:
        # A scanned PDF has pages but no text layer: say so rather than keep an empty document.
        raise ExtractionError(ErrorCode.DOCUMENT_NO_TEXT)
    return kind, blocks
