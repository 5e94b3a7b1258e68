"""CRM customers (seed section 3): the paged, searchable list, CRUD, CSV import and export."""
from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, request, stream_with_context
from pydantic import BeforeValidator, Field, WithJsonSchema

from server.authz import auth_required, roles_required, scoped_business_id
from server.error_codes import ErrorCode
from server.errors import BadRequest, FieldError
from server.schemas.common import Ok, binary
from server.schemas.customers import Customer, CustomerChanges, CustomerPage, ImportResult, NewCustomer
from server.schemas.fields import BusinessIdParam
from server.services.customers import crud, csv_io, search
from server.validation import ArgsQuery, validate

crm_bp = Blueprint("crm", __name__, url_prefix="/api/crm")

WRITERS = ("admin", "staff")


class CustomerCreate(NewCustomer):
    business_id: BusinessIdParam = None


class CustomerUpdate(CustomerChanges):
    business_id: int | None = Field(None, description="ignored: a customer stays in its business")


def _seed_int(value: Any) -> int:
    """The seed's paging reads int() of the text (" 3 " is 3) and answers anything int()
    refuses with its 400 "invalid paging", not a field's 422: raised past pydantic, which
    collects only ValueErrors."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRequest("invalid paging", code=ErrorCode.INVALID_PAGING) from None


# Then clamped, never refused: page ≥ 1, limit 1..100.
Page = Annotated[int, BeforeValidator(lambda value: max(_seed_int(value), 1)),
                 WithJsonSchema({"type": "integer", "minimum": 1, "default": 1})]
Limit = Annotated[int, BeforeValidator(lambda value: min(max(_seed_int(value), 1), search.MAX_LIMIT)),
                  WithJsonSchema({"type": "integer", "minimum": 1, "maximum": search.MAX_LIMIT,
                                  "default": search.DEFAULT_LIMIT, "description": "clamped to 1..100"})]


# ArgsQuery: a repeated key gives its first value, as the seed read the query.
class ListQuery(ArgsQuery):
    page: Page = 1
    limit: Limit = search.DEFAULT_LIMIT
    q: str | None = Field(None, description="name, phone in any Israeli format, or email")
    business_id: BusinessIdParam = None


class ExportQuery(ArgsQuery):
    q: str | None = Field(None, description="the list's search")
    business_id: BusinessIdParam = None


def _on_duplicate(value: Any) -> Any:
    if value not in ("reject", "skip"):
        raise ValueError(FieldError(ErrorCode.REJECT_OR_SKIP, "reject or skip"))
    return value


class ImportQuery(ArgsQuery):
    on_duplicate: Annotated[Literal["reject", "skip"], BeforeValidator(_on_duplicate)] = "reject"
    business_id: BusinessIdParam = None


@crm_bp.get("/customers")
@auth_required
@validate(query=ListQuery, response=CustomerPage, tags=["crm"])
def list_customers(query: ListQuery):
    """Customers newest first: ?page=&limit=&q= (name, phone in any Israeli format, email)."""
    result = search.list_customers(scoped_business_id(query.business_id, required=False), query.page, query.limit,
                                   query.q)
    response = jsonify(result.to_dict())
    response.headers["X-Total-Exact"] = "true" if result.total_exact else "false"
    return response, 200


@crm_bp.post("/customers")
@roles_required(*WRITERS)
@validate(body=CustomerCreate, response=Customer, status=201, tags=["crm"])
def create_customer(body: CustomerCreate):
    """Create a customer (a platform admin names the business with business_id)."""
    return jsonify(crud.create_customer(scoped_business_id(body.business_id), body).to_dict()), 201


@crm_bp.get("/customers/<int:cid>")
@auth_required
@validate(response=Customer, tags=["crm"])
def get_customer(cid: int):
    """One customer of your business."""
    return jsonify(crud.get_customer(scoped_business_id(None, required=False), cid).to_dict()), 200


@crm_bp.put("/customers/<int:cid>")
@roles_required(*WRITERS)
@validate(body=CustomerUpdate, response=Customer, tags=["crm"])
def update_customer(cid: int, body: CustomerUpdate):
    """Update the given fields of a customer."""
    customer = crud.update_customer(scoped_business_id(None, required=False), cid, body)
    return jsonify(customer.to_dict()), 200


@crm_bp.delete("/customers/<int:cid>")
@roles_required(*WRITERS)
@validate(response=Ok, tags=["crm"])
def delete_customer(cid: int):
    """Delete a customer that has no calls, messages, tasks, invoices or contracts."""
    crud.delete_customer(scoped_business_id(None, required=False), cid)
    return jsonify({"ok": True}), 200


@crm_bp.post("/customers/import")
@roles_required(*WRITERS)
@validate(query=ImportQuery, response=ImportResult, status=201, tags=["crm"])
def import_customers(query: ImportQuery):
    """CSV import (multipart `file` or a text/csv body): all rows or none, with a per-row report."""
    upload = request.files.get("file")
    raw = upload.read() if upload is not None else request.get_data()
    result = csv_io.import_customers_csv(scoped_business_id(query.business_id), raw, on_duplicate=query.on_duplicate)
    return jsonify(result), 201


@crm_bp.get("/customers/export")
@auth_required
@validate(query=ExportQuery, files=binary("text/csv"), tags=["crm"])
def export_customers(query: ExportQuery):
    """The current search (?q=) as a CSV file that Excel opens with the Hebrew intact."""
    rows = csv_io.export_customers_csv(scoped_business_id(query.business_id, required=False), query.q)
    response = Response(stream_with_context(rows), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        "attachment; filename=\"customers.csv\"; filename*=UTF-8''" + quote("לקוחות.csv"))
    return response
