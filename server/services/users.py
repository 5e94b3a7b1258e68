"""Users: creation (CLI and API) with validated role and business."""
from __future__ import annotations

from sqlalchemy import func, select

from server.error_codes import ErrorCode
from server.errors import Conflict, FieldError, NotFound, ValidationFailed
from server.extensions import db
from server.models import Business, User
from server.models.user import ROLES
from server.services.auth import end_sessions, hash_password, sessions_ended

MIN_PASSWORD_LENGTH = 8


def create_user(email: str, password: str, role: str, business_id: int | None = None,
                name: str | None = None) -> User:
    email = (email or "").strip().lower()
    errors: dict[str, str] = {}
    if "@" not in email:
        errors["email"] = FieldError(ErrorCode.INVALID_EMAIL, "invalid email")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        errors["password"] = FieldError(ErrorCode.TOO_SHORT, f"at least {MIN_PASSWORD_LENGTH} characters",
                                        min=MIN_PASSWORD_LENGTH)
    if role not in ROLES:
        errors["role"] = FieldError(ErrorCode.ONE_OF, f"one of {', '.join(ROLES)}", choices=list(ROLES))
    if role in ("staff", "viewer") and business_id is None:
        errors["business_id"] = FieldError(ErrorCode.BUSINESS_REQUIRED, "staff and viewers belong to a business")
    if errors:
        raise ValidationFailed(errors)
    if business_id is not None and db.session.get(Business, business_id) is None:
        raise NotFound("business not found", code=ErrorCode.BUSINESS_NOT_FOUND)
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise Conflict("email exists", code=ErrorCode.EMAIL_EXISTS)
    user = User(email=email, password_hash=hash_password(password), role=role,
                business_id=business_id, name=name)
    db.session.add(user)
    db.session.commit()
    return user


# ---- management by admins (API) ---------------------------------------------------------
# The platform admin manages every user; a business admin manages its own business's
# users only. A user outside the actor's reach answers NotFound, like a missing one.

def _target_business_id(actor, requested: int | None) -> int | None:
    if actor.is_platform_admin:
        if requested is not None:
            business = db.session.get(Business, requested)
            if business is None or business.deleted_at is not None:
                raise NotFound("business not found", code=ErrorCode.BUSINESS_NOT_FOUND)
        return requested
    if requested is not None and requested != actor.business_id:
        raise NotFound("business not found", code=ErrorCode.BUSINESS_NOT_FOUND)
    return actor.business_id


def list_users(actor, business_id: int | None = None) -> list[User]:
    query = select(User)
    scope = _target_business_id(actor, business_id)
    if scope is not None:
        query = query.where(User.business_id == scope)
    return list(db.session.scalars(query.order_by(User.created_at.desc(), User.id.desc())))


def get_user(actor, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or (not actor.is_platform_admin and user.business_id != actor.business_id):
        raise NotFound("user not found", code=ErrorCode.USER_NOT_FOUND)
    return user


def create_user_as(actor, data: dict) -> User:
    """An admin creates a user. A business admin's users always join its own business."""
    from server.services import audit
    business_id = _target_business_id(actor, data.get("business_id"))
    user = create_user(data.get("email") or "", data.get("password") or "", data.get("role") or "",
                       business_id=business_id, name=_clean_user_name(data.get("name")))
    audit.record("create", "user", user.id, business_id=user.business_id, details={"role": user.role})
    db.session.commit()
    return user


def _clean_user_name(raw) -> str | None:
    name = (raw or "").strip() if isinstance(raw, str) else None
    if name and len(name) > 160:
        raise ValidationFailed({"name": FieldError(ErrorCode.TOO_LONG, "at most 160 characters", max=160)})
    return name or None


def update_user(actor, user_id: int, data: dict) -> User:
    """Only the given keys change: name, role, business_id (platform admin), password."""
    user = get_user(actor, user_id)
    if user.id == actor.id and (data.get("role", user.role) != user.role
                                or data.get("business_id", user.business_id) != user.business_id):
        raise Conflict("cannot change your own role", code=ErrorCode.CANNOT_CHANGE_OWN_ROLE)
    errors: dict[str, str] = {}
    role = data.get("role", user.role)
    if role not in ROLES:
        errors["role"] = FieldError(ErrorCode.ONE_OF, f"one of {', '.join(ROLES)}", choices=list(ROLES))
    business_id = user.business_id
    if "business_id" in data:
        business_id = _target_business_id(actor, data["business_id"])
        if not actor.is_platform_admin:
            business_id = actor.business_id
    if role in ("staff", "viewer") and business_id is None:
        errors["business_id"] = FieldError(ErrorCode.BUSINESS_REQUIRED, "staff and viewers belong to a business")
    password = data.get("password")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = FieldError(ErrorCode.TOO_SHORT, f"at least {MIN_PASSWORD_LENGTH} characters",
                                        min=MIN_PASSWORD_LENGTH)
    if errors:
        raise ValidationFailed(errors)
    from server.services import audit
    if role != user.role or business_id != user.business_id:
        audit.record("role_change", "user", user.id, business_id=business_id,
                     details={"from": {"role": user.role, "business_id": user.business_id},
                              "to": {"role": role, "business_id": business_id}})
    other_fields = sorted(k for k in data if k in ("name", "password"))
    if other_fields:
        audit.record("update", "user", user.id, business_id=business_id, details={"fields": other_fields})
    # A new password, role or business ends every session of the user: a session opened
    # with the old password, or for the old role or business, must not go on acting.
    revoke = password is not None or role != user.role or business_id != user.business_id
    if "name" in data:
        user.name = _clean_user_name(data["name"])
    user.role = role
    user.business_id = business_id
    if password is not None:
        user.password_hash = hash_password(password)
    if revoke:
        end_sessions(user)
    db.session.commit()
    if revoke:
        sessions_ended(user.id)
    return user


def set_user_active(actor, user_id: int, active: bool) -> User:
    """A deactivated user cannot log in, and an open session of theirs is refused at once."""
    user = get_user(actor, user_id)
    if user.id == actor.id and not active:
        raise Conflict("cannot deactivate yourself", code=ErrorCode.CANNOT_DEACTIVATE_SELF)
    from server.services import audit
    revoke = user.active and not active
    user.active = active
    audit.record("reactivate" if active else "deactivate", "user", user.id, business_id=user.business_id)
    if revoke:
        # A later reactivation must not bring the sessions open before it back to life.
        end_sessions(user)
    db.session.commit()
    if revoke:
        sessions_ended(user.id)
    return user
