"""GET /api/audit (read-only: no route creates, changes or deletes an entry), and the
before-request hook that tells the audit service who is acting and from which IP."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, Field, field_validator

from server.authz import current_user, roles_required, scoped_business_id
from server.error_codes import ErrorCode
from server.errors import FieldError
from server.schemas.fields import BusinessIdParam
from server.services import audit as audit_service
from server.validation import validate

audit_bp = Blueprint("audit", __name__, url_prefix="/api/audit")

_TOKEN_KEY = "kesher.audit_token"


@audit_bp.before_app_request
def _open_audit_context():
    # The IP is the client's: ProxyFix has already rewritten remote_addr when
    # TRUSTED_PROXIES is set. The actor is loaded only if something is audited.
    context = audit_service.AuditContext(ip=request.remote_addr, load_actor=current_user)
    request.environ[_TOKEN_KEY] = audit_service.set_context(context)


@audit_bp.teardown_app_request
def _close_audit_context(exc):
    token = request.environ.pop(_TOKEN_KEY, None)
    if token is not None:
        try:
            audit_service.reset_context(token)
        except ValueError:  # created in another context (should not happen); drop it
            audit_service.set_context(None)


def _parse_when(value, end_of_day: bool):
    """ISO date or datetime; a bare date covers that whole day; naive times are UTC."""
    if value in (None, ""):
        return None
    try:
        if isinstance(value, str) and len(value) == 10:
            day = date.fromisoformat(value)
            start = datetime.combine(day, time.min, tzinfo=timezone.utc)
            return start + timedelta(days=1) - timedelta(microseconds=1) if end_of_day else start
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        else:
            parsed = value
        # Normalised to UTC here, so a time the database cannot hold (before year 1 or after
        # 9999 once the offset is applied) is a field error rather than a failure in the query.
        return parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    except OverflowError:
        raise ValueError(FieldError(ErrorCode.DATE_OUT_OF_RANGE, "date out of range")) from None


class AuditQuery(BaseModel):
    page: int = Field(1, ge=1)
    limit: int = Field(50, ge=1, le=audit_service.MAX_LIMIT)
    business_id: BusinessIdParam = Field(None, description="platform admin: one business (default: all)")
    action: str | None = Field(None, description="one action or several, comma-separated")
    entity_type: str | None = Field(None, max_length=32)
    entity_id: int | None = None
    actor_user_id: int | None = None
    actor_email: str | None = Field(None, max_length=254)
    since: datetime | None = Field(None, description="ISO date or datetime (UTC when no offset)")
    until: datetime | None = Field(None, description="ISO date (inclusive) or datetime")

    @field_validator("since", mode="before")
    @classmethod
    def _since(cls, value):
        return _parse_when(value, end_of_day=False)

    @field_validator("until", mode="before")
    @classmethod
    def _until(cls, value):
        return _parse_when(value, end_of_day=True)

    @field_validator("action")
    @classmethod
    def _actions(cls, value):
        if value is None:
            return None
        unknown = [a for a in value.split(",") if a.strip() not in audit_service.ACTIONS]
        if unknown:
            raise ValueError(FieldError(ErrorCode.UNKNOWN_ACTIONS, f"unknown action: {', '.join(unknown)}", actions=unknown))
        return value


class AuditActor(BaseModel):
    id: int | None
    email: str | None
    role: str | None


class AuditItem(BaseModel):
    id: int
    business_id: int | None
    actor: AuditActor
    action: str
    entity_type: str | None
    entity_id: int | None
    details: dict
    ip: str | None
    created_at: str


class AuditPage(BaseModel):
    page: int
    limit: int
    total: int
    items: list[AuditItem]


@audit_bp.get("")
@roles_required("admin")
@validate(query=AuditQuery, response=AuditPage, tags=["audit"])
def list_audit(query: AuditQuery):
    """The audit log, newest first: a business admin sees their business, the platform admin every one."""
    business_id = scoped_business_id(query.business_id, required=False)
    page = audit_service.list_entries(
        business_id=business_id, page=query.page, limit=query.limit,
        action=[a.strip() for a in query.action.split(",")] if query.action else None,
        entity_type=query.entity_type, entity_id=query.entity_id, actor_user_id=query.actor_user_id,
        actor_email=query.actor_email, since=query.since, until=query.until)
    return jsonify(page), 200
