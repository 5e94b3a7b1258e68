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
        settings={"hours": "א׳–ה׳ 09:00–19:00, ו׳ 08:00–13:00", "agent_name": "נועה"},
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
    return {"created": True, "business_id": business.id}
