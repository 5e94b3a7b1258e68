"""Authentication and authorization decorators, and per-business scoping.

The session holds {"user": {id, email, role, business_id, session_version}, "csrf": token}.
Each request re-reads the user so a deactivated user or business is refused at once, not at
the next login, and compares the cookie's session_version with the user's: logout, a
password, role or business change and deactivation raise it (services/auth.py
end_sessions), which ends every cookie issued before, copies included.
"""
from __future__ import annotations

import hmac
import secrets
from functools import wraps

from flask import jsonify, request, session

from server.error_codes import ErrorCode
from server.errors import Forbidden, NotFound
from server.tenancy import ALL_BUSINESSES, BusinessScope

CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_EXEMPT_PATHS = {"/api/auth/login"}
_USER_KEY = "kesher.current_user"


def _load_current_user():
    """The active User for this session, or None. Cached for the request.

    Cached in the WSGI environ, not on g: an app context (and its g) can outlive one
    request, as it does in tests.
    """
    if _USER_KEY in request.environ:
        return request.environ[_USER_KEY]
    payload = session.get("user")
    user = session_user(payload)
    if payload and user is None:
        session.clear()
    request.environ[_USER_KEY] = user
    return user


def session_user(payload):
    """The active User a session payload still speaks for, or None.

    One check for HTTP requests and Socket.IO connections. The version comparison costs
    nothing beyond the User row every request loads anyway (bench/session_check.py).
    """
    from server.extensions import db
    from server.models import User

    if not isinstance(payload, dict) or not isinstance(payload.get("id"), int):
        return None
    user = db.session.get(User, payload["id"])
    if user is None or not user.active or payload.get("session_version") != user.session_version:
        return None
    return user


def start_session(user) -> str:
    """Log this browser in as user with a fresh session; returns its CSRF token."""
    session.clear()  # a fresh session at login: no fixation of a pre-login cookie
    session.permanent = True
    session["user"] = user.session_claims()
    session["csrf"] = secrets.token_urlsafe(32)
    request.environ.pop(_USER_KEY, None)
    return session["csrf"]


def renew_own_session(user) -> None:
    """After a change that ended user's sessions: keep this browser's, when it is user's own.

    An admin who changes their own password stays logged in here; every other session of
    theirs (a copied cookie, another browser) has ended.
    """
    payload = session.get("user")
    if isinstance(payload, dict) and payload.get("id") == user.id and user.active:
        session["user"] = user.session_claims()


def current_user():
    return _load_current_user()


def _refusal():
    """401/403 response when the session cannot act, else None."""
    user = _load_current_user()
    if user is None:
        return jsonify({"error": "unauthorized", "code": ErrorCode.UNAUTHORIZED}), 401
    if user.business is not None and (not user.business.active or user.business.deleted_at is not None):
        return jsonify({"error": "business inactive", "code": ErrorCode.BUSINESS_INACTIVE}), 403
    return None


def auth_required(fn):
    @wraps(fn)
    def wrapper(*args, **kwargs):
        refusal = _refusal()
        if refusal:
            return refusal
        return fn(*args, **kwargs)
    return wrapper


def roles_required(*roles):
    def deco(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            refusal = _refusal()
            if refusal:
                return refusal
            if current_user().role not in roles:
                return jsonify({"error": "forbidden", "code": ErrorCode.FORBIDDEN}), 403
            return fn(*args, **kwargs)
        return wrapper
    return deco


def platform_admin_required(fn):
    """Admin with no business: runs the platform (creates and removes businesses)."""
    @wraps(fn)
    def wrapper(*args, **kwargs):
        refusal = _refusal()
        if refusal:
            return refusal
        if not current_user().is_platform_admin:
            return jsonify({"error": "forbidden", "code": ErrorCode.FORBIDDEN}), 403
        return fn(*args, **kwargs)
    return wrapper


def scoped_business_id(requested: int | None = None, *, required: bool = True) -> BusinessScope:
    """The business this request may act on.

    Staff, viewers and business admins are pinned to their own business; asking for
    another one answers 404 so ids of other tenants reveal nothing. A platform admin
    chooses with `business_id`; when `required` and none is chosen, that is a 422, and
    otherwise the scope is ALL_BUSINESSES — the only place that value is made.
    """
    user = _load_current_user()
    if user is None:
        raise Forbidden("unauthorized", code=ErrorCode.UNAUTHORIZED)
    if user.business_id is not None:
        if requested is not None and requested != user.business_id:
            raise NotFound()
        return user.business_id
    if requested is None and required:
        from server.errors import FieldError, ValidationFailed
        raise ValidationFailed({"business_id": FieldError(ErrorCode.BUSINESS_ID_REQUIRED,
                                                         "business_id required for a platform admin")})
    return ALL_BUSINESSES if requested is None else requested


def check_csrf():
    """before_request hook: unsafe /api/* calls of a logged-in session need the token."""
    if request.method not in UNSAFE_METHODS or not request.path.startswith("/api/"):
        return None
    if request.path in CSRF_EXEMPT_PATHS or not session.get("user"):
        return None  # nothing to forge without a session; the route answers 401 itself
    expected = session.get("csrf") or ""
    given = request.headers.get(CSRF_HEADER, "")
    if not expected or not hmac.compare_digest(expected, given):
        return jsonify({"error": "csrf", "code": ErrorCode.CSRF}), 403
    return None
