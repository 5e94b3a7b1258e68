"""Passwords (Argon2id) and login."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select, update

from server.error_codes import ErrorCode
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
        _refuse(Unauthorized("invalid credentials", code=ErrorCode.INVALID_CREDENTIALS), email, "unknown email")
    password_ok = verify_password(user.password_hash, password)
    if not password_ok or not user.active:
        _refuse(Unauthorized("invalid credentials", code=ErrorCode.INVALID_CREDENTIALS), email,
                "user inactive" if password_ok else "wrong password", user)
    if user.business is not None and (not user.business.active or user.business.deleted_at is not None):
        _refuse(Forbidden("business inactive", code=ErrorCode.BUSINESS_INACTIVE), email, "business inactive", user)
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
    """End every session of the user, not only this browser's cookie: a copy of it (stolen,
    or left in another tab) must not outlive the logout."""
    if user is None:
        return
    end_sessions(user)
    audit.record("logout", "user", user.id, business_id=user.business_id, actor=user)
    db.session.commit()
    sessions_ended(user.id)


def end_sessions(user: User) -> None:
    """Invalidate every session cookie issued to user so far (authz.session_user compares
    the version). Part of the caller's transaction: call sessions_ended after its commit.

    An atomic UPDATE, so two revocations at once both count (no read-modify-write).
    """
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1)
                       .execution_options(synchronize_session="fetch"))


def sessions_ended(user_id: int) -> None:
    """After the commit that ended user_id's sessions: close their open sockets too, in
    every web process. Only after the commit, so a socket that reconnects at once is
    checked against the new version."""
    from server.services import realtime
    realtime.end_user_sockets(user_id)
