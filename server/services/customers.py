"""Customers: the CRM's people. Keeps the normalised search column in step with the row.

Listing stays fast at a million customers per business (see docs in README, "CRM"):
- the unfiltered `total` is read from `customer_day_count`, a per-business, per-day count
  that database triggers maintain (migration 0002), not from count(*);
- a deep page seeks: the day counts locate the day that holds row N, and the page is read
  from the (business_id, created_at, id) index starting at that day, so the database skips
  at most one day's rows instead of N;
- a search matches the normalised `search_text` through pg_trgm (PostgreSQL) or an FTS5
  trigram table (SQLite), and counts at most SEARCH_COUNT_CAP matches: beyond that the
  total is the cap and the answer says so (header X-Total-Exact: false).
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from sqlalchemy import and_, func, insert, literal_column, or_, select, text
from sqlalchemy.exc import IntegrityError

from server.error_codes import ErrorCode
from server.errors import AppError, BadRequest, Conflict, FieldError, ValidationFailed, field_message
from server.extensions import db
from server.hebrew import normalize_for_search
from server.models import Customer
from server.phones import InvalidPhone, display_phone, normalize_phone, phone_search_tokens, query_digits
from server.tenancy import BusinessScope, in_scope, is_all, scope_filter


def build_search_text(name: str | None, phone: str | None, email: str | None) -> str:
    """Name without niqqud, phone digits in local and international form, email lower-case."""
    parts = [normalize_for_search(name or "")]
    parts += phone_search_tokens(phone)
    if email:
        parts.append(email.strip().lower())
    return " ".join(p for p in parts if p)


def get_customer(business_id: BusinessScope, customer_id: int):
    """The customer, within `business_id` (ALL_BUSINESSES: a platform admin, any business).

    A customer of another business answers NotFound, exactly like a missing one, so ids
    of other tenants reveal nothing.
    """
    from server.errors import NotFound
    from server.extensions import db
    from server.models import Customer

    customer = db.session.get(Customer, customer_id)
    if customer is None or not in_scope(business_id, customer.business_id):
        raise NotFound("customer not found", code=ErrorCode.CUSTOMER_NOT_FOUND)
    return customer


def customer_names(customer_ids) -> dict[int, str]:
    """Names for a page of calls or messages, in one query."""
    ids = {i for i in customer_ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids))).all())


def find_customer_by_phone(business_id: int, phone: str | None):
    """The business's customer with this phone in any Israeli format, or None."""
    from sqlalchemy import select

    from server.extensions import db
    from server.models import Customer
    from server.phones import try_normalize_phone

    e164 = try_normalize_phone(phone)
    if e164 is None:
        return None
    return db.session.scalar(select(Customer).where(Customer.business_id == business_id, Customer.phone == e164))


def find_or_create_lead(business_id: int, phone: str | None, name: str | None, source: str):
    """The caller/sender as a customer: found by phone, else created as a lead.

    Flushes but does not commit: the caller's service owns the transaction. Two
    concurrent first contacts from one phone meet the (business_id, phone) unique
    constraint; the loser re-reads the winner's row.
    """
    from sqlalchemy.exc import IntegrityError

    from server.extensions import db
    from server.models import Customer
    from server.phones import display_phone, try_normalize_phone

    e164 = try_normalize_phone(phone)
    if e164 is None:
        return None
    existing = find_customer_by_phone(business_id, e164)
    if existing is not None:
        return existing
    lead_name = (name or "").strip() or f"ליד חדש {display_phone(e164)}"
    customer = Customer(business_id=business_id, name=lead_name[:160], phone=e164, source=source,
                        search_text=build_search_text(lead_name, e164, None))
    try:
        with db.session.begin_nested():
            db.session.add(customer)
    except IntegrityError:
        return find_customer_by_phone(business_id, e164)
    return customer


# ---- validation -------------------------------------------------------------------------

NAME_MAX = 160
NOTES_MAX = 5000
SOURCES = ("manual", "import", "call", "whatsapp")


def clean_customer_fields(data: dict, *, partial: bool = False) -> dict:
    """Validated name/phone/email/notes; ValidationFailed with per-field messages.

    With `partial`, only the keys present are checked (an update).
    """
    from email_validator import EmailNotValidError, validate_email

    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    if not partial or "name" in data:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            errors["name"] = FieldError(ErrorCode.NAME_REQUIRED, "name required")
        elif len(name.strip()) > NAME_MAX:
            errors["name"] = FieldError(ErrorCode.TOO_LONG, f"at most {NAME_MAX} characters", max=NAME_MAX)
        else:
            out["name"] = name.strip()
    if "phone" in data:
        phone = data.get("phone")
        if phone is None or (isinstance(phone, str) and not phone.strip()):
            out["phone"] = None
        elif not isinstance(phone, str):
            errors["phone"] = FieldError(ErrorCode.INVALID_PHONE, "invalid phone number")
        else:
            try:
                out["phone"] = normalize_phone(phone)
            except InvalidPhone as exc:
                errors["phone"] = field_message(exc)
    if "email" in data:
        email = data.get("email")
        if email is None or (isinstance(email, str) and not email.strip()):
            out["email"] = None
        elif not isinstance(email, str):
            errors["email"] = FieldError(ErrorCode.INVALID_EMAIL, "invalid email")
        else:
            try:
                out["email"] = validate_email(email.strip(), check_deliverability=False).normalized.lower()
            except EmailNotValidError:
                errors["email"] = FieldError(ErrorCode.INVALID_EMAIL, "invalid email")
    if "notes" in data:
        notes = data.get("notes")
        if notes is None or (isinstance(notes, str) and not notes.strip()):
            out["notes"] = None
        elif not isinstance(notes, str) or len(notes) > NOTES_MAX:
            errors["notes"] = FieldError(ErrorCode.TOO_LONG, f"text of at most {NOTES_MAX} characters", max=NOTES_MAX)
        else:
            out["notes"] = notes.strip()
    if "id_last4" in data:
        last4 = data.get("id_last4")
        if last4 is None or (isinstance(last4, str) and not last4.strip()):
            out["id_last4"] = None
        elif not isinstance(last4, str) or not re.fullmatch(r"\d{4}", last4.strip()):
            errors["id_last4"] = FieldError(ErrorCode.ID_LAST4, "the last 4 digits of the ID number")
        else:
            out["id_last4"] = last4.strip()
    if errors:
        raise ValidationFailed(errors)
    return out


def _phone_taken(business_id: int, phone: str | None, except_id: int | None = None) -> bool:
    if phone is None:
        return False
    query = select(Customer.id).where(Customer.business_id == business_id, Customer.phone == phone)
    if except_id is not None:
        query = query.where(Customer.id != except_id)
    return db.session.scalar(query) is not None


# ---- create, update, delete ------------------------------------------------------------

def _audit(action: str, customer_id: int | None, business_id: int | None, details: dict) -> None:
    """An audit entry in the caller's transaction: field names and counts, never values."""
    from server.services import audit
    audit.record(action, "customer", customer_id, business_id=business_id, details=details)


def _publish(customer: Customer, event: str) -> None:
    from server.services.realtime import publish
    publish(customer.business_id, event, {"id": customer.id, "business_id": customer.business_id})


def create_customer(business_id: int, data: dict, source: str = "manual") -> Customer:
    """A new customer of `business_id`. 422 on bad fields, 409 "phone exists"."""
    fields = clean_customer_fields(data)
    if _phone_taken(business_id, fields.get("phone")):
        raise Conflict("phone exists", code=ErrorCode.PHONE_EXISTS)
    customer = Customer(business_id=business_id, name=fields["name"], phone=fields.get("phone"),
                        email=fields.get("email"), notes=fields.get("notes"), id_last4=fields.get("id_last4"),
                        source=source)
    customer.search_text = build_search_text(customer.name, customer.phone, customer.email)
    db.session.add(customer)
    try:
        db.session.flush()
        _audit("create", customer.id, business_id, {"fields": sorted(fields)})
        db.session.commit()
    except IntegrityError:  # a concurrent create with the same phone won the race
        db.session.rollback()
        raise Conflict("phone exists", code=ErrorCode.PHONE_EXISTS) from None
    _publish(customer, "customer.created")
    return customer


def update_customer(business_id: BusinessScope, customer_id: int, data: dict) -> Customer:
    """Only the given keys change; the search column follows."""
    customer = get_customer(business_id, customer_id)
    fields = clean_customer_fields(data, partial=True)
    if "phone" in fields and _phone_taken(customer.business_id, fields["phone"], except_id=customer.id):
        raise Conflict("phone exists", code=ErrorCode.PHONE_EXISTS)
    for key in ("name", "phone", "email", "notes", "id_last4"):  # a whitelist, never the request's keys
        if key in fields:
            setattr(customer, key, fields[key])
    customer.search_text = build_search_text(customer.name, customer.phone, customer.email)
    _audit("update", customer.id, customer.business_id, {"fields": sorted(fields)})
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("phone exists", code=ErrorCode.PHONE_EXISTS) from None
    _publish(customer, "customer.updated")
    return customer


def _history_counts(customer_id: int) -> dict[str, int]:
    from server.models import Appointment, CallLog, Contract, Invoice, Task, WhatsAppMsg

    counts = {}
    for label, model in (("calls", CallLog), ("whatsapp", WhatsAppMsg), ("tasks", Task),
                         ("invoices", Invoice), ("contracts", Contract), ("appointments", Appointment)):
        n = db.session.scalar(select(func.count()).select_from(model).where(model.customer_id == customer_id))
        if n:
            counts[label] = n
    return counts


def delete_customer(business_id: BusinessScope, customer_id: int) -> None:
    """Delete a customer with no history. One with calls, messages, tasks, invoices or
    contracts is refused (409): those records must keep their customer."""
    customer = get_customer(business_id, customer_id)
    history = _history_counts(customer.id)
    if history:
        raise Conflict("customer has history: " + ", ".join(f"{k} {v}" for k, v in history.items()),
                       code=ErrorCode.CUSTOMER_HAS_HISTORY)
    owner = customer.business_id
    _audit("delete", customer.id, owner, {})
    db.session.delete(customer)
    try:
        db.session.commit()
    except IntegrityError:  # a record attached meanwhile
        db.session.rollback()
        raise Conflict("customer has history", code=ErrorCode.CUSTOMER_HAS_HISTORY) from None
    from server.services.realtime import publish
    publish(owner, "customer.deleted", {"id": customer_id, "business_id": owner})


# ---- listing and search ----------------------------------------------------------------

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
# 2,000 matches is more than anyone pages through, and it bounds the deepest search page:
# at a million customers even a common surname's last page answers in tens of milliseconds.
SEARCH_COUNT_CAP = 2_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MAX_OFFSET = 2 ** 53


@dataclass
class CustomerPage:
    page: int
    limit: int
    total: int
    items: list = field(default_factory=list)
    total_exact: bool = True

    def to_dict(self) -> dict:
        return {"page": self.page, "limit": self.limit, "total": self.total,
                "items": [c.to_dict() for c in self.items]}


def parse_paging(page_raw: Any, limit_raw: Any) -> tuple[int, int]:
    """The seed's paging: page ≥ 1 (default 1), limit clamped to 1..100 (default 25);
    anything int() refuses is 400 "invalid paging"."""
    try:
        page = max(int(page_raw if page_raw is not None else 1), 1)
        limit = min(max(int(limit_raw if limit_raw is not None else DEFAULT_LIMIT), 1), MAX_LIMIT)
    except (TypeError, ValueError):
        raise BadRequest("invalid paging", code=ErrorCode.INVALID_PAGING) from None
    return page, limit


def search_terms(q: str | None) -> list[str]:
    """What the user typed, in the form `search_text` holds.

    A phone-like query becomes its digits (`050-123-4567` → `0501234567`,
    `+972 50 123 4567` → `972501234567`); anything else is lower-cased, niqqud-free words.
    """
    q = (q or "").strip()[:200]
    if not q:
        return []
    digits = query_digits(q)
    if digits:
        return [digits]
    return normalize_for_search(q).split()[:8]


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _search_filter(terms: list[str]):
    """A WHERE clause matching every term as a substring of search_text, index-backed."""
    clauses = []
    if db.engine.dialect.name == "sqlite":
        long_terms = [t for t in terms if len(t) >= 3]  # the trigram index needs 3 characters
        if long_terms:
            match = " AND ".join(_fts_phrase(t) for t in long_terms)
            clauses.append(Customer.id.in_(
                select(literal_column("rowid")).select_from(text("customer_fts"))
                .where(text("customer_fts MATCH :fts_match").bindparams(fts_match=match))))
        terms = [t for t in terms if len(t) < 3]
    for term in terms:  # PostgreSQL: pg_trgm's GIN index serves LIKE '%…%'
        clauses.append(Customer.search_text.like(f"%{_like_escape(term)}%", escape="\\"))
    return and_(*clauses)


def _scope(query, business_id: BusinessScope, terms: list[str]):
    query = query.where(scope_filter(Customer.business_id, business_id))
    if terms:
        query = query.where(_search_filter(terms))
    return query


def _day_counts_total(business_id: BusinessScope) -> int:
    sql = "SELECT coalesce(sum(n), 0) FROM customer_day_count"
    if not is_all(business_id):
        return int(db.session.execute(text(sql + " WHERE business_id = :b"), {"b": business_id}).scalar())
    return int(db.session.execute(text(sql)).scalar())


_FIND_DAY = text("""
    SELECT day, before FROM (
        SELECT day, n, coalesce(sum(n) OVER (ORDER BY day DESC ROWS BETWEEN UNBOUNDED PRECEDING
                                                             AND 1 PRECEDING), 0) AS before
        FROM customer_day_count WHERE business_id = :b AND n > 0
    ) AS days WHERE before + n > :offset ORDER BY day DESC LIMIT 1
""")


def _seek_page(business_id: int, offset: int, limit: int) -> list[Customer]:
    """Rows offset..offset+limit of the business, newest first, without scanning `offset` rows.

    The day counts say which day holds row `offset` and how many newer rows come before
    that day; the index range then starts at the end of that day.
    """
    found = db.session.execute(_FIND_DAY, {"b": business_id, "offset": offset}).first()
    if found is None:
        return []
    day, before = int(found[0]), int(found[1])
    day_end = _EPOCH + timedelta(days=day + 1)
    query = (select(Customer).where(Customer.business_id == business_id, Customer.created_at < day_end)
             .order_by(Customer.created_at.desc(), Customer.id.desc()).offset(offset - before).limit(limit))
    return list(db.session.scalars(query))


# Relative costs on SQLite, measured with bench/crm_customers.py: reading one entry of the
# covering (business_id, created_at, id) index costs about a ninth of fetching a customer row
# by id to learn its created_at.
_WALK_ENTRY_VS_ROW_FETCH = 1 / 9


def _walk_dates_for_common_terms(business_id: int, terms: list[str], offset: int, limit: int) -> list[int] | None:
    """SQLite, a term so common its count was capped: the page's ids, or None for the default plan.

    SQLite's default plan fetches every matching row (tens of thousands for a common surname)
    to sort them by date. Walking the business's date index newest first and probing the FTS
    match set instead stops after about (offset + limit) / share-of-matches entries, which is
    far fewer for a common term on the first pages. The share comes from FTS5's own count
    (every business's rows: an estimate that only errs towards walking a little longer).
    """
    long_terms = [t for t in terms if len(t) >= 3]
    if not long_terms:
        return None
    match = " AND ".join(_fts_phrase(t) for t in long_terms)
    matches = db.session.execute(text("SELECT count(*) FROM customer_fts WHERE customer_fts MATCH :m"),
                                 {"m": match}).scalar() or 0
    business_rows = _day_counts_total(business_id)
    if not matches or not business_rows:
        return None
    walk_cost = (offset + limit) * business_rows / matches * _WALK_ENTRY_VS_ROW_FETCH
    if walk_cost > min(matches, business_rows):
        return None
    params: dict[str, Any] = {"b": business_id, "m": match, "limit": limit, "offset": offset}
    short_clauses = []
    for index, term in enumerate(t for t in terms if len(t) < 3):
        params[f"s{index}"] = f"%{_like_escape(term)}%"
        short_clauses.append(f" AND search_text LIKE :s{index} ESCAPE '\\'")
    # INDEXED BY: the planner would otherwise start from the FTS rowids and sort them.
    sql = ("SELECT id FROM customer INDEXED BY ix_customer_business_created WHERE business_id = :b "
           "AND id IN (SELECT rowid FROM customer_fts WHERE customer_fts MATCH :m)" + "".join(short_clauses) +
           " ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :offset")
    return [row[0] for row in db.session.execute(text(sql), params)]


def list_customers(business_id: BusinessScope, page: int, limit: int, q: str | None = None,
                   count_cap: int = SEARCH_COUNT_CAP) -> CustomerPage:
    """One page of customers, newest first (of every business under ALL_BUSINESSES)."""
    terms = search_terms(q)
    offset = (page - 1) * limit
    result = CustomerPage(page=page, limit=limit, total=0)
    if terms:
        bounded = _scope(select(literal_column("1")), business_id, terms).limit(count_cap + 1).subquery()
        total = int(db.session.scalar(select(func.count()).select_from(bounded)))
        result.total_exact = total <= count_cap
        result.total = min(total, count_cap)
        # Past the count's cap there are no pages: total says 2,000 and a page beyond it is
        # empty, as with an exact total (a search that broad is refined, not paged through).
        if offset >= result.total:
            return result
    else:
        result.total = _day_counts_total(business_id)
        if offset >= result.total:
            return result
    if offset > _MAX_OFFSET:
        return result
    if not terms and not is_all(business_id) and offset > 0:
        result.items = _seek_page(business_id, offset, limit)
        return result
    if terms and not result.total_exact and not is_all(business_id) and db.engine.dialect.name == "sqlite":
        ids = _walk_dates_for_common_terms(business_id, terms, offset, limit)
        if ids is not None:
            by_id = {c.id: c for c in db.session.scalars(select(Customer).where(Customer.id.in_(ids)))}
            result.items = [by_id[i] for i in ids if i in by_id]
            return result
    query = (_scope(select(Customer), business_id, terms)
             .order_by(Customer.created_at.desc(), Customer.id.desc()).offset(offset).limit(limit))
    result.items = list(db.session.scalars(query))
    return result


def iter_customer_rows(business_id: BusinessScope, q: str | None = None, batch: int = 1000) -> Iterator[Any]:
    """Every match as plain rows, newest first, read in keyset batches (constant memory)."""
    terms = search_terms(q)
    columns = (Customer.id, Customer.name, Customer.phone, Customer.email, Customer.notes, Customer.source,
               Customer.created_at)
    last: tuple | None = None
    while True:
        query = _scope(select(*columns), business_id, terms)
        if last is not None:
            query = query.where(or_(Customer.created_at < last[0],
                                    and_(Customer.created_at == last[0], Customer.id < last[1])))
        rows = db.session.execute(query.order_by(Customer.created_at.desc(), Customer.id.desc()).limit(batch)).all()
        yield from rows
        if len(rows) < batch:
            return
        last = (rows[-1].created_at, rows[-1].id)


# ---- CSV import and export -------------------------------------------------------------

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


def import_customers_csv(business_id: int, raw: bytes, on_duplicate: str = "reject",
                         max_rows: int | None = None) -> dict:
    """All rows or none. Each row is validated like a new customer; a phone that repeats in
    the file is rejected; a phone the business already has is rejected, or skipped with
    on_duplicate="skip". Any rejection: ImportRejected with every bad row and why."""
    if on_duplicate not in ("reject", "skip"):
        raise ValidationFailed({"on_duplicate": FieldError(ErrorCode.REJECT_OR_SKIP, "reject or skip")})
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
    parsed: list[tuple[int, dict]] = []
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
            fields = clean_customer_fields(data)
        except ValidationFailed as exc:
            rejected.append({"row": line_number, "errors": exc.fields})
            continue
        phone = fields.get("phone")
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
        if fields.get("phone") in existing:
            if on_duplicate == "skip":
                skipped.append({"row": line_number, "reason": "phone exists"})
                continue
            rejected.append({"row": line_number, "errors": {"phone": "phone exists"}})
            continue
        rows.append({"business_id": business_id, "name": fields["name"], "phone": fields.get("phone"),
                     "email": fields.get("email"), "notes": fields.get("notes"), "source": "import",
                     "search_text": build_search_text(fields["name"], fields.get("phone"), fields.get("email")),
                     "created_at": now, "updated_at": now})
    if rejected:
        rejected.sort(key=lambda r: r["row"])
        raise ImportRejected(rejected, seen)
    try:
        for start in range(0, len(rows), 1000):
            db.session.execute(insert(Customer), rows[start:start + 1000])
        _audit("import", None, business_id, {"imported": len(rows), "skipped": len(skipped)})
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
    _audit("export", None, None if is_all(business_id) else business_id, {"search": bool(search_terms(q))})
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
