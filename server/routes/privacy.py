"""Privacy requests on a customer: export (a background ZIP with a signed, expiring
download link) and erasure. Admins only: a business admin for their business, the
platform admin for any."""
from __future__ import annotations

from flask import Blueprint, jsonify, send_file
from pydantic import BaseModel, Field

from server.authz import current_user, roles_required, scoped_business_id
from server.schemas.common import binary
from server.schemas.privacy import DataExport, ErasureResult, ExportList
from server.services.privacy import erasure, export as export_service
from server.validation import ArgsQuery, validate

privacy_bp = Blueprint("privacy", __name__, url_prefix="/api/crm")


def _export_json(export) -> dict:
    return {**export.to_dict(), "download_url": export_service.download_url(export)}


class DownloadQuery(ArgsQuery):
    token: str | None = Field(None, description="the signed token of the export's download_url")


class EraseBody(BaseModel):
    reason: str = Field(min_length=3, max_length=500, description="why (kept in the audit log)")


@privacy_bp.post("/customers/<int:customer_id>/export")
@roles_required("admin")
@validate(response=DataExport, status=202, tags=["privacy"])
def request_export(customer_id: int):
    """Start building a ZIP of everything Kesher holds about the customer."""
    export = export_service.request_export(scoped_business_id(None, required=False), customer_id,
                                           current_user().id)
    return jsonify(_export_json(export)), 202


@privacy_bp.get("/customers/<int:customer_id>/exports")
@roles_required("admin")
@validate(response=ExportList, tags=["privacy"])
def list_exports(customer_id: int):
    """The customer's exports, newest first."""
    items = export_service.list_exports(scoped_business_id(None, required=False), customer_id)
    return jsonify({"items": [_export_json(e) for e in items]}), 200


@privacy_bp.get("/exports/<int:export_id>")
@roles_required("admin")
@validate(response=DataExport, tags=["privacy"])
def export_status(export_id: int):
    """Progress of an export; when done, a download link valid for EXPORT_LINK_TTL_SECONDS."""
    export = export_service.get_export(scoped_business_id(None, required=False), export_id)
    return jsonify(_export_json(export)), 200


@privacy_bp.get("/exports/<int:export_id>/download")
@roles_required("admin")
@validate(query=DownloadQuery, files=binary("application/zip"), tags=["privacy"])
def download_export(export_id: int, query: DownloadQuery):
    """The ZIP, for a signed link that has not expired (and an admin of that business)."""
    path, name = export_service.open_download(scoped_business_id(None, required=False), export_id,
                                              query.token or "")
    response = send_file(path, mimetype="application/zip", as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@privacy_bp.post("/customers/<int:customer_id>/erase")
@roles_required("admin")
@validate(body=EraseBody, response=ErasureResult, tags=["privacy"])
def erase_customer(customer_id: int, body: EraseBody):
    """Erase the customer's personal data everywhere; issued invoices are kept as the law requires."""
    result = erasure.erase_customer(scoped_business_id(None, required=False), customer_id, body.reason)
    return jsonify(result), 200
