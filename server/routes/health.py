from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from server.error_codes import ErrorCode
from server.extensions import db

health_bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@health_bp.get("/health")
def health():
    """Liveness with a database round trip: 200 {"status":"ok"}, 503 when the database is down."""
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.error("health check: database unreachable: %s", exc.__class__.__name__)
        return jsonify({"status": "error", "error": "database unreachable", "code": ErrorCode.SERVICE_UNAVAILABLE}), 503
    return jsonify({"status": "ok", "database": "ok"}), 200
