"""Domain errors raised by services; error_handlers.py turns them into the one JSON shape."""
from __future__ import annotations


class AppError(Exception):
    status_code = 400
    message = "bad request"

    def __init__(self, message: str | None = None, *, fields: dict | None = None, status_code: int | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.fields = fields
        if status_code is not None:
            self.status_code = status_code

    def to_dict(self) -> dict:
        body = {"error": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


class BadRequest(AppError):
    status_code = 400
    message = "bad request"


class Unauthorized(AppError):
    status_code = 401
    message = "unauthorized"


class Forbidden(AppError):
    status_code = 403
    message = "forbidden"


class NotFound(AppError):
    status_code = 404
    message = "not found"


class Conflict(AppError):
    status_code = 409
    message = "conflict"


class ValidationFailed(AppError):
    status_code = 422
    message = "validation"

    def __init__(self, fields: dict, message: str = "validation"):
        super().__init__(message, fields=fields)


class ServiceUnavailable(AppError):
    status_code = 503
    message = "service unavailable"
