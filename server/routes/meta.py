from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from server.validation import build_openapi, validate

meta_bp = Blueprint("meta", __name__, url_prefix="/api")


@meta_bp.get("/openapi.json")
@validate(response={"type": "object", "description": "an OpenAPI 3 document"})
def openapi():
    """The OpenAPI 3 document, generated from the request and response schemas."""
    return jsonify(build_openapi(current_app)), 200
