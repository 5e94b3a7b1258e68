"""Users: creation (CLI and API) with validated role and business."""
from __future__ import annotations

from sqlalchemy import func, select

from server.errors import Conflict, NotFound, ValidationFailed
from server.extensions import db
from server.models import Business, User
from server.models.user import ROLES
from server.services.auth import hash_password

MIN_PASSWORD_LENGTH = 8


def create_user(email: str, password: str, role: str, business_id: int | None = None,
                name: str | None = None) -> User:
    email = (email or "").strip().lower()
    errors: dict[str, str] = {}
    if "@" not in email:
        errors["email"] = "invalid email"
    if len(password or "") < MIN_PASSWORD_LENGTH:
        errors["password"] = f"at least {MIN_PASSWORD_LENGTH} characters"
    if role not in ROLES:
        errors["role"] = f"one of {', '.join(ROLES)}"
    if role in ("staff", "viewer") and business_id is None:
        errors["business_id"] = "staff and viewers belong to a business"
    if errors:
        raise ValidationFailed(errors)
    if business_id is not None and db.session.get(Business, business_id) is None:
        raise NotFound("business not found")
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise Conflict("email exists")
    user = User(email=email, password_hash=hash_password(password), role=role,
                business_id=business_id, name=name)
    db.session.add(user)
    db.session.commit()
    return user
