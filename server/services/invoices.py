"""Israeli tax invoices: running numbers, VAT by date, the allocation number, credits.

Money is integer agorot (1 ₪ = 100 agorot) end to end; no float ever touches an amount.
Which rule applies is decided by the invoice's date *as a calendar day in Israel*
(Asia/Jerusalem): an invoice written at 00:30 on 1 January 2025 Israel time is a 2025
invoice even though it is still 31 December in UTC.

Lifecycle: draft → issued → paid; issued or paid → cancelled, only by issuing a credit
invoice (חשבונית זיכוי) for the same amounts. An issued invoice is never edited or deleted.
A draft has no number: the business's running number is taken at issue, atomically, so
two invoices issued at once never share a number and a failed issue leaves no gap.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from server.error_codes import ErrorCode
from server.errors import Conflict, FieldError, NotFound, ValidationFailed
from server.extensions import db
from server.models import Business, Invoice
from server.models.base import utcnow
from server.services.records import MAX_ID, all_or_nothing, announce, audited, change_event

ISRAEL_TZ = ZoneInfo("Asia/Jerusalem")

# VAT (מע״מ) in basis points by the Israel date it took effect. Dated data, not a
# constant: a rate change is one new row, and old invoices keep the rate of their date.
VAT_RATES: tuple[tuple[date, int], ...] = (
    (date(2010, 1, 1), 1600),
    (date(2012, 9, 1), 1700),
    (date(2013, 6, 2), 1800),
    (date(2015, 10, 1), 1700),
    (date(2025, 1, 1), 1800),
)

# Amount before VAT, in agorot, from which a B2B invoice needs an allocation number
# (מספר הקצאה) from the Tax Authority ("Israel invoices" reform). None: not required.
ALLOCATION_THRESHOLDS: tuple[tuple[date, int | None], ...] = (
    (date(2024, 5, 5), 25_000_00),
    (date(2025, 1, 1), 20_000_00),
    (date(2026, 1, 1), 10_000_00),
    (date(2026, 6, 1), 5_000_00),
)

ALLOCATION_RE = re.compile(r"^\d{9}$")
TAX_ID_RE = re.compile(r"^\d{5,9}$")
EDITABLE_FIELDS = ("description", "amount_agorot", "invoice_date", "due_at", "is_b2b", "customer_tax_id",
                   "allocation_number", "bill_to_name")


# ---- dated rules ------------------------------------------------------------------------

def israel_date(moment: datetime) -> date:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give a time zone")
    return moment.astimezone(ISRAEL_TZ).date()


def _in_force(table, day: date):
    i = bisect_right([start for start, _ in table], day) - 1
    return table[i][1] if i >= 0 else None


def vat_rate_bp(moment: datetime) -> int:
    """The VAT rate in force on the Israel date of `moment`, in basis points (1800 = 18%)."""
    rate = _in_force(VAT_RATES, israel_date(moment))
    if rate is None:
        day = israel_date(moment).isoformat()
        raise ValidationFailed({"invoice_date": FieldError(ErrorCode.VAT_RATE_UNKNOWN, f"אין שיעור מע״מ ידוע לתאריך {day}",
                                                           date=day)},
                               message="אין שיעור מע״מ ידוע לתאריך החשבונית")
    return rate


def allocation_threshold_agorot(moment: datetime) -> int | None:
    """Amount before VAT (agorot) from which a B2B invoice needs an allocation number, or None."""
    return _in_force(ALLOCATION_THRESHOLDS, israel_date(moment))


def vat_for(amount_agorot: int, rate_bp: int) -> int:
    """VAT in agorot, rounded half away from zero to the agora (credits mirror invoices)."""
    vat = (Decimal(abs(amount_agorot)) * rate_bp / Decimal(10_000)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(vat) if amount_agorot >= 0 else -int(vat)


def format_ils(agorot: int | None) -> str | None:
    """'₪1,234.50' (minus sign first for credits)."""
    if agorot is None:
        return None
    sign = "-" if agorot < 0 else ""
    shekels, rest = divmod(abs(agorot), 100)
    return f"{sign}₪{shekels:,}.{rest:02d}"


def valid_israeli_id(number: str) -> bool:
    """Check digit of an Israeli ID / company number (ת״ז, ח״פ, עוסק מורשה): 9 digits, padded."""
    if not TAX_ID_RE.match(number or ""):
        return False
    digits = [int(d) for d in number.zfill(9)]
    total = 0
    for i, d in enumerate(digits):
        d *= 1 if i % 2 == 0 else 2
        total += d - 9 if d > 9 else d
    return total % 10 == 0


# ---- serialisation ----------------------------------------------------------------------

def invoice_to_dict(invoice: Invoice) -> dict:
    data = invoice.to_dict()
    data["kind"] = "credit" if invoice.credit_for_invoice_id else "invoice"
    data["vat_percent"] = None if invoice.vat_rate_bp is None else f"{Decimal(invoice.vat_rate_bp) / 100:g}%"
    data["display"] = {"amount": format_ils(invoice.amount_agorot), "vat": format_ils(invoice.vat_agorot),
                       "total": format_ils(invoice.total_agorot)}
    return data


# ---- lifecycle --------------------------------------------------------------------------

def _price(invoice: Invoice, when: datetime) -> None:
    invoice.vat_rate_bp = vat_rate_bp(when)
    invoice.vat_agorot = vat_for(invoice.amount_agorot, invoice.vat_rate_bp)
    invoice.total_agorot = invoice.amount_agorot + invoice.vat_agorot


def _check_fields(invoice: Invoice) -> None:
    fields = {}
    if invoice.amount_agorot is None or invoice.amount_agorot < 0:
        fields["amount"] = FieldError(ErrorCode.AMOUNT_NEGATIVE, "הסכום חייב להיות אפס או יותר")
    if invoice.allocation_number and not ALLOCATION_RE.match(invoice.allocation_number):
        fields["allocation_number"] = FieldError(ErrorCode.INVALID_ALLOCATION_NUMBER, "מספר הקצאה הוא 9 ספרות")
    if invoice.customer_tax_id and not valid_israeli_id(invoice.customer_tax_id):
        fields["customer_tax_id"] = FieldError(ErrorCode.INVALID_TAX_ID, "מספר עוסק / ח״פ אינו תקין")
    if fields:
        raise ValidationFailed(fields)


def new_draft(customer, data: dict) -> Invoice:
    """A draft invoice (no number yet) priced at its date, or today when it has none. Flushes."""
    invoice = Invoice(business_id=customer.business_id, customer_id=customer.id, status="draft", currency="ILS",
                      bill_to_name=data.get("bill_to_name") or customer.name)
    for field in EDITABLE_FIELDS:
        if field in data and field != "bill_to_name":
            setattr(invoice, field, data[field])
    invoice.is_b2b = bool(invoice.is_b2b)
    _check_fields(invoice)
    _price(invoice, invoice.invoice_date or utcnow())
    db.session.add(invoice)
    db.session.flush()
    return invoice


@all_or_nothing
def create_invoice(customer, data: dict) -> Invoice:
    invoice = new_draft(customer, data)
    audited("create", invoice, {"fields": sorted(data)})
    event = change_event(invoice, "create")
    db.session.commit()
    announce(event)
    return invoice


def get_invoice(customer, invoice_id: int, *, lock: bool = False) -> Invoice:
    if not 0 < invoice_id <= MAX_ID:
        raise NotFound("invoice not found", code=ErrorCode.INVOICE_NOT_FOUND)
    query = select(Invoice).where(Invoice.id == invoice_id, Invoice.customer_id == customer.id)
    if lock:
        query = query.with_for_update()
    invoice = db.session.scalar(query)
    if invoice is None:
        raise NotFound("invoice not found", code=ErrorCode.INVOICE_NOT_FOUND)
    return invoice


def list_invoices(customer) -> list[Invoice]:
    return list(db.session.scalars(select(Invoice).where(Invoice.customer_id == customer.id)
                                   .order_by(Invoice.created_at.desc(), Invoice.id.desc())))


@all_or_nothing
def update_draft(customer, invoice_id: int, data: dict) -> Invoice:
    invoice = get_invoice(customer, invoice_id, lock=True)
    if invoice.status != "draft":
        raise Conflict("לא ניתן לערוך חשבונית שהופקה; יש לבטל אותה בחשבונית זיכוי",
                       code=ErrorCode.INVOICE_ISSUED_NOT_EDITABLE)
    for field in EDITABLE_FIELDS:
        if field in data:
            setattr(invoice, field, data[field])
    if not invoice.bill_to_name:
        invoice.bill_to_name = customer.name
    _check_fields(invoice)
    _price(invoice, invoice.invoice_date or utcnow())
    audited("update", invoice, {"fields": sorted(data)})
    event = change_event(invoice, "update")
    db.session.commit()
    announce(event)
    return invoice


@all_or_nothing
def delete_draft(customer, invoice_id: int) -> None:
    invoice = get_invoice(customer, invoice_id, lock=True)
    if invoice.status != "draft":
        raise Conflict("לא ניתן למחוק חשבונית שהופקה; יש לבטל אותה בחשבונית זיכוי",
                       code=ErrorCode.INVOICE_ISSUED_NOT_DELETABLE)
    audited("delete", invoice)
    db.session.delete(invoice)
    event = change_event(invoice, "delete")
    db.session.commit()
    announce(event)


def _next_number(business_id: int) -> int:
    """Take the business's next running number with one atomic UPDATE ... RETURNING.

    On PostgreSQL the UPDATE holds the business row's lock until commit, so concurrent
    issuers queue behind it; on SQLite the write lock does the same. Rolled back with the
    transaction, so a failed issue never burns a number.
    """
    return db.session.execute(
        update(Business).where(Business.id == business_id)
        .values(last_invoice_number=Business.last_invoice_number + 1)
        .returning(Business.last_invoice_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()


def _require_allocation(invoice: Invoice, when: datetime) -> None:
    if not invoice.is_b2b:
        return
    threshold = allocation_threshold_agorot(when)
    if threshold is None or invoice.amount_agorot < threshold:
        return
    if not invoice.allocation_number:
        amount = f"{threshold // 100:,}"
        message = (f"נדרש מספר הקצאה מרשות המסים (9 ספרות) כדי להפיק חשבונית לעוסק בסכום של "
                   f"{amount} ₪ ומעלה לפני מע״מ")
        field = FieldError(ErrorCode.ALLOCATION_NUMBER_REQUIRED, message, amount=threshold // 100)
        raise ValidationFailed({"allocation_number": field}, message=message)


def issue_draft(invoice: Invoice, allocation_number: str | None = None) -> Invoice:
    """Give a draft its running number and fix its date, VAT and totals. Flushes, no commit."""
    if invoice.status != "draft":
        raise Conflict("החשבונית כבר הופקה", code=ErrorCode.INVOICE_ALREADY_ISSUED)
    if allocation_number:
        invoice.allocation_number = allocation_number
    now = utcnow()
    if invoice.invoice_date is None:
        invoice.invoice_date = now
    _check_fields(invoice)
    if invoice.is_b2b and not invoice.customer_tax_id:
        message = "חשבונית לעוסק דורשת מספר עוסק מורשה / ח״פ של הלקוח"
        raise ValidationFailed({"customer_tax_id": FieldError(ErrorCode.TAX_ID_REQUIRED, message)}, message=message)
    _require_allocation(invoice, invoice.invoice_date)
    _price(invoice, invoice.invoice_date)
    invoice.number = _next_number(invoice.business_id)
    invoice.status = "issued"
    invoice.issued_at = now
    db.session.flush()
    return invoice


@all_or_nothing
def issue_invoice(customer, invoice_id: int, data: dict | None = None) -> Invoice:
    """Issue a draft (see issue_draft). Commits; on refusal nothing changes."""
    invoice = issue_draft(get_invoice(customer, invoice_id, lock=True), (data or {}).get("allocation_number"))
    audited("update", invoice, {"event": "issue", "number": invoice.number})
    event = change_event(invoice, "issue")
    db.session.commit()
    announce(event)
    return invoice


@all_or_nothing
def pay_invoice(customer, invoice_id: int, paid_at: datetime | None = None) -> Invoice:
    invoice = get_invoice(customer, invoice_id, lock=True)
    if invoice.credit_for_invoice_id is not None:
        raise Conflict("חשבונית זיכוי אינה משולמת", code=ErrorCode.CREDIT_NOTE_NOT_PAYABLE)
    if invoice.status != "issued":
        raise Conflict("רק חשבונית שהופקה ולא שולמה יכולה להיות מסומנת כשולמה", code=ErrorCode.INVOICE_NOT_PAYABLE)
    invoice.status = "paid"
    invoice.paid_at = paid_at or utcnow()
    audited("update", invoice, {"event": "pay"})
    event = change_event(invoice, "pay")
    db.session.commit()
    announce(event)
    return invoice


@all_or_nothing
def cancel_with_credit(customer, invoice_id: int, reason: str | None = None) -> tuple[Invoice, Invoice]:
    """Cancel an issued (or paid) invoice by issuing a credit invoice that mirrors it. Commits.

    The credit takes the next running number and reverses the original's amounts at the
    original's VAT rate, so the two sum to zero.
    """
    invoice = get_invoice(customer, invoice_id, lock=True)
    if invoice.status == "draft":
        raise Conflict("טיוטה אינה מבוטלת בזיכוי; אפשר למחוק אותה", code=ErrorCode.DRAFT_NOT_CANCELLABLE)
    if invoice.status == "cancelled":
        raise Conflict("החשבונית כבר בוטלה", code=ErrorCode.INVOICE_ALREADY_CANCELLED)
    if invoice.credit_for_invoice_id is not None:
        raise Conflict("לא ניתן לבטל חשבונית זיכוי", code=ErrorCode.CREDIT_NOTE_NOT_CANCELLABLE)
    now = utcnow()
    credit = Invoice(
        business_id=invoice.business_id, customer_id=invoice.customer_id, status="issued", currency=invoice.currency,
        description=reason or f"זיכוי לחשבונית מספר {invoice.number}",
        amount_agorot=-invoice.amount_agorot, vat_rate_bp=invoice.vat_rate_bp, vat_agorot=-(invoice.vat_agorot or 0),
        total_agorot=-(invoice.total_agorot or 0), invoice_date=now, issued_at=now, is_b2b=invoice.is_b2b,
        customer_tax_id=invoice.customer_tax_id, bill_to_name=invoice.bill_to_name, credit_for_invoice_id=invoice.id,
    )
    credit.number = _next_number(invoice.business_id)
    invoice.status = "cancelled"
    invoice.cancelled_at = now
    db.session.add(credit)
    audited("create", credit, {"event": "credit", "credit_for_invoice_id": invoice.id, "number": credit.number})
    audited("update", invoice, {"event": "cancel", "credit_invoice_id": credit.id})
    events = [change_event(invoice, "cancel"), change_event(credit, "create")]
    db.session.commit()
    announce(*events)
    return invoice, credit
