from __future__ import annotations

from flask import Blueprint, jsonify
from pydantic import BaseModel, Field

from server.authz import auth_required, scoped_business_id
from server.schemas.dashboard import Dashboard
from server.schemas.fields import BusinessIdParam
from server.services import dashboard as dashboard_service
from server.validation import validate

dashboard_bp = Blueprint("dashboard", __name__, url_prefix="/api/dashboard")


class DashboardQuery(BaseModel):
    business_id: BusinessIdParam = None
    days: int = Field(default=14, ge=1, le=dashboard_service.MAX_DAYS)


@dashboard_bp.get("")
@auth_required
@validate(query=DashboardQuery, response=Dashboard)
def get_dashboard(query: DashboardQuery):
    """Today's calls, messages, open tasks and appointments, the no-show rate (30 days), and
    calls/messages per Israeli day.

    A platform admin without business_id sees every business together."""
    business_id = scoped_business_id(query.business_id, required=False)
    return jsonify(dashboard_service.dashboard(business_id, days=query.days)), 200
