from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.base import TimestampMixin, UTCDateTime
from server.schemas.users import ROLES, User as UserOut  # noqa: F401  (ROLES: the roles, defined with the user's fields)



class User(TimestampMixin, db.Model):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint("role in ('admin', 'staff', 'viewer')", name="role_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    # Null only for a platform admin, who works across every business.
    business_id: Mapped[int | None] = mapped_column(ForeignKey("business.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    name: Mapped[str | None] = mapped_column(String(160))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Stamped into the session cookie at login and compared on every request: raising it
    # (logout, password, role, business or active change) ends every session of the user.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)

    business = relationship("Business", lazy="joined")

    @property
    def is_platform_admin(self) -> bool:
        return self.role == "admin" and self.business_id is None

    def session_payload(self) -> dict:
        return {"id": self.id, "email": self.email, "role": self.role, "business_id": self.business_id}

    def session_claims(self) -> dict:
        """What the session cookie holds: the payload plus the version it was issued for."""
        return {**self.session_payload(), "session_version": self.session_version}

    def to_dict(self) -> dict:
        return UserOut.dump(self)
