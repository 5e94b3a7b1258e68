"""What the phone agent knows about a caller: CRM rows turned into plain data, and the
side effects a reply asks for (a callback request becomes a Task)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from server.extensions import db
from server.models import Business, CallLog, Contract, Customer, Invoice, Task
from server.providers.reply import CallerContext
from server.schemas.settings import business_settings

try:
    from zoneinfo import ZoneInfo
    ISRAEL = ZoneInfo("Asia/Jerusalem")
except Exception:  # noqa: BLE001 - no tz database: dates are shown in UTC
    ISRAEL = timezone.utc

DIALOG_KEY = "reception"  # call.state's key for the booking dialogue between turns
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
DAY_NAMES = {"sun": "ראשון", "mon": "שני", "tue": "שלישי", "wed": "רביעי", "thu": "חמישי", "fri": "שישי", "sat": "שבת"}


def local_date(value: datetime | None) -> str | None:
    if value is None:
        return None
    local = value.astimezone(ISRAEL)
    return f"{local.day}.{local.month}"


def money(agorot: int | None) -> str:
    if agorot is None:
        return "סכום לא ידוע"
    shekels, rest = divmod(int(agorot), 100)
    return f"{shekels} שקלים" + (f" ו{rest} אגורות" if rest else "")


def _span(value: str) -> str:
    start, _, end = value.partition("-")
    return f"{start.strip()} עד {end.strip()}" if end else value


def hours_text(hours) -> str | None:
    """settings["hours"]: free Hebrew text, or {"sun": "09:00-17:00", ..., "sat": null}."""
    if not hours:
        return None
    if isinstance(hours, str):
        return hours.strip() or None
    if not isinstance(hours, dict):
        return None
    groups: list[tuple[list[str], str]] = []
    for day in DAYS:
        value = hours.get(day)
        if not value:
            continue
        if groups and groups[-1][1] == value and DAYS.index(groups[-1][0][-1]) == DAYS.index(day) - 1:
            groups[-1][0].append(day)
        else:
            groups.append(([day], value))
    parts = []
    for days, value in groups:
        label = DAY_NAMES[days[0]] if len(days) == 1 else f"{DAY_NAMES[days[0]]} עד {DAY_NAMES[days[-1]]}"
        parts.append(f"{label} {_span(value)}")
    return ", ".join(parts) or None


def open_now(hours, now: datetime | None = None) -> bool | None:
    if not isinstance(hours, dict):
        return None
    local = (now or datetime.now(timezone.utc)).astimezone(ISRAEL)
    day = DAYS[(local.weekday() + 1) % 7]  # Python: Monday=0; Israel's week starts on Sunday
    value = hours.get(day)
    if not value:
        return False
    try:
        start, end = (part.strip() for part in value.split("-"))
        current = local.strftime("%H:%M")
        return start.zfill(5) <= current < end.zfill(5)
    except ValueError:
        return None


def build_context(call: CallLog, history: list[dict] | None = None, transcript: str | None = None,
                  dry_run: bool = False) -> CallerContext:
    """What the reply provider may know for this turn. `transcript` is what the caller just
    said: it may be the answer to the verification question (caller_verification).
    `dry_run` (trying the agent): the desk books, moves and cancels nothing."""
    from server.services import caller_verification
    business = db.session.get(Business, call.business_id) if call.business_id else None
    customer = db.session.get(Customer, call.customer_id) if call.customer_id else None
    settings = business_settings(business)
    ctx = CallerContext(
        business_name=business.name if business else None,
        agent_name=settings.agent_name,
        instructions=settings.agent_instructions,
        hours=hours_text(settings.hours_value),
        open_now=open_now(settings.hours_value),
        can_take_callback=customer is not None,
        first_turn=not history,
        history=history or [],
    )
    if business is not None:
        from server.services.reception.desk import FrontDesk
        ctx.dialog = dict((call.state or {}).get(DIALOG_KEY) or {})
        ctx.desk = FrontDesk(business.id, customer.id if customer else None, "phone", ctx.dialog, dry_run=dry_run)
    if customer is None:
        return ctx
    ctx.customer_name = customer.name
    ctx.known_customer = not (call.state or {}).get("new_lead", False)
    check = caller_verification.check(call, customer, transcript, settings)
    if isinstance(call, CallLog):
        # Now, not with the turn: a turn cut short (barge-in, hang-up) must still count an attempt.
        db.session.commit()
    ctx.withheld, ctx.verification, ctx.just_verified = check["withheld"], check["status"], check["just_verified"]
    customer_records(ctx, customer)
    return ctx


def customer_records(ctx: CallerContext, customer: Customer) -> None:
    """The customer's open work, invoices and contracts, except what ctx.withheld keeps back."""
    tasks = db.session.scalars(
        select(Task).where(Task.customer_id == customer.id, Task.status != "cancelled")
        .order_by(Task.created_at.desc()).limit(10)).all()
    # Open work first, then the most recent.
    tasks = sorted(tasks, key=lambda t: t.status != "open")
    if "tasks" not in ctx.withheld:
        ctx.tasks = [{"title": t.title, "status": t.status, "due": local_date(t.due_at)} for t in tasks[:5]]
    invoices = db.session.scalars(
        select(Invoice).where(Invoice.customer_id == customer.id, Invoice.status.in_(("issued", "paid")))
        .order_by(Invoice.issued_at.desc(), Invoice.id.desc()).limit(3)).all()
    if "invoices" not in ctx.withheld:
        ctx.invoices = [{"number": i.number, "status": i.status, "total": money(i.total_agorot or i.amount_agorot),
                         "due": local_date(i.due_at)} for i in invoices]
    contracts = db.session.scalars(
        select(Contract).where(Contract.customer_id == customer.id, Contract.status != "cancelled")
        .order_by(Contract.created_at.desc()).limit(3)).all()
    if "contracts" not in ctx.withheld:
        ctx.contracts = [{"title": c.title, "status": c.status} for c in contracts]


def apply_actions(call: CallLog, actions: list[dict]) -> list[dict]:
    """Carry out what the reply asked for; returns what was done (kept on the turn)."""
    done = []
    for action in actions:
        if action.get("type") == "callback" and call.customer_id and call.business_id:
            note = (action.get("note") or "").strip()
            task = Task(business_id=call.business_id, customer_id=call.customer_id, title="לחזור ללקוח שביקש חזרה",
                        description=f"בקשה מהשיחה: {note}" if note else None, status="open", source="call",
                        call_id=call.id)
            db.session.add(task)
            db.session.flush()
            done.append({"type": "callback", "task_id": task.id})
    return done


def keep_dialog(call: CallLog, ctx: CallerContext) -> None:
    """Keep the booking dialogue's state on the call for its next turn (the turn's commit saves it)."""
    if ctx.desk is None or not isinstance(call, CallLog):
        return
    db.session.refresh(call, ["state"])  # the webhooks may have written other keys meanwhile
    state = dict(call.state or {})
    if ctx.dialog:
        state[DIALOG_KEY] = ctx.dialog
    else:
        state.pop(DIALOG_KEY, None)
    call.state = state
