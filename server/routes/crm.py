"""CRM customers (seed section 3): the paged, searchable list, CRUD, CSV import and export."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, jsonify, request, stream_with_context
from pydantic import BaseModel

from server.authz import auth_required, roles_required, scoped_business_id
from server.errors import ValidationFailed
from server.services import customers as service
from server.validation import validate

crm_bp = Blueprint("crm", __name__, url_prefix="/api/crm")

WRITERS = ("admin", "staff")


class CustomerBody(BaseModel):
    """Types only; names, phones and emails are checked by the service (422 per field)."""
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    notes: str | None = None
    business_id: int | None = None


def _business_arg(required: bool) -> int | None:
    raw = request.args.get("business_id")
    if raw in (None, ""):
        return scoped_business_id(None, required=required)
    try:
        return scoped_business_id(int(raw), required=required)
    except ValueError:
        raise ValidationFailed({"business_id": "must be a whole number"}) from None


@crm_bp.get("/customers")
@auth_required
def list_customers():
    """Customers newest first: ?page=&limit=&q= (name, phone in any Israeli format, email)."""
    page, limit = service.parse_paging(request.args.get("page"), request.args.get("limit"))
    result = service.list_customers(_business_arg(required=False), page, limit, request.args.get("q"))
    response = jsonify(result.to_dict())
    response.headers["X-Total-Exact"] = "true" if result.total_exact else "false"
    return response, 200


@crm_bp.post("/customers")
@roles_required(*WRITERS)
@validate(body=CustomerBody, status=201)
def create_customer(body: CustomerBody):
    """Create a customer (a platform admin names the business with business_id)."""
    business_id = scoped_business_id(body.business_id)
    data = {key: getattr(body, key) for key in body.model_fields_set if key != "business_id"}
    return jsonify(service.create_customer(business_id, data).to_dict()), 201


@crm_bp.get("/customers/<int:cid>")
@auth_required
def get_customer(cid: int):
    """One customer of your business."""
    return jsonify(service.get_customer(scoped_business_id(None, required=False), cid).to_dict()), 200


@crm_bp.put("/customers/<int:cid>")
@roles_required(*WRITERS)
@validate(body=CustomerBody)
def update_customer(cid: int, body: CustomerBody):
    """Update the given fields of a customer."""
    data = {key: getattr(body, key) for key in body.model_fields_set if key != "business_id"}
    customer = service.update_customer(scoped_business_id(None, required=False), cid, data)
    return jsonify(customer.to_dict()), 200


@crm_bp.delete("/customers/<int:cid>")
@roles_required(*WRITERS)
def delete_customer(cid: int):
    """Delete a customer that has no calls, messages, tasks, invoices or contracts."""
    service.delete_customer(scoped_business_id(None, required=False), cid)
    return jsonify({"ok": True}), 200


@crm_bp.post("/customers/import")
@roles_required(*WRITERS)
def import_customers():
    """CSV import (multipart `file` or a text/csv body): all rows or none, with a per-row report."""
    upload = request.files.get("file")
    raw = upload.read() if upload is not None else request.get_data()
    result = service.import_customers_csv(_business_arg(required=True), raw,
                                          on_duplicate=request.args.get("on_duplicate", "reject"))
    return jsonify(result), 201


@crm_bp.get("/customers/export")
@auth_required
def export_customers():
    """The current search (?q=) as a CSV file that Excel opens with the Hebrew intact."""
    rows = service.export_customers_csv(_business_arg(required=False), request.args.get("q"))
    response = Response(stream_with_context(rows), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        "attachment; filename=\"customers.csv\"; filename*=UTF-8''" + quote("לקוחות.csv"))
    return response
