"""Untrusted JSON, parsed once and safely: the app's request class and every other JSON entry point.

Python's json module accepts two things the rest of the stack cannot take:
- nesting deep enough to exhaust the interpreter's recursion limit (a RecursionError, not a
  ValueError, so it escaped every `except ValueError` and became a 500);
- a lone UTF-16 surrogate (`"\\ud800"`, or its raw bytes, which json decodes with
  "surrogatepass"): a str that no UTF-8 encoder accepts, so the database driver, the log
  file or the JSON answer fails long after the request was accepted.
A NUL character is the third: PostgreSQL text cannot hold one, SQLite would.

`KesherRequest.get_json` (installed by create_app) refuses all three for every route at once,
silent or not, so no view can forget: deep nesting is 400 {"error": "invalid json: nested
too deep"}, unstorable text a 422 naming the field. Webhooks that carry several messages in
one delivery parse with `loads` and sort the messages themselves (see
services.whatsapp.ingest_webhook), so one bad message does not cost the good ones.
"""
from __future__ import annotations

import json
from typing import Any

from flask import Request

from server.error_codes import ErrorCode
from server.errors import BadRequest, FieldError, ValidationFailed

# Deeper than any body this API or a provider sends (a Meta webhook is about 7 levels), and far
# below the interpreter's recursion limit, so the answer does not depend on the stack in use.
MAX_DEPTH = 64

TOO_DEEP = "invalid json: nested too deep"
NUL_MESSAGE = FieldError(ErrorCode.UNSTORABLE_NUL, "must not contain a NUL character")
SURROGATE_MESSAGE = FieldError(ErrorCode.UNSTORABLE_TEXT, "must be valid Unicode text")


class InvalidJSON(ValueError):
    """Not JSON, or not JSON this server will walk (a ValueError, as json's own errors are)."""


class JSONTooDeep(InvalidJSON):
    pass


def has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def text_problem(text: str) -> str | None:
    """Why this text cannot be stored, or None."""
    if "\x00" in text:
        return NUL_MESSAGE
    if has_lone_surrogate(text):
        return SURROGATE_MESSAGE
    return None


def _printable(key: str) -> str:
    # A field name quoted back to the client must itself be encodable.
    return key.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def unstorable_fields(data: Any, max_depth: int = MAX_DEPTH) -> dict[str, str]:
    """{"path.to.field": reason} for every string (value or key) that cannot be stored.

    Iterative, so walking a value never needs more stack than parsing it did; raises
    JSONTooDeep past `max_depth` levels of objects and arrays.
    """
    found: dict[str, str] = {}
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                found.setdefault(path or "body", problem)
            continue
        if isinstance(value, (dict, list)):
            if depth >= max_depth:
                raise JSONTooDeep(TOO_DEEP)
            items = value.items() if isinstance(value, dict) else enumerate(value)
            children = []
            for key, child in items:
                name = _printable(str(key))
                child_path = f"{path}.{name}" if path else name
                if isinstance(key, str) and text_problem(key):
                    found.setdefault(child_path, text_problem(key))
                children.append((child, child_path, depth + 1))
            stack.extend(reversed(children))  # report in document order
    return found


def loads(raw: bytes | str) -> Any:
    """json.loads for untrusted input: InvalidJSON (a ValueError) for anything that is not
    JSON or nests deeper than MAX_DEPTH; strings are returned as sent, for callers that sort
    good parts from bad (check them with `unstorable_fields` / `text_problem`)."""
    try:
        data = json.loads(raw)
    except RecursionError:
        raise JSONTooDeep(TOO_DEEP) from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
        raise InvalidJSON("invalid json") from exc
    unstorable_fields(data)  # only for the depth check here
    return data


def refuse_unstorable(data: Any) -> Any:
    """`data` unchanged, or 422 naming every field holding a NUL or a lone surrogate
    (400 when it nests too deep)."""
    try:
        fields = unstorable_fields(data)
    except JSONTooDeep:
        raise BadRequest(TOO_DEEP, code=ErrorCode.JSON_TOO_DEEP) from None
    if fields:
        raise ValidationFailed(fields)
    return data


class KesherRequest(Request):
    """Flask's request, whose JSON is refused before any view sees it when it nests too deep
    or holds text the database cannot store. `silent=True` still means "None when the body is
    no JSON", never "let a hostile body through"."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        try:
            data = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            raise BadRequest(TOO_DEEP, code=ErrorCode.JSON_TOO_DEEP) from None
        return refuse_unstorable(data)
