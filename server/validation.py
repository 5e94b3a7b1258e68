"""Request validation with pydantic at the edge, and the OpenAPI document built from it.

`@validate(body=Model, query=Model, response=Model)` parses the request into a model
instance passed to the view as `body=` / `query=`, turns failures into
422 {"error": "validation", "code": "validation", "fields": {...}, "field_codes": {...}}, and records the shapes for
GET /api/openapi.json.
"""
from __future__ import annotations

import re
from functools import wraps
from typing import Annotated, Any, Callable

from flask import Flask, request
from pydantic import BaseModel, ValidationError, WithJsonSchema, model_validator

from server.error_codes import ErrorCode
from server.errors import AppError, BadRequest, FieldError, ValidationFailed, field_message
from server.json_input import refuse_unstorable


class UnsupportedMediaType(AppError):
    status_code = 415
    message = "unsupported media type"
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE


# pydantic's error types → (code, {param: ctx key}); any other type is `invalid`.
_PYDANTIC_CODES: dict[str, tuple[ErrorCode, dict[str, str]]] = {
    "missing": (ErrorCode.REQUIRED, {}),
    "string_type": (ErrorCode.NOT_TEXT, {}),
    "string_too_short": (ErrorCode.TOO_SHORT, {"min": "min_length"}),
    "string_too_long": (ErrorCode.TOO_LONG, {"max": "max_length"}),
    "string_pattern_mismatch": (ErrorCode.INVALID_FORMAT, {}),
    "too_short": (ErrorCode.TOO_FEW, {"min": "min_length"}),
    "too_long": (ErrorCode.TOO_MANY, {"max": "max_length"}),
    "int_type": (ErrorCode.NOT_INTEGER, {}),
    "int_parsing": (ErrorCode.NOT_INTEGER, {}),
    "int_parsing_size": (ErrorCode.NOT_INTEGER, {}),
    "int_from_float": (ErrorCode.NOT_INTEGER, {}),
    "float_type": (ErrorCode.NOT_NUMBER, {}),
    "float_parsing": (ErrorCode.NOT_NUMBER, {}),
    "decimal_type": (ErrorCode.NOT_NUMBER, {}),
    "decimal_parsing": (ErrorCode.NOT_NUMBER, {}),
    "finite_number": (ErrorCode.NOT_NUMBER, {}),
    "bool_type": (ErrorCode.NOT_BOOLEAN, {}),
    "bool_parsing": (ErrorCode.NOT_BOOLEAN, {}),
    "dict_type": (ErrorCode.NOT_OBJECT, {}),
    "model_type": (ErrorCode.NOT_OBJECT, {}),
    "model_attributes_type": (ErrorCode.NOT_OBJECT, {}),
    "list_type": (ErrorCode.NOT_LIST, {}),
    "greater_than_equal": (ErrorCode.MIN_VALUE, {"min": "ge"}),
    "greater_than": (ErrorCode.GREATER_THAN, {"limit": "gt"}),
    "less_than_equal": (ErrorCode.MAX_VALUE, {"max": "le"}),
    "less_than": (ErrorCode.LESS_THAN, {"limit": "lt"}),
    "literal_error": (ErrorCode.ONE_OF, {"choices": "expected"}),
    "enum": (ErrorCode.ONE_OF, {"choices": "expected"}),
    "extra_forbidden": (ErrorCode.UNKNOWN_FIELD, {}),
    "date_type": (ErrorCode.INVALID_DATE, {}),
    "date_parsing": (ErrorCode.INVALID_DATE, {}),
    "date_from_datetime_parsing": (ErrorCode.INVALID_DATE, {}),
    "date_from_datetime_inexact": (ErrorCode.INVALID_DATE, {}),
    "datetime_type": (ErrorCode.INVALID_DATE, {}),
    "datetime_parsing": (ErrorCode.INVALID_DATE, {}),
    "datetime_from_date_parsing": (ErrorCode.INVALID_DATE, {}),
    "datetime_object_invalid": (ErrorCode.INVALID_DATE, {}),
    "timezone_aware": (ErrorCode.TIMEZONE_REQUIRED, {}),
    "value_error": (ErrorCode.INVALID, {}),
}


def _coded(err: dict, message: str) -> FieldError:
    """The field's message with its code: a validator's own FieldError, else pydantic's type."""
    raised = (err.get("ctx") or {}).get("error")
    if isinstance(raised, BaseException):
        carried = field_message(raised)
        if isinstance(carried, FieldError):
            return FieldError(carried.code, message, **carried.params)
    code, param_keys = _PYDANTIC_CODES.get(err["type"], (ErrorCode.INVALID, {}))
    ctx = err.get("ctx") or {}
    params = {name: ctx[key] for name, key in param_keys.items() if key in ctx}
    if code is ErrorCode.ONE_OF and isinstance(params.get("choices"), str):
        # pydantic gives "'a', 'b' or 'c'"; the client gets the list.
        params["choices"] = re.findall(r"'([^']*)'", params["choices"]) or [params["choices"]]
    return FieldError(code, message, **{k: v if isinstance(v, (int, float, str, list)) else str(v)
                                       for k, v in params.items()})


def field_errors(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"]) or "body"
        message = err["msg"]
        # pydantic prefixes custom ValueError messages; the client needs only the reason.
        message = re.sub(r"^(Value|Assertion) error, ", "", message)
        if loc not in fields:
            fields[loc] = _coded(err, message)
    return fields


def parse_model(model: type[BaseModel], data: Any) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc)) from None


def json_body() -> dict:
    """The request's JSON object; {} for an empty body. Never guesses at other formats."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    if request.mimetype and request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise UnsupportedMediaType()
    data = request.get_json(force=True, silent=True)  # deep nesting and unstorable text: refused there
    if data is None:
        raise BadRequest("invalid json", code=ErrorCode.INVALID_JSON)
    if not isinstance(data, dict):
        raise BadRequest("invalid json: expected an object", code=ErrorCode.JSON_NOT_OBJECT)
    return data


def query_dict() -> dict:
    # Werkzeug decodes invalid UTF-8 in a query to U+FFFD, so only a NUL (%00) can be unstorable here.
    return refuse_unstorable({key: values if len(values) > 1 else values[0] for key, values in request.args.lists()})


def lenient_json_body() -> dict | None:
    """The request's JSON object, or None when it carries none (no body, another content
    type, invalid JSON, an array): for routes whose own answer to those predates the
    schemas (their 422), which `json_body`'s 400/415 would change."""
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None


class ArgsQuery(BaseModel):
    """Query parameters read the way `request.args.get` reads them: a repeated key gives
    its first value. For routes whose services parse the raw text (and keep their own
    messages and status codes, such as the seed's 400 "invalid paging")."""

    @model_validator(mode="before")
    @classmethod
    def _first_values(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value[0] if isinstance(value, list) and value else value for key, value in data.items()}
        return data


def raw_param(schema: dict) -> Any:
    """A query parameter kept as text for the service to parse, documented as `schema`."""
    return Annotated[str | None, WithJsonSchema(schema)]


def validate(body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
             response: type[BaseModel] | Any | None = None, summary: str | None = None,
             status: int = 200, tags: list[str] | None = None, lenient_body: bool = False) -> Callable:
    """`lenient_body`: a request without a JSON object (see `lenient_json_body`) reaches the
    view as body=None instead of a 400/415, so a route that also takes a multipart form, or
    answers such requests itself, keeps doing so; a JSON object is validated as usual."""
    def decorator(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args, **kwargs):
            if query is not None:
                kwargs["query"] = parse_model(query, query_dict())
            if body is not None:
                if lenient_body:
                    data = lenient_json_body()
                    kwargs["body"] = None if data is None else parse_model(body, data)
                else:
                    kwargs["body"] = parse_model(body, json_body())
            return fn(*args, **kwargs)

        wrapper._api_spec = {  # type: ignore[attr-defined]
            "body": body, "query": query, "response": response,
            "summary": summary or (fn.__doc__ or "").strip().split("\n")[0] or None,
            "status": status, "tags": tags,
        }
        return wrapper

    return decorator


# ---- OpenAPI -------------------------------------------------------------------------

_ROUTE_PARAM = re.compile(r"<(?:(?P<conv>[a-z]+):)?(?P<name>\w+)>")


def _schema_ref(model: Any, components: dict) -> dict:
    if isinstance(model, type) and issubclass(model, BaseModel):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            components.setdefault(name, sub)
        components.setdefault(model.__name__, schema)
        return {"$ref": f"#/components/schemas/{model.__name__}"}
    if isinstance(model, dict):
        return model
    return {}


def build_openapi(app: Flask) -> dict:
    components: dict[str, dict] = {}
    paths: dict[str, dict] = {}
    components["ErrorCode"] = {"type": "string", "enum": [code.value for code in ErrorCode],
                               "description": "Stable error code (server/error_codes.py); clients translate it."}
    components["FieldCode"] = {"type": "object", "required": ["code", "params"], "properties": {
        "code": {"$ref": "#/components/schemas/ErrorCode"},
        "params": {"type": "object", "additionalProperties": True}}}
    components["Error"] = {"type": "object", "required": ["error", "code"], "properties": {
        "error": {"type": "string", "description": "short English text (the seed's contract)"},
        "code": {"$ref": "#/components/schemas/ErrorCode"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        "field_codes": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/FieldCode"}}}}
    error_schema = {"$ref": "#/components/schemas/Error"}
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith("/api") or rule.rule.startswith("/webhook") or rule.rule == "/health"):
            continue
        if rule.rule.startswith("/api/internal/"):
            continue  # process-to-process (the worker's signed event relay), not part of the public API
        view = app.view_functions.get(rule.endpoint)
        spec = getattr(view, "_api_spec", {}) if view else {}
        path = _ROUTE_PARAM.sub(lambda m: "{" + m.group("name") + "}", rule.rule)
        params = [{"name": m.group("name"), "in": "path", "required": True,
                   "schema": {"type": "integer" if m.group("conv") == "int" else "string"}}
                  for m in _ROUTE_PARAM.finditer(rule.rule)]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation: dict[str, Any] = {
                "operationId": f"{rule.endpoint}.{method.lower()}",
                "responses": {
                    str(spec.get("status", 200)): {
                        "description": "OK",
                        **({"content": {"application/json": {"schema": _schema_ref(spec["response"], components)}}}
                           if spec.get("response") is not None else {}),
                    },
                    "default": {"description": "Error", "content": {"application/json": {"schema": error_schema}}},
                },
            }
            if spec.get("summary"):
                operation["summary"] = spec["summary"]
            if spec.get("tags"):
                operation["tags"] = spec["tags"]
            operation_params = list(params)
            query = spec.get("query")
            if query is not None:
                for name, field in query.model_fields.items():
                    schema = query.model_json_schema()["properties"].get(name, {})
                    operation_params.append({"name": field.alias or name, "in": "query",
                                             "required": field.is_required(), "schema": schema})
            if operation_params:
                operation["parameters"] = operation_params
            if spec.get("body") is not None and method in {"POST", "PUT", "PATCH"}:
                operation["requestBody"] = {"required": True, "content": {
                    "application/json": {"schema": _schema_ref(spec["body"], components)}}}
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": "Kesher API", "version": "1.0.0",
                 "description": "Hebrew-first AI call center, CRM and WhatsApp for Israeli small businesses."},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components,
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "kesher_session"},
                                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"}},
        },
    }
