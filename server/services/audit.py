"""The audit log: who did what to which record, when and from where.

`record(...)` adds an AuditEntry to the current db.session and does not commit, so the
entry commits (or rolls back) together with the change it describes: a failed change
leaves no entry, an applied one always has its entry.

Services never read the request; the web layer sets a request-scoped `AuditContext`
(actor and client IP) in a ContextVar before each request (routes/audit.py), and
background jobs run with no context (the actor is then the system) or with
`acting_as(...)` when they act for a user.

Details name what changed (field names, counts, reasons), never personal data values.
"""
from __future__ import annotations

import contextlib
import contextvars
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import event, func, select

from server.error_codes import ErrorCode
from server.errors import FieldError, ValidationFailed
from server.extensions import db
from server.models import AuditEntry
from server.tenancy import BusinessScope, scope_filter

# Actions the application writes. A plain vocabulary the UI and filters can rely on.
ACTIONS = (
    "login", "login_failed", "logout",
    "create", "update", "delete",
    "role_change", "deactivate", "reactivate",
    "import", "export", "export_download", "erase", "retention_purge",
)


@dataclass
class Actor:
    user_id: int | None = None
    email: str | None = None
    role: str | None = None
    business_id: int | None = None

    @classmethod
    def of(cls, user) -> "Actor":
        return cls(user_id=user.id, email=user.email, role=user.role, business_id=user.business_id)


@dataclass
class AuditContext:
    """Who is acting and from where, for the duration of one request (or job)."""

    ip: str | None = None
    # Resolved only when something is audited, so unaudited requests cost no query.
    load_actor: Callable[[], Any] | None = None
    _actor: Actor | None = field(default=None, repr=False)
    _resolved: bool = field(default=False, repr=False)

    def actor(self) -> Actor | None:
        if not self._resolved:
            self._resolved = True
            user = self.load_actor() if self.load_actor else None
            if isinstance(user, Actor):
                self._actor = user
            elif user is not None:
                self._actor = Actor.of(user)
        return self._actor


_current: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar("kesher_audit_context", default=None)


def set_context(context: AuditContext | None) -> contextvars.Token:
    return _current.set(context)


def reset_context(token: contextvars.Token) -> None:
    _current.reset(token)


def current_context() -> AuditContext | None:
    return _current.get()


@contextlib.contextmanager
def acting_as(user=None, ip: str | None = None):
    """Audit everything inside as done by `user` (a User, an Actor, or None for the system)."""
    actor = user if isinstance(user, Actor) or user is None else Actor.of(user)
    token = set_context(AuditContext(ip=ip, load_actor=lambda: actor))
    try:
        yield
    finally:
        reset_context(token)


def _check_details(details: dict | None) -> dict:
    details = dict(details or {})
    try:
        json.dumps(details)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"audit details must be JSON: {exc}") from None
    return details


def record(action: str, entity_type: str | None = None, entity_id: int | None = None,
           business_id: int | None = None, details: dict | None = None, *, actor=None) -> AuditEntry:
    """Add one audit entry to the session (the caller's commit writes it).

    `business_id` defaults to the actor's business. `actor` (a User or Actor) overrides
    the context's actor, e.g. at login, before the session knows the user.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    context = current_context()
    if actor is not None and not isinstance(actor, Actor):
        actor = Actor.of(actor)
    if actor is None and context is not None:
        actor = context.actor()
    if business_id is None and actor is not None:
        business_id = actor.business_id
    entry = AuditEntry(
        business_id=business_id,
        actor_user_id=actor.user_id if actor else None,
        actor_email=actor.email if actor else None,
        actor_role=(actor.role if actor else "system"),
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        details=_check_details(details),
        ip=context.ip if context else None,
    )
    db.session.add(entry)
    return entry


def changed_fields(before: dict, after: dict) -> list[str]:
    """Names of the keys whose values differ: what an update entry says, without the values."""
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


# ---- append-only ------------------------------------------------------------------------

@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper, connection, target):
    raise RuntimeError("audit entries are append-only")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise RuntimeError("audit entries are append-only")


# ---- reading ----------------------------------------------------------------------------

MAX_LIMIT = 100


def list_entries(*, business_id: BusinessScope, page: int = 1, limit: int = 50, action: list[str] | None = None,
                 entity_type: str | None = None, entity_id: int | None = None, actor_user_id: int | None = None,
                 actor_email: str | None = None, since: datetime | None = None,
                 until: datetime | None = None) -> dict:
    """A page of entries, newest first, of every business under ALL_BUSINESSES (platform admin)."""
    if since is not None and until is not None and since > until:
        raise ValidationFailed({"since": FieldError(ErrorCode.SINCE_AFTER_UNTIL, "must not be after until")})
    query = select(AuditEntry).where(scope_filter(AuditEntry.business_id, business_id))
    if action:
        query = query.where(AuditEntry.action.in_(action))
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    if actor_user_id is not None:
        query = query.where(AuditEntry.actor_user_id == actor_user_id)
    if actor_email:
        query = query.where(func.lower(AuditEntry.actor_email) == actor_email.strip().lower())
    if since is not None:
        query = query.where(AuditEntry.created_at >= since)
    if until is not None:
        query = query.where(AuditEntry.created_at <= until)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
                              .offset((page - 1) * limit).limit(limit)).all()
    return {"page": page, "limit": limit, "total": total, "items": [row.to_dict() for row in rows]}
