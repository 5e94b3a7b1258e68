"""Demo data for `make run`: one Hebrew business, its customers and the three demo logins."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from server.error_codes import ErrorCode
from server.errors import AppError
from server.extensions import db
from server.models import Business, Contract, Customer, Task, User
from server.models.base import utcnow
from server.services.auth import hash_password
from server.services.customers.search import build_search_text
from server.services.invoices import issue_draft, new_draft

DEMO_PASSWORD = "kesher-demo"
DEMO_LOGINS = (
    ("admin@kesher.local", "admin", False),
    ("staff@kesher.local", "staff", True),
    ("viewer@kesher.local", "viewer", True),
)
DEMO_CUSTOMERS = (
    ("דנה כהן", "+972501234567", "dana@example.co.il", "לקוחה קבועה, מעדיפה וואטסאפ"),
    ("יוֹסֵף לֵוִי", "+972521112233", "yossi@example.co.il", "שמו מנוקד כדי להדגים חיפוש עם ובלי ניקוד"),
    ("מיכל אברהם", "+972549876543", None, None),
    ("אבי מזרחי", "+972537654321", "avi@example.com", "ביקש הצעת מחיר"),
    ("נועה פרץ", "+972585551234", None, "ליד שהגיע מוואטסאפ"),
)


class DemoRefused(AppError):
    status_code = 409
    code = ErrorCode.DEMO_REFUSED


def seed_demo(app_env: str) -> dict:
    """Create the demo business once. Refuses in production and on a non-empty database."""
    if app_env == "production":
        raise DemoRefused("the demo seed never runs with APP_ENV=production")
    if db.session.scalar(select(func.count(User.id))) or db.session.scalar(select(func.count(Business.id))):
        return {"created": False}
    business = Business(
        name="סטודיו דנה — עיצוב שיער", domain="studio-dana.example.co.il",
        voice_number="+97233720000", whatsapp_number="+97233720000",
        settings={"hours": "א׳–ה׳ 09:00–19:00, ו׳ 08:00–13:00", "agent_name": "נועה",
                  "whatsapp_agent": "always"},
    )
    db.session.add(business)
    db.session.flush()
    for email, role, in_business in DEMO_LOGINS:
        db.session.add(User(email=email, role=role, password_hash=hash_password(DEMO_PASSWORD),
                            business_id=business.id if in_business else None))
    now = utcnow()
    customers = []
    for i, (name, phone, email, notes) in enumerate(DEMO_CUSTOMERS):
        customer = Customer(business_id=business.id, name=name, phone=phone, email=email, notes=notes,
                            search_text=build_search_text(name, phone, email),
                            created_at=now - timedelta(days=len(DEMO_CUSTOMERS) - i))
        db.session.add(customer)
        customers.append(customer)
    db.session.flush()
    db.session.add(Task(business_id=business.id, customer_id=customers[0].id, title="להתקשר לאשר תור ליום חמישי",
                        due_at=now + timedelta(days=1)))
    db.session.add(Task(business_id=business.id, customer_id=customers[3].id, title="לשלוח הצעת מחיר לצבע"))
    db.session.add(Contract(business_id=business.id, customer_id=customers[0].id, title="מנוי שנתי — טיפולי שיער",
                            status="signed", amount_agorot=360000, signed_at=now - timedelta(days=30)))
    # Invoices through the invoice service, so the demo shows real numbers and VAT.
    paid_visit = new_draft(customers[0], {"description": "טיפול צבע ותספורת", "amount_agorot": 45_000})
    issue_draft(paid_visit)
    new_draft(customers[3], {"description": "הצעת מחיר: צבע מלא + החלקה", "amount_agorot": 120_000})
    db.session.commit()
    seed_demo_templates(business.id)
    staff_user = db.session.scalar(select(User).where(User.email == "staff@kesher.local"))
    seed_demo_appointments(business.id, [c.id for c in customers], staff_user.id)
    seed_demo_whatsapp(business)
    return {"created": True, "business_id": business.id}


def seed_demo_whatsapp(business: Business) -> None:
    """A lead asks the price on WhatsApp: stored as any inbound message (development
    transport), so the agent answers it for real — the worker of `make run` does."""
    from server.providers.whatsapp.base import InboundMessage
    from server.services.whatsapp import record_inbound
    record_inbound(InboundMessage(provider="dev", provider_message_id="demo-whatsapp-1", from_number="+972585551234",
                                  to_number=business.whatsapp_number, text="היי, כמה עולה החלקה?",
                                  profile_name="נועה פרץ"))


def seed_demo_templates(business_id: int) -> None:
    """The approved templates the appointment notices and reminders use outside the 24-hour window."""
    from server.models import WhatsAppTemplate
    from server.services.appointments.reminders import BODIES
    for name, body in BODIES.items():
        db.session.add(WhatsAppTemplate(business_id=business_id, name=name, language="he", body=body,
                                        meta_template_name=name))
    db.session.commit()


# The salon's price list: (name, minutes, price in agorot, buffer minutes, which staff: None = both).
DEMO_SERVICES = (
    ("תספורת נשים", 45, 18_000, 0, None),
    ("תספורת גברים", 30, 8_000, 0, None),
    ("פן", 30, 9_000, 0, None),
    ("צבע שורשים", 90, 25_000, 15, "דנה"),
    ("החלקה", 120, 45_000, 15, "דנה"),
)
DEMO_STAFF = ("דנה", "אור")


def seed_demo_appointments(business_id: int, customer_ids: list[int], staff_user_id: int, now=None) -> int:
    """The salon's price list, two chairs and a week of appointments, booked through the same
    service the API uses (so they honour the hours, Shabbat and the holidays). Past visits are
    written as history: done, and one no-show."""
    from server.models.appointments import Appointment
    from server.services.appointments import availability, booking
    from server.services.appointments import settings as calendar

    now = now or utcnow()
    staff = {name: calendar.create_staff(business_id, {"name": name, "user_id": staff_user_id if name == "דנה" else None})
             for name in DEMO_STAFF}
    services = [calendar.create_service(business_id, {
        "name": name, "duration_minutes": minutes, "price_agorot": price, "buffer_minutes": buffer,
        "staff_ids": [staff[only].id] if only else []}) for name, minutes, price, buffer, only in DEMO_SERVICES]
    booked = 0
    sources = ("phone", "whatsapp", "web")
    for day in range(1, 8):
        start = now + timedelta(days=day)
        for i in range(2):  # two appointments a day, at different points of the day
            service = services[(day + i) % len(services)]
            slots = availability.free_slots(service, start.replace(hour=6 + 4 * i, minute=0, second=0, microsecond=0),
                                            start.replace(hour=16, minute=0, second=0, microsecond=0), limit=3)
            if not slots:
                continue  # Shabbat, a holiday or a closed afternoon
            # Seeded, not booked by a customer: no WhatsApp confirmation (the reminders still go).
            booking.book(business_id, customer_ids[(day + i) % len(customer_ids)], service.id, slots[-1].start,
                         slots[-1].staff_id, source=sources[(day + i) % 3], notify=False)
            booked += 1
    # History: last week's visits (the dashboard's no-show rate needs some).
    for back, status in ((7, "done"), (6, "done"), (5, "no_show")):
        service = services[back % len(services)]
        start = (now - timedelta(days=back)).replace(hour=8, minute=0, second=0, microsecond=0)
        end = start + timedelta(minutes=service.duration_minutes)
        db.session.add(Appointment(business_id=business_id, customer_id=customer_ids[back % len(customer_ids)],
                                   service_id=service.id, staff_id=staff["אור"].id, start_at=start, end_at=end,
                                   blocked_until=end + timedelta(minutes=service.buffer_minutes),
                                   status=status, source="phone"))
    db.session.commit()
    return booked
