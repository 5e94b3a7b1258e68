"""The receptionist's desk: the business's price list, calendar and knowledge behind the
plain-data interface the agent uses (providers.reply.Desk).

One desk serves one conversation (a call, a WhatsApp chat) of one customer of one business:
it can only see that business's services and calendar and only book, move or cancel that
customer's appointments. Two rules hold here, whoever drives the desk (the offline dialogue
or a cloud model's tool calls):
- only a slot this desk offered in this conversation can be booked (no invented slots), and
- nothing is booked, moved or cancelled without `confirmed=True`: the caller's explicit yes.
The slots offered are kept in the conversation's dialogue state (`dialog["offered"]`), so
the rule holds across turns, processes and a worker that died between them.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from server.errors import AppError
from server.extensions import db
from server.models.appointments import Appointment, Service, StaffCalendar
from server.services.appointments import availability, booking
from server.services.appointments.when import TZ
from server.sqlite_locking import write_lock_first_here

log = logging.getLogger(__name__)

MAX_OFFERED = 40       # slots remembered per conversation (the oldest are forgotten first)
SLOT_HORIZON = timedelta(days=60)


def iso(value: datetime) -> str:
    """Israel time with its offset: what the agent and the dialogue state carry."""
    return value.astimezone(TZ).isoformat()


def parse_iso(value) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else None
    try:
        moment = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else None


class FrontDesk:
    def __init__(self, business_id: int, customer_id: int | None, source: str, dialog: dict | None = None,
                 now: datetime | None = None, dry_run: bool = False):
        self.business_id = business_id
        self.customer_id = customer_id
        self.source = source                    # phone | whatsapp: the appointment's source
        self.dialog = dialog if dialog is not None else {}
        self.now = (now or datetime.now(timezone.utc)).astimezone(TZ)
        self.done: list[dict] = []              # what the desk did, kept on the turn as tool calls
        self.dry_run = dry_run                  # trying the agent: say what would happen, change nothing
        self._staff: dict[int, str] | None = None
        self._found: list[dict] = []            # every slot find_slots returned in this turn
        # On WhatsApp the agent's own answer is the confirmation; a phone booking also gets
        # the WhatsApp notice (services/appointments/reminders.py). Reminders go either way.
        self.notify = source != "whatsapp"

    # ---- reading ------------------------------------------------------------------------
    def services(self) -> list[dict]:
        rows = db.session.scalars(select(Service).where(Service.business_id == self.business_id,
                                                        Service.active.is_(True)).order_by(Service.name, Service.id))
        return [{"id": s.id, "name": s.name, "duration_minutes": s.duration_minutes, "price_agorot": s.price_agorot}
                for s in rows]

    def staff(self) -> list[dict]:
        return [{"id": sid, "name": name} for sid, name in self._staff_names().items()]

    def _staff_names(self) -> dict[int, str]:
        if self._staff is None:
            rows = db.session.execute(select(StaffCalendar.id, StaffCalendar.name)
                                      .where(StaffCalendar.business_id == self.business_id)
                                      .order_by(StaffCalendar.id)).all()
            self._staff = {sid: name for sid, name in rows}
        return self._staff

    def _service(self, service_id) -> Service | None:
        try:
            service = db.session.get(Service, int(service_id))
        except (TypeError, ValueError):
            return None
        return service if service is not None and service.business_id == self.business_id else None

    def _slot(self, service: Service, start: datetime, staff_id: int) -> dict:
        end = start + timedelta(minutes=service.duration_minutes)
        return {"service_id": service.id, "service": service.name, "start": iso(start), "end": iso(end),
                "staff_id": staff_id, "staff_name": self._staff_names().get(staff_id)}

    def _remember(self, slots: list[dict]) -> None:
        offered = [o for o in self.dialog.get("offered", []) if o not in slots] + slots
        self.dialog["offered"] = offered[-MAX_OFFERED:]

    def find_slots(self, service_id: int, start: datetime, end: datetime, staff_id: int | None = None,
                   limit: int = 3, exclude_appointment_id: int | None = None) -> list[dict]:
        """Free slots starting in [start, end), never in the past nor beyond the horizon."""
        service = self._service(service_id)
        if service is None or not service.active:
            return []
        start, end = max(start, self.now), min(end, self.now + SLOT_HORIZON)
        if end <= start:
            return []
        if staff_id is not None and staff_id not in self._staff_names():
            staff_id = None
        found = availability.free_slots(service, start.astimezone(timezone.utc), end.astimezone(timezone.utc),
                                        staff_id=staff_id, limit=limit or None,
                                        exclude_appointment_id=exclude_appointment_id)
        slots = [self._slot(service, s.start, s.staff_id) for s in found]
        self._found.extend(slots)
        self._remember(slots)
        return slots

    def offer(self, slots: list[dict]) -> None:
        """The slots the conversation put to the caller, out of what this desk found: kept
        last, so the rest of a long search never crowds them out of the remembered ones."""
        self._remember([slot for slot in slots if slot in self._found])

    def _customer_appointments(self):
        return (select(Appointment).where(Appointment.business_id == self.business_id,
                                          Appointment.customer_id == self.customer_id,
                                          Appointment.status.in_(("booked", "confirmed")))
                .order_by(Appointment.start_at, Appointment.id))

    def appointment_dict(self, row: Appointment) -> dict:
        service = db.session.get(Service, row.service_id)
        return {"id": row.id, "service_id": row.service_id, "service": service.name if service else None,
                "start": iso(row.start_at), "end": iso(row.end_at), "staff_id": row.staff_id,
                "staff_name": self._staff_names().get(row.staff_id), "status": row.status}

    def next_appointment(self) -> dict | None:
        """The customer's next appointment that still holds (booked or confirmed)."""
        if self.customer_id is None:
            return None
        row = db.session.scalars(self._customer_appointments()
                                 .where(Appointment.start_at > self.now.astimezone(timezone.utc)).limit(1)).first()
        return self.appointment_dict(row) if row is not None else None

    def search_knowledge(self, question: str) -> dict | None:
        from server.services.knowledge.answers import best_answer
        found = best_answer(self.business_id, question)
        if found is None:
            return None
        return {"passage": found.passage, "title": found.title, "kind": found.kind, "source_id": found.source_id,
                "confident": found.confident}

    # ---- writing ------------------------------------------------------------------------
    def _was_offered(self, service_id: int, start: datetime, staff_id: int | None) -> dict | None:
        for slot in self.dialog.get("offered", []):
            when = parse_iso(slot.get("start"))
            if (slot.get("service_id") == service_id and when == start
                    and (staff_id is None or slot.get("staff_id") == staff_id)):
                return slot
        return None

    def _refuse(self, name: str, why: str) -> dict:
        self.done.append({"name": name, "result": {"ok": False, "error": why}})
        return {"ok": False, "error": why}

    def _write(self, name: str, work, would: dict | None = None) -> dict:
        """Run a booking change with the write lock first (SQLite) and answer in plain data."""
        if self.dry_run:
            result = {"ok": True, "dry_run": True, "appointment": would or {}}
            self.done.append({"name": name, "result": result})
            return result
        db.session.commit()   # end the turn's read transaction: the booking's own begins locked
        for attempt in (1, 2):
            try:
                with write_lock_first_here():
                    result = work()
                self.done.append({"name": name, "result": result})
                return result
            except booking.SlotTaken as exc:
                service = self._service(self.dialog.get("service_id")) if self.dialog.get("service_id") else None
                slots = [self._slot(service, parse_iso(s["start"]), s["staff_id"]) for s in exc.next_slots] \
                    if service is not None else []
                self._remember(slots)
                result = {"ok": False, "error": "slot taken", "next_slots": slots}
                self.done.append({"name": name, "result": {"ok": False, "error": "slot taken"}})
                return result
            except AppError as exc:
                # Outside the staff's hours, an inactive service...: said plainly, nothing changed.
                db.session.rollback()
                detail = "; ".join(f"{k}: {v}" for k, v in (exc.fields or {}).items()) or exc.message
                return self._refuse(name, detail)
            except OperationalError:
                # SQLite refused the lock (another writer); once more, then say so.
                db.session.rollback()
                if attempt == 2:
                    log.warning("desk %s: the database stayed busy", name)
                    return self._refuse(name, "busy, try again")
        return self._refuse(name, "busy, try again")

    def book(self, service_id: int, start: datetime, staff_id: int | None, confirmed: bool) -> dict:
        service = self._service(service_id)
        start = parse_iso(start)
        if service is None or start is None:
            return self._refuse("book", "unknown service or time")
        if self.customer_id is None:
            return self._refuse("book", "no customer in this conversation")
        if not confirmed:
            return self._refuse("book", "the caller has not said yes")
        offered = self._was_offered(service.id, start, staff_id)
        if offered is None:
            return self._refuse("book", "slot was not offered")
        # The same booking asked for again (a retried job, a repeated yes) is the same booking.
        same = db.session.scalars(self._customer_appointments().where(
            Appointment.service_id == service.id, Appointment.start_at == start.astimezone(timezone.utc))).first()
        if same is not None:
            return {"ok": True, "appointment": self.appointment_dict(same)}
        self.dialog["service_id"] = service.id

        def work():
            row = booking.book(self.business_id, self.customer_id, service.id, start.astimezone(timezone.utc),
                               staff_id=staff_id, source=self.source, notify=self.notify)
            return {"ok": True, "appointment": self.appointment_dict(row)}
        return self._write("book", work, would=offered)

    def _own(self, appointment_id) -> Appointment | None:
        try:
            row = db.session.get(Appointment, int(appointment_id))
        except (TypeError, ValueError):
            return None
        if row is None or row.business_id != self.business_id or row.customer_id != self.customer_id:
            return None
        return row

    def move(self, appointment_id: int, start: datetime, staff_id: int | None, confirmed: bool) -> dict:
        row, start = self._own(appointment_id), parse_iso(start)
        if row is None or start is None:
            return self._refuse("move", "not this customer's appointment")
        if not confirmed:
            return self._refuse("move", "the caller has not said yes")
        if self._was_offered(row.service_id, start, staff_id) is None:
            return self._refuse("move", "slot was not offered")
        self.dialog["service_id"] = row.service_id

        def work():
            fields = {"start_at"} | ({"staff_id"} if staff_id else set())
            moved = booking.move(self.business_id, row.id, start=start.astimezone(timezone.utc), staff_id=staff_id,
                                 fields=fields, notify=self.notify)
            return {"ok": True, "appointment": self.appointment_dict(moved)}
        would = {**self.appointment_dict(row), **self._was_offered(row.service_id, start, staff_id)}
        return self._write("move", work, would=would)

    def cancel(self, appointment_id: int, confirmed: bool) -> dict:
        row = self._own(appointment_id)
        if row is None:
            return self._refuse("cancel", "not this customer's appointment")
        if not confirmed:
            return self._refuse("cancel", "the caller has not said yes")

        def work():
            cancelled = booking.cancel(self.business_id, row.id, notify=self.notify)
            return {"ok": True, "appointment": self.appointment_dict(cancelled)}
        return self._write("cancel", work, would=self.appointment_dict(row))
