"""Users: creation (CLI and API) with validated role and business."""
from __future__ import annotations

from sqlalchemy import func, select

from server.error_codes import ErrorCode
from server.errors import Conflict, FieldError, NotFound, ValidationFailed
from server.extensions import db
from server.models import Business, User
from server.schemas.users import NewUser, UserChanges
from server.services.auth import end_sessions, hash_password, sessions_ended


def create_user(new: NewUser, business_id: int | None = None) -> User:
    """A user from validated fields (schemas.users.NewUser); `business_id` is the one the
    actor may give (the body's own is read by create_user_as)."""
    if new.role in ("staff", "viewer") and business_id is None:
        raise ValidationFailed({"business_id": FieldError(ErrorCode.BUSINESS_REQUIRED,
                                                         "staff and viewers belong to a business")})
    if business_id is not None and db.session.get(Business, business_id) is None:
        raise NotFound("business not found", code=ErrorCode.BUSINESS_NOT_FOUND)
    if db.session.scalar(select(User.id).where(func.lower(User.email) == new.email)):
        raise Conflict("email exists", code=ErrorCode.EMAIL_EXISTS)
    user = User(email=new.email, password_hash=hash_password(new.password), role=new.role,
                business_id=business_id, name=new.name)
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


def create_user_as(actor, new: NewUser) -> User:
    """An admin creates a user. A business admin's users always join its own business."""
    from server.services import audit
    business_id = _target_business_id(actor, new.business_id)
    user = create_user(new, business_id=business_id)
    audit.record("create", "user", user.id, business_id=user.business_id, details={"role": user.role})
    db.session.commit()
    return user


def update_user(actor, user_id: int, changes: UserChanges) -> User:
    """Only the given keys change: name, role, business_id (platform admin), password."""
    user = get_user(actor, user_id)
    sent = changes.model_fields_set
    role = changes.role if "role" in sent else user.role
    requested_business = changes.business_id if "business_id" in sent else user.business_id
    if user.id == actor.id and (role != user.role or requested_business != user.business_id):
        raise Conflict("cannot change your own role", code=ErrorCode.CANNOT_CHANGE_OWN_ROLE)
    business_id = user.business_id
    if "business_id" in sent:
        business_id = _target_business_id(actor, changes.business_id)
        if not actor.is_platform_admin:
            business_id = actor.business_id
    if role in ("staff", "viewer") and business_id is None:
        raise ValidationFailed({"business_id": FieldError(ErrorCode.BUSINESS_REQUIRED,
                                                         "staff and viewers belong to a business")})
    password = changes.password if "password" in sent else None
    from server.services import audit
    if role != user.role or business_id != user.business_id:
        audit.record("role_change", "user", user.id, business_id=business_id,
                     details={"from": {"role": user.role, "business_id": user.business_id},
                              "to": {"role": role, "business_id": business_id}})
    other_fields = sorted(k for k in sent if k in ("name", "password"))
    if other_fields:
        audit.record("update", "user", user.id, business_id=business_id, details={"fields": other_fields})
    # A new password, role or business ends every session of the user: a session opened
    # with the old password, or for the old role or business, must not go on acting.
    revoke = password is not None or role != user.role or business_id != user.business_id
    if "name" in sent:
        user.name = changes.name
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
