from __future__ import annotations

import secrets

from flask import Blueprint, jsonify, request, session
from pydantic import BaseModel, Field

from server.authz import auth_required, current_user, start_session
from server.config import current
from server.extensions import limiter
from server.rate_limits import refund_when
from server.schemas.common import Ok
from server.services import auth as auth_service
from server.validation import validate

auth_bp = Blueprint("auth", __name__, url_prefix="/api/auth")


class LoginBody(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class SessionUser(BaseModel):
    id: int
    email: str
    role: str
    business_id: int | None


class CurrentUser(SessionUser):
    name: str | None
    business_name: str | None


class LoginResponse(BaseModel):
    user: SessionUser
    csrf_token: str


class CsrfToken(BaseModel):
    csrf_token: str


def _login_email_key() -> str:
    data = request.get_json(silent=True) or {}
    email = data.get("email") if isinstance(data, dict) else None
    return f"email:{str(email or '').strip().lower()}"


def _not_a_failed_login(response) -> bool:
    """Only refused credentials count against the limit; a success or a malformed body does not."""
    return response.status_code not in (401, 403)


def _login_limit() -> str:
    return current().web.login_rate_limit


# Each attempt reserves its slot atomically before the password is checked (server/rate_limits.py):
# N concurrent wrong passwords cannot all slip under the limit.
@auth_bp.post("/login")
@limiter.limit(_login_limit)                                # per IP
@limiter.limit(_login_limit, key_func=_login_email_key)     # per email
@refund_when(_not_a_failed_login)
@validate(body=LoginBody, response=LoginResponse)
def login(body: LoginBody):
    """Log in with email and password; renews the session and returns the CSRF token."""
    user = auth_service.authenticate(body.email, body.password)
    csrf_token = start_session(user)
    return jsonify({"user": user.session_payload(), "csrf_token": csrf_token}), 200


@auth_bp.post("/logout")
@validate(response=Ok)
def logout():
    """End the session, and every other session of the same user."""
    auth_service.logout(current_user())
    session.clear()
    return jsonify({"ok": True}), 200


@auth_bp.get("/me")
@auth_required
@validate(response=CurrentUser)
def me():
    """The logged-in user."""
    user = current_user()
    data = user.session_payload()
    data["business_name"] = user.business.name if user.business else None
    data["name"] = user.name
    return jsonify(data), 200


@auth_bp.get("/csrf")
@validate(response=CsrfToken)
def csrf():
    """The session's CSRF token (created on first ask) for the X-CSRF-Token header."""
    if not session.get("csrf"):
        session["csrf"] = secrets.token_urlsafe(32)
    return jsonify({"csrf_token": session["csrf"]}), 200
