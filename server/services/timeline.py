"""A customer's unified timeline: calls, WhatsApp messages, tasks, invoices, contracts and appointments.

Each item is {"type", "at", "data"}; `at` is the item's date in UTC ISO 8601 (people see
it in Israel time, Asia/Jerusalem — the client converts) or null for an undated record.

The order, one total order so a cursor can never lose or repeat an item:
1. Undated records first — a task with no due date, a draft invoice, an unsigned
   contract: open business that belongs above history — newest *created* first.
2. Then every dated item, newest `at` first. The dates are: a call's start, a message's
   creation, a task's due date (a future due date sits above today's history), an
   invoice's issue, a contract's signature, an appointment's start (a future one sits above
   today's history, like a task).
Ties break by type (call, whatsapp, task, invoice, contract, appointment) and then newest
row first. A new type goes last: a type's rank is part of every cursor already handed out.

The merge runs in the database: one UNION ALL over the five tables, each branch reading
its (customer_id, date) index backwards and stopping after one page, so the first page
of a 10,000-event history costs the same as that of a 10-event one. Only the page's
rows are then loaded, one IN query per type.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, literal_column, select, union_all
from sqlalchemy.orm import selectinload

from server.error_codes import ErrorCode
from server.errors import FieldError, ValidationFailed
from server.extensions import db
from server.models import Appointment, CallLog, Contract, Invoice, Service, StaffCalendar, Task, WhatsAppMsg
from server.services.invoices import format_ils, invoice_to_dict

TYPES = ("call", "whatsapp", "task", "invoice", "contract", "appointment")
RANK = {name: i for i, name in enumerate(TYPES)}
DEFAULT_LIMIT = 50
MAX_LIMIT = 500

# type → (model, the column that dates it on the timeline)
_SOURCES = {
    "call": (CallLog, CallLog.started_at),
    "whatsapp": (WhatsAppMsg, WhatsAppMsg.created_at),
    "task": (Task, Task.due_at),
    "invoice": (Invoice, Invoice.issued_at),
    "contract": (Contract, Contract.signed_at),
    "appointment": (Appointment, Appointment.start_at),
}
# Types whose date may be missing (the others' date columns are NOT NULL).
_MAY_BE_UNDATED = ("task", "invoice", "contract")


@dataclass(frozen=True)
class Position:
    """Where an item sits in the timeline's order; a cursor is the last item's position."""

    undated: bool
    key: datetime  # `at`, or creation time for an undated record
    rank: int
    id: int

    def encode(self) -> str:
        raw = json.dumps([int(self.undated), self.key.isoformat(), self.rank, self.id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def parse_types(value) -> tuple[str, ...]:
    """'call,whatsapp' (or a repeated parameter) → the types asked for; unknown → 422."""
    if value is None or value == "":
        return TYPES
    parts = value if isinstance(value, list) else [value]
    wanted = {p.strip() for part in parts for p in str(part).split(",") if p.strip()}
    unknown = sorted(wanted - set(TYPES))
    if unknown:
        message = f"unknown type(s): {', '.join(unknown)}; use {','.join(TYPES)}"
        raise ValidationFailed({"types": FieldError(ErrorCode.UNKNOWN_TYPES, message, types=unknown, allowed=list(TYPES))})
    return tuple(t for t in TYPES if t in wanted) or TYPES


_ISO_SPACE_OFFSET = re.compile(r"^(\d{4}-\d{2}-\d{2}T[\d:.]+) (\d{2}:?\d{2})$")


def parse_before(value: str | None) -> Position | None:
    """The `before` parameter: a cursor from X-Next-Cursor, or an ISO 8601 time with zone.

    A time means "dated items strictly earlier than it" (undated records have no place
    before a time). A '+' that the query string turned into a space is put back.
    """
    if not value:
        return None
    value = value.strip()
    text = _ISO_SPACE_OFFSET.sub(r"\1+\2", value)
    if re.match(r"^\d{4}-\d{2}-\d{2}", text):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValidationFailed({"before": FieldError(ErrorCode.INVALID_DATE, "invalid ISO 8601 time")}) from None
        if moment.tzinfo is None:
            raise ValidationFailed({"before": FieldError(ErrorCode.TIMEZONE_REQUIRED,
                                                         "time zone required (e.g. 2025-01-01T10:00:00+02:00)")})
        return Position(False, moment, len(TYPES), 0)
    try:
        padded = value + "=" * (-len(value) % 4)
        undated, key, rank, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        moment = datetime.fromisoformat(key)
        if moment.tzinfo is None or not isinstance(rank, int) or not isinstance(row_id, int) \
                or not 0 <= rank <= len(TYPES) or not 0 <= row_id <= 2**31 - 1:
            raise ValueError
        return Position(bool(undated), moment, rank, row_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationFailed({"before": FieldError(ErrorCode.INVALID_CURSOR, "invalid cursor")}) from None


def _after(key_col, id_col, rank: int, cursor: Position):
    """Rows of one branch that come after `cursor` in (key desc, rank asc, id desc) order."""
    if rank < cursor.rank:
        return key_col < cursor.key
    if rank > cursor.rank:
        return key_col <= cursor.key
    # The leading `key <= cursor` keeps the condition an index range for both databases.
    return (key_col <= cursor.key) & ((key_col < cursor.key) | (id_col < cursor.id))


def _branches(customer_id: int, types: tuple[str, ...], cursor: Position | None, take: int):
    branches = []
    for name in types:
        model, date_col = _SOURCES[name]
        rank = RANK[name]
        for undated in ((True, False) if name in _MAY_BE_UNDATED else (False,)):
            if cursor is not None and not cursor.undated and undated:
                continue  # the cursor is already past every undated record
            key_col = model.created_at if undated else date_col
            query = select(literal_column("1" if undated else "0", Integer).label("u"),
                           literal_column(str(rank), Integer).label("r"),
                           model.id.label("id"), key_col.label("k")).where(model.customer_id == customer_id)
            query = query.where(date_col.is_(None) if undated else date_col.is_not(None))
            if cursor is not None and cursor.undated == undated:
                query = query.where(_after(key_col, model.id, rank, cursor))
            branches.append(query.order_by(key_col.desc(), model.id.desc()).limit(take).subquery())
    return branches


def _page_positions(customer_id: int, types, cursor, take: int) -> list[Position]:
    branches = _branches(customer_id, types, cursor, take)
    if not branches:
        return []
    merged = union_all(*[select(b) for b in branches]).subquery("timeline")
    rows = db.session.execute(
        select(merged).order_by(merged.c.u.desc(), merged.c.k.desc(), merged.c.r.asc(), merged.c.id.desc())
        .limit(take)
    ).all()
    return [Position(bool(r.u), r.k, r.r, r.id) for r in rows]


# ---- what each item carries for the UI ---------------------------------------------------

def call_data(call: CallLog) -> dict:
    data = call.to_dict(with_turns=True)
    lines = []
    for turn in call.turns:
        if turn.transcript:
            lines.append(f"לקוח: {turn.transcript}")
        if turn.reply:
            lines.append(f"נציג: {turn.reply}")
    data["transcript"] = "\n".join(lines)
    return data


def contract_data(contract: Contract) -> dict:
    data = contract.to_dict()
    data["display"] = {"amount": format_ils(contract.amount_agorot)}
    return data


def appointment_data(appointment: Appointment) -> dict:
    """The appointment with what the card shows: the service, its price, the staff member."""
    from server.schemas.appointments import Appointment as AppointmentOut
    data = AppointmentOut.dump(appointment)
    service = db.session.get(Service, appointment.service_id)
    staff = db.session.get(StaffCalendar, appointment.staff_id)
    data.update(service_name=service.name, staff_name=staff.name, price_agorot=service.price_agorot,
                display={"price": format_ils(service.price_agorot)})
    return data


_SERIALIZERS = {
    "call": call_data,
    "whatsapp": lambda m: m.to_dict(),
    "task": lambda t: t.to_dict(),
    "invoice": invoice_to_dict,
    "contract": contract_data,
    "appointment": appointment_data,
}


def _load(name: str, ids: list[int]) -> dict[int, object]:
    model, _ = _SOURCES[name]
    query = select(model).where(model.id.in_(ids))
    if name == "call":
        query = query.options(selectinload(CallLog.turns))
    return {row.id: row for row in db.session.scalars(query)}


def customer_timeline(customer, types=None, limit: int = DEFAULT_LIMIT,
                      before: Position | None = None) -> tuple[list[dict], str | None]:
    """One page of the customer's timeline and the cursor of the next page (None: the end)."""
    types = types or TYPES
    positions = _page_positions(customer.id, types, before, limit + 1)
    page, more = positions[:limit], len(positions) > limit
    wanted: dict[str, list[int]] = {}
    for pos in page:
        wanted.setdefault(TYPES[pos.rank], []).append(pos.id)
    rows = {name: _load(name, ids) for name, ids in wanted.items()}
    items = []
    for pos in page:
        name = TYPES[pos.rank]
        row = rows[name].get(pos.id)
        if row is None:  # deleted between the two queries: skip rather than fail
            continue
        items.append({"type": name, "at": None if pos.undated else pos.key.isoformat(),
                      "data": _SERIALIZERS[name](row)})
    return items, (page[-1].encode() if more and page else None)
