"""Passwords (Argon2id) and login."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select

from server.errors import Forbidden, Unauthorized
from server.extensions import db
from server.models import User
from server.models.base import utcnow
from server.services import audit

_hasher = PasswordHasher()  # argon2-cffi defaults are Argon2id with RFC 9106 parameters
# Verified against when the email is unknown, so timing does not reveal which emails exist.
_DUMMY_HASH = _hasher.hash("kesher-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(email: str, password: str) -> User:
    """The active user with these credentials; Unauthorized otherwise (one message for all)."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        verify_password(_DUMMY_HASH, password)
        _refuse(Unauthorized("invalid credentials"), email, "unknown email")
    password_ok = verify_password(user.password_hash, password)
    if not password_ok or not user.active:
        _refuse(Unauthorized("invalid credentials"), email, "user inactive" if password_ok else "wrong password", user)
    if user.business is not None and (not user.business.active or user.business.deleted_at is not None):
        _refuse(Forbidden("business inactive"), email, "business inactive", user)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    audit.record("login", "user", user.id, business_id=user.business_id, actor=user)
    db.session.commit()
    return user


def _refuse(error, email: str, reason: str, user: User | None = None):
    """Audit a failed login (the email tried and why, never the password), then refuse."""
    audit.record("login_failed", "user", user.id if user else None,
                 business_id=user.business_id if user else None, actor=audit.Actor(),
                 details={"email": email.strip().lower()[:254], "reason": reason})
    db.session.commit()
    raise error


def logout(user: User | None) -> None:
    """Audit the end of a session (the route clears the cookie)."""
    if user is None:
        return
    audit.record("logout", "user", user.id, business_id=user.business_id, actor=user)
    db.session.commit()
