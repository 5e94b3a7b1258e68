"""One JSON error contract for /api/* and /webhook/*: {"error": "...", "code": "..."} (+ "fields", "field_codes")."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError, PendingRollbackError, StatementError
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError
from werkzeug.exceptions import HTTPException

from server.error_codes import ErrorCode
from server.errors import AppError

log = logging.getLogger(__name__)

SHORT_MESSAGES = {
    400: "bad request",
    401: "unauthorized",
    403: "forbidden",
    404: "not found",
    405: "method not allowed",
    409: "conflict",
    413: "payload too large",
    415: "unsupported media type",
    422: "validation",
    429: "too many requests",
    500: "internal error",
    503: "service unavailable",
}
STATUS_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    422: ErrorCode.VALIDATION,
    429: ErrorCode.TOO_MANY_REQUESTS,
    500: ErrorCode.INTERNAL_ERROR,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}


def error_body(status: int) -> dict:
    """The body of an error that has nothing more to say than its status."""
    return {"error": SHORT_MESSAGES[status], "code": str(STATUS_CODES[status])}


def wants_json() -> bool:
    path = request.path
    return path.startswith("/api/") or path == "/api" or path.startswith("/webhook/") or path == "/health"


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AppError)
    def handle_app_error(exc: AppError):
        return jsonify(exc.to_dict()), exc.status_code

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        if not wants_json():
            return exc
        status = exc.code or 500
        body = {"error": SHORT_MESSAGES.get(status, (exc.name or "error").lower()),
                "code": str(STATUS_CODES.get(status, ErrorCode.HTTP_ERROR))}
        response = jsonify(body)
        response.status_code = exc.code or 500
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def handle_unstorable_value(exc: Exception):
        # A value the database cannot hold — an id beyond its integer range, a NUL character
        # in text — came from the request: a 400, and the transaction is rolled back.
        log.warning("database refused a value on %s %s: %s", request.method, request.path,
                    getattr(exc, "orig", exc).__class__.__name__)
        from server.extensions import db
        db.session.rollback()
        if wants_json():
            return jsonify(error_body(400)), 400
        return "Bad Request", 400

    @app.errorhandler(StatementError)
    def handle_unbindable_value(exc: StatementError):
        # A request value that could not even be bound (a date out of range after its offset,
        # a NUL in text on PostgreSQL) is the client's error like a DataError; any other
        # statement failure is a real fault. (DataError and OperationalError, subclasses,
        # reach their own handlers: Flask picks the closest class.)
        if isinstance(exc.orig, (OverflowError, ValueError)):
            return handle_unstorable_value(exc)
        return handle_unexpected(exc)

    @app.errorhandler(ObjectDeletedError)
    @app.errorhandler(StaleDataError)
    def handle_concurrent_delete(exc: Exception):
        # Another request deleted the record while this one was changing or reading it back
        # (two staff members, or a client retrying in parallel): it is gone, say so.
        log.warning("record deleted concurrently on %s %s: %s", request.method, request.path,
                    exc.__class__.__name__)
        from server.extensions import db
        db.session.rollback()
        if isinstance(exc, StaleDataError):
            return jsonify(error_body(409)), 409
        return jsonify(error_body(404)), 404

    @app.errorhandler(IntegrityError)
    def handle_integrity_race(exc: IntegrityError):
        # Services check uniqueness and ownership first; a constraint that still fires means
        # a concurrent request changed the same rows (a customer deleted while a task was
        # added to it): nothing was written, and the client may retry.
        log.error("integrity error on %s %s (concurrent change?): %s", request.method, request.path,
                  getattr(exc, "orig", exc).__class__.__name__, exc_info=exc)
        from server.extensions import db
        db.session.rollback()
        return jsonify(error_body(409)), 409

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PendingRollbackError)
    def handle_database_unavailable(exc: Exception):
        # The database is restarting or unreachable (or the connection died under this
        # request's session, which then refuses further work): a retryable 503, not a 500. Twilio and
        # Meta retry a webhook that did not get a 2xx, so nothing unacknowledged is lost.
        log.error("database unavailable on %s %s: %s", request.method, request.path, exc.__class__.__name__,
                  exc_info=exc)
        from server.extensions import db
        db.session.rollback()
        body = jsonify(error_body(503)) if wants_json() else "Service Unavailable"
        return body, 503, {"Retry-After": "5"}

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        # Logged with the traceback (masked by the log filter); the client sees no internals.
        log.exception("unhandled error on %s %s", request.method, request.path)
        from server.extensions import db
        db.session.rollback()
        if wants_json():
            return jsonify(error_body(500)), 500
        return "Internal Server Error", 500
