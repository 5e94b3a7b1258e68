"""Customers: CSV import (all rows or none, with a per-row report) and a streamed export."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import datetime, timezone
from typing import Any, Iterator, Literal

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from server.error_codes import ErrorCode
from server.errors import AppError, Conflict, FieldError, ValidationFailed
from server.extensions import db
from server.models import Customer
from server.phones import display_phone
from server.schemas.customers import NewCustomer
from server.services.customers.crud import audit_entry
from server.services.customers.search import build_search_text, iter_customer_rows, search_terms
from server.tenancy import BusinessScope, is_all
from server.validation import parse_model

IMPORT_MAX_ROWS = 20_000
# Accepted headers for each field, Hebrew first; matched case- and space-insensitively.
CSV_HEADERS = {
    "name": ("שם", "שם מלא", "name", "full name"),
    "phone": ("טלפון", "נייד", "מספר טלפון", "phone", "mobile"),
    "email": ("אימייל", "דוא\"ל", "דואל", "מייל", "email", "e-mail"),
    "notes": ("הערות", "notes"),
}
# Columns our own export writes that an import reads past without complaint.
CSV_EXPORT_ONLY = ("מזהה", "id", "מקור", "source", "נוצר", "created_at")
EXPORT_HEADER = ("מזהה", "שם", "טלפון", "אימייל", "הערות", "מקור", "נוצר")
_FORMULA_START = ("=", "+", "-", "@")
# OWASP's list adds tab and carriage return: a cell starting with either is guarded as is.
_CONTROL_START = ("\t", "\r")


class ImportRejected(AppError):
    """422 with a per-row report; nothing of the file was written."""
    status_code = 422

    def __init__(self, rejected: list[dict], total_rows: int):
        super().__init__("validation", code=ErrorCode.VALIDATION, fields={"file": FieldError(
            ErrorCode.FILE_ROWS_REJECTED, f"{len(rejected)} of {total_rows} rows rejected; nothing was imported",
            rejected=len(rejected), total=total_rows)})
        self.rejected = rejected

    def to_dict(self) -> dict:
        body = super().to_dict()
        body["imported"] = 0
        body["rejected"] = self.rejected
        return body


def _header_key(cell: str) -> str:
    return re.sub(r"\s+", " ", (cell or "").replace("\ufeff", "").strip().casefold())


def _decode_csv(raw: bytes) -> str:
    """UTF-8 (with or without BOM); else Windows-1255, what Hebrew Excel saves as "CSV"."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1255")
    except UnicodeDecodeError:
        raise ValidationFailed({"file": FieldError(ErrorCode.FILE_ENCODING, "not UTF-8 or Windows-1255 text")}) from None


def _invisible(ch: str) -> bool:
    """Whitespace, controls and format characters (BOM, zero-width, bidi marks and
    embeddings, word joiner): a spreadsheet may skip them, a person cannot see them."""
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def _formula_like(value: str) -> bool:
    """Would a spreadsheet run this cell? Judged by its first visible character (fullwidth
    ＝ counts as =), with any apostrophes we put in front of it looked past, so that a
    name that really starts with ' survives an export and re-import unchanged."""
    rest = value.lstrip("'")
    if rest.startswith(_CONTROL_START):
        return True
    visible = next((ch for ch in rest if not _invisible(ch)), "")
    return unicodedata.normalize("NFKC", visible)[:1] in _FORMULA_START


def _uncell(value: str | None) -> str:
    value = (value or "").strip()
    # Our export guards formula-like cells with one leading apostrophe; take exactly that off.
    if value.startswith("'") and _formula_like(value[1:]):
        value = value[1:].strip()
    return value


def import_customers_csv(business_id: int, raw: bytes, on_duplicate: Literal["reject", "skip"] = "reject",
                         max_rows: int | None = None) -> dict:
    """All rows or none. Each row is validated like a new customer; a phone that repeats in
    the file is rejected; a phone the business already has is rejected, or skipped with
    on_duplicate="skip". Any rejection: ImportRejected with every bad row and why."""
    max_rows = max_rows or IMPORT_MAX_ROWS
    content = _decode_csv(raw)
    if not content.strip():
        raise ValidationFailed({"file": FieldError(ErrorCode.FILE_EMPTY, "empty file")})
    try:
        dialect = csv.Sniffer().sniff(content.split("\n", 1)[0], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    header = next(reader, [])
    lookup = {_header_key(alias): key for key, aliases in CSV_HEADERS.items() for alias in aliases}
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header):
        key = lookup.get(_header_key(cell))
        if key and key not in columns:
            columns[key] = index
        elif _header_key(cell) and _header_key(cell) not in CSV_EXPORT_ONLY:
            ignored.append(cell.strip())
    if "name" not in columns:
        raise ValidationFailed({"file": FieldError(ErrorCode.FILE_NAME_COLUMN, "a name column is required (שם / name)")})

    rejected: list[dict] = []
    parsed: list[tuple[int, NewCustomer]] = []
    first_row_of_phone: dict[str, int] = {}
    seen = 0
    for line_number, cells in enumerate(reader, start=2):  # row 1 is the header, as in Excel
        if not any((c or "").strip() for c in cells):
            continue
        seen += 1
        if seen > max_rows:
            raise ValidationFailed({"file": FieldError(ErrorCode.FILE_TOO_MANY_ROWS, f"at most {max_rows} rows per import",
                                                               max=max_rows)})
        data = {key: _uncell(cells[i]) if i < len(cells) else "" for key, i in columns.items()}
        try:
            fields = parse_model(NewCustomer, data)
        except ValidationFailed as exc:
            rejected.append({"row": line_number, "errors": exc.fields})
            continue
        phone = fields.phone
        if phone is not None:
            if phone in first_row_of_phone:
                rejected.append({"row": line_number,
                                 "errors": {"phone": f"same phone as row {first_row_of_phone[phone]}"}})
                continue
            first_row_of_phone[phone] = line_number
        parsed.append((line_number, fields))

    existing = _existing_phones(business_id, list(first_row_of_phone))
    skipped: list[dict] = []
    rows: list[dict] = []
    now = datetime.now(timezone.utc)
    for line_number, fields in parsed:
        if fields.phone in existing:
            if on_duplicate == "skip":
                skipped.append({"row": line_number, "reason": "phone exists"})
                continue
            rejected.append({"row": line_number, "errors": {"phone": "phone exists"}})
            continue
        rows.append({"business_id": business_id, "name": fields.name, "phone": fields.phone,
                     "email": fields.email, "notes": fields.notes, "source": "import",
                     "search_text": build_search_text(fields.name, fields.phone, fields.email),
                     "created_at": now, "updated_at": now})
    if rejected:
        rejected.sort(key=lambda r: r["row"])
        raise ImportRejected(rejected, seen)
    try:
        for start in range(0, len(rows), 1000):
            db.session.execute(insert(Customer), rows[start:start + 1000])
        audit_entry("import", None, business_id, {"imported": len(rows), "skipped": len(skipped)})
        db.session.commit()
    except IntegrityError:  # a customer with one of these phones was created meanwhile
        db.session.rollback()
        raise Conflict("phone exists", code=ErrorCode.PHONE_EXISTS) from None
    if rows:
        from server.services.realtime import publish
        publish(business_id, "customer.imported", {"business_id": business_id, "count": len(rows)})
    return {"imported": len(rows), "skipped": skipped, "rejected": [], "ignored_columns": ignored}


def _existing_phones(business_id: int, phones: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(phones), 500):
        chunk = phones[start:start + 500]
        found.update(db.session.scalars(select(Customer.phone).where(Customer.business_id == business_id,
                                                                      Customer.phone.in_(chunk))))
    return found


def _cell(value: Any) -> str:
    text_value = "" if value is None else str(value)
    if _formula_like(text_value):
        return "'" + text_value  # a spreadsheet must not run a customer's "name" as a formula
    return text_value


def export_customers_csv(business_id: BusinessScope, q: str | None = None) -> Iterator[str]:
    """The current search as CSV, streamed: UTF-8 with a BOM so Excel shows the Hebrew.

    The export is audited (and committed) now, before the first byte is streamed.
    """
    audit_entry("export", None, None if is_all(business_id) else business_id, {"search": bool(search_terms(q))})
    db.session.commit()
    return _csv_chunks(business_id, q)


def _csv_chunks(business_id: BusinessScope, q: str | None) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_HEADER)
    yield "\ufeff" + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for count, row in enumerate(iter_customer_rows(business_id, q), start=1):
        writer.writerow([row.id, _cell(row.name), _cell(display_phone(row.phone)), _cell(row.email),
                         _cell(row.notes), row.source, row.created_at.isoformat() if row.created_at else ""])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
