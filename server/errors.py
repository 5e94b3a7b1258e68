"""Domain errors raised by services; error_handlers.py turns them into the one JSON shape:

    {"error": "<short English text>", "code": "<ErrorCode>"}
    + "fields": {name: "<text>"} and "field_codes": {name: {"code": ..., "params": {...}}} on a 422

The English text is the seed's contract and stays byte-for-byte; the code is what clients
branch on and translate (the SPA's one table in src/lib/strings.ts).
"""
from __future__ import annotations

from typing import Any

from server.error_codes import ErrorCode


class FieldError(str):
    """A field's message that also carries its code and parameters.

    A str, so every `fields` dict, comparison and log line keeps working with the text;
    `ValidationFailed` reads `.code` and `.params` for "field_codes".
    """

    code: ErrorCode
    params: dict[str, Any]

    def __new__(cls, code: ErrorCode | str, text: str, **params: Any) -> "FieldError":
        self = super().__new__(cls, text)
        self.code = ErrorCode(code)
        self.params = params
        return self

    def __reduce__(self):  # str's pickling would drop the code
        return (_rebuild_field_error, (str(self.code), str(self), self.params))


def _rebuild_field_error(code: str, text: str, params: dict) -> FieldError:
    return FieldError(code, text, **params)


def field_message(exc: BaseException) -> str:
    """The message an exception carries: its FieldError (with the code) when it has one."""
    if exc.args and isinstance(exc.args[0], FieldError):
        return exc.args[0]
    return str(exc)


def field_code(message: str) -> dict[str, Any]:
    """{"code": ..., "params": {...}} for one field message; a bare text is `invalid`."""
    if isinstance(message, FieldError):
        return {"code": str(message.code), "params": dict(message.params)}
    return {"code": str(ErrorCode.INVALID), "params": {}}


class AppError(Exception):
    status_code = 400
    message = "bad request"
    code = ErrorCode.BAD_REQUEST

    def __init__(self, message: str | None = None, *, fields: dict | None = None, status_code: int | None = None,
                 code: ErrorCode | str | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.fields = fields
        if status_code is not None:
            self.status_code = status_code
        if code is not None:
            self.code = ErrorCode(code)

    def to_dict(self) -> dict:
        body: dict[str, Any] = {"error": self.message, "code": str(self.code)}
        if self.fields:
            body["fields"] = {name: str(text) for name, text in self.fields.items()}
            body["field_codes"] = {name: field_code(text) for name, text in self.fields.items()}
        return body


class BadRequest(AppError):
    status_code = 400
    message = "bad request"
    code = ErrorCode.BAD_REQUEST


class Unauthorized(AppError):
    status_code = 401
    message = "unauthorized"
    code = ErrorCode.UNAUTHORIZED


class Forbidden(AppError):
    status_code = 403
    message = "forbidden"
    code = ErrorCode.FORBIDDEN


class NotFound(AppError):
    status_code = 404
    message = "not found"
    code = ErrorCode.NOT_FOUND


class Conflict(AppError):
    status_code = 409
    message = "conflict"
    code = ErrorCode.CONFLICT


class ValidationFailed(AppError):
    status_code = 422
    message = "validation"
    code = ErrorCode.VALIDATION

    def __init__(self, fields: dict, message: str = "validation", *, code: ErrorCode | str | None = None):
        super().__init__(message, fields=fields, code=code)


class ServiceUnavailable(AppError):
    status_code = 503
    message = "service unavailable"
    code = ErrorCode.SERVICE_UNAVAILABLE
