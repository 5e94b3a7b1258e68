"""CRM customers (seed section 3): the paged, searchable list, CRUD, CSV import and export."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, jsonify, request, stream_with_context
from pydantic import BaseModel

from server.authz import auth_required, roles_required, scoped_business_id
from server.error_codes import ErrorCode
from server.errors import FieldError, ValidationFailed
from server.schemas.common import Ok, binary
from server.schemas.customers import Customer, CustomerPage, ImportResult
from server.services import customers as service
from server.validation import ArgsQuery, raw_param, validate

crm_bp = Blueprint("crm", __name__, url_prefix="/api/crm")

WRITERS = ("admin", "staff")


class CustomerBody(BaseModel):
    """Types only; names, phones and emails are checked by the service (422 per field)."""
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    notes: str | None = None
    id_last4: str | None = None
    business_id: int | None = None


# The parameters stay text here: the service gives the seed's 400 "invalid paging" and
# these routes their own 422 for a business_id that is not a whole number.
_BusinessParam = raw_param({"type": "integer", "description": "a platform admin's choice of business"})


class ListQuery(ArgsQuery):
    page: raw_param({"type": "integer", "minimum": 1, "default": 1}) = None
    limit: raw_param({"type": "integer", "minimum": 1, "maximum": service.MAX_LIMIT,
                      "default": service.DEFAULT_LIMIT, "description": "clamped to 1..100"}) = None
    q: raw_param({"type": "string", "description": "name, phone in any Israeli format, or email"}) = None
    business_id: _BusinessParam = None


class ExportQuery(ArgsQuery):
    q: raw_param({"type": "string", "description": "the list's search"}) = None
    business_id: _BusinessParam = None


class ImportQuery(ArgsQuery):
    on_duplicate: raw_param({"type": "string", "enum": ["reject", "skip"], "default": "reject"}) = None
    business_id: _BusinessParam = None


def _business_arg(raw: str | None, required: bool) -> int | None:
    if raw in (None, ""):
        return scoped_business_id(None, required=required)
    try:
        return scoped_business_id(int(raw), required=required)
    except ValueError:
        raise ValidationFailed({"business_id": FieldError(ErrorCode.NOT_INTEGER, "must be a whole number")}) from None


@crm_bp.get("/customers")
@auth_required
@validate(query=ListQuery, response=CustomerPage, tags=["crm"])
def list_customers(query: ListQuery):
    """Customers newest first: ?page=&limit=&q= (name, phone in any Israeli format, email)."""
    page, limit = service.parse_paging(query.page, query.limit)
    result = service.list_customers(_business_arg(query.business_id, required=False), page, limit, query.q)
    response = jsonify(result.to_dict())
    response.headers["X-Total-Exact"] = "true" if result.total_exact else "false"
    return response, 200


@crm_bp.post("/customers")
@roles_required(*WRITERS)
@validate(body=CustomerBody, response=Customer, status=201, tags=["crm"])
def create_customer(body: CustomerBody):
    """Create a customer (a platform admin names the business with business_id)."""
    business_id = scoped_business_id(body.business_id)
    data = {key: getattr(body, key) for key in body.model_fields_set if key != "business_id"}
    return jsonify(service.create_customer(business_id, data).to_dict()), 201


@crm_bp.get("/customers/<int:cid>")
@auth_required
@validate(response=Customer, tags=["crm"])
def get_customer(cid: int):
    """One customer of your business."""
    return jsonify(service.get_customer(scoped_business_id(None, required=False), cid).to_dict()), 200


@crm_bp.put("/customers/<int:cid>")
@roles_required(*WRITERS)
@validate(body=CustomerBody, response=Customer, tags=["crm"])
def update_customer(cid: int, body: CustomerBody):
    """Update the given fields of a customer."""
    data = {key: getattr(body, key) for key in body.model_fields_set if key != "business_id"}
    customer = service.update_customer(scoped_business_id(None, required=False), cid, data)
    return jsonify(customer.to_dict()), 200


@crm_bp.delete("/customers/<int:cid>")
@roles_required(*WRITERS)
@validate(response=Ok, tags=["crm"])
def delete_customer(cid: int):
    """Delete a customer that has no calls, messages, tasks, invoices or contracts."""
    service.delete_customer(scoped_business_id(None, required=False), cid)
    return jsonify({"ok": True}), 200


@crm_bp.post("/customers/import")
@roles_required(*WRITERS)
@validate(query=ImportQuery, response=ImportResult, status=201, tags=["crm"])
def import_customers(query: ImportQuery):
    """CSV import (multipart `file` or a text/csv body): all rows or none, with a per-row report."""
    upload = request.files.get("file")
    raw = upload.read() if upload is not None else request.get_data()
    result = service.import_customers_csv(_business_arg(query.business_id, required=True), raw,
                                          on_duplicate=query.on_duplicate if query.on_duplicate is not None else "reject")
    return jsonify(result), 201


@crm_bp.get("/customers/export")
@auth_required
@validate(query=ExportQuery, files=binary("text/csv"), tags=["crm"])
def export_customers(query: ExportQuery):
    """The current search (?q=) as a CSV file that Excel opens with the Hebrew intact."""
    rows = service.export_customers_csv(_business_arg(query.business_id, required=False), query.q)
    response = Response(stream_with_context(rows), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        "attachment; filename=\"customers.csv\"; filename*=UTF-8''" + quote("לקוחות.csv"))
    return response
