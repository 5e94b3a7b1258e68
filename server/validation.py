"""Request validation with pydantic at the edge, and the OpenAPI document built from it.

`@validate(body=Model, query=Model, response=Model)` parses the request into a model
instance passed to the view as `body=` / `query=`, turns failures into
422 {"error": "validation", "code": "validation", "fields": {...}, "field_codes": {...}}, and
records the shapes for GET /api/openapi.json. Under test (app.testing) every JSON answer is
also checked against its response model, so a declared shape cannot drift from what the
route really sends.
"""
from __future__ import annotations

import re
from functools import wraps
from typing import Any, Callable

from flask import Flask, current_app, request
from pydantic import BaseModel, TypeAdapter, ValidationError, model_validator
from pydantic.json_schema import GenerateJsonSchema

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
    its first value (the seed's CRM routes read their query so)."""

    @model_validator(mode="before")
    @classmethod
    def _first_values(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value[0] if isinstance(value, list) and value else value for key, value in data.items()}
        return data


_ADAPTERS: dict[int, tuple[Any, TypeAdapter]] = {}


def _adapter(response: Any) -> TypeAdapter:
    # Keyed by identity: an Annotated union is not hashable. The type is kept alive with it.
    if id(response) not in _ADAPTERS:
        _ADAPTERS[id(response)] = (response, TypeAdapter(response))
    return _ADAPTERS[id(response)][1]


def check_response(response: Any, data: Any) -> None:
    """Raise when `data` is not exactly what `response` describes: a missing or mistyped
    field fails validation, an undeclared one is lost in the round trip."""
    adapter = _adapter(response)
    try:
        again = adapter.dump_python(adapter.validate_python(data, strict=True), by_alias=True, exclude_unset=True)
    except ValidationError as exc:
        raise AssertionError(f"the answer does not match {response}: {exc}") from None
    if again != data:
        raise AssertionError(f"the answer has fields {response} does not declare: {data!r}")


def validate(body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
             response: type[BaseModel] | Any | None = None, summary: str | None = None,
             status: int = 200, tags: list[str] | None = None, lenient_body: bool = False,
             files: dict[str, dict] | None = None) -> Callable:
    """`response`: the JSON answer's model (or any type pydantic takes, such as list[Model]).
    `files`: instead, a file answer's media types and schemas (`schemas.common.binary`).
    `lenient_body`: a request without a JSON object (see `lenient_json_body`) reaches the
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
            answer = fn(*args, **kwargs)
            if current_app.testing and response is not None and not isinstance(response, dict):
                answer = current_app.make_response(answer)
                if 200 <= answer.status_code < 300 and answer.is_json:
                    check_response(response, answer.get_json())
            return answer

        wrapper._api_spec = {  # type: ignore[attr-defined]
            "body": body, "query": query, "response": response, "files": files,
            "summary": summary or (fn.__doc__ or "").strip().split("\n")[0] or None,
            "status": status, "tags": tags,
        }
        return wrapper

    return decorator


# ---- OpenAPI -------------------------------------------------------------------------

_ROUTE_PARAM = re.compile(r"<(?:(?P<conv>[a-z]+):)?(?P<name>\w+)>")


class _Schema(GenerateJsonSchema):
    def field_title_should_be_set(self, schema) -> bool:
        return False  # "Business Id" for business_id says nothing (and fills the generated types)


def _schema_ref(model: Any, components: dict, mode: str = "validation") -> dict:
    """A request body is described as pydantic validates it; a response as it serializes
    (`mode="serialization"`: aliases such as "from", and fields that are not always sent)."""
    if isinstance(model, dict):
        return model
    if model is None:
        return {}
    if isinstance(model, type) and issubclass(model, BaseModel):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode,
                                          schema_generator=_Schema)
    else:
        schema = _adapter(model).json_schema(ref_template="#/components/schemas/{model}", mode=mode,
                                             schema_generator=_Schema)
    if mode == "serialization":
        _as_answered(schema)
    for name, sub in schema.pop("$defs", {}).items():
        _add_component(components, name, sub)
    if isinstance(model, type) and issubclass(model, BaseModel):
        _add_component(components, model.__name__, schema)
        return {"$ref": f"#/components/schemas/{model.__name__}"}
    return schema


def _add_component(components: dict, name: str, schema: dict) -> None:
    if components.setdefault(name, schema) != schema:
        raise ValueError(f"two different schemas are both named {name}: rename one of the models")


def _as_answered(schema: Any) -> None:
    """An answer's field that is not always sent has `= None` in its model: that is no
    default of the JSON (it is absent, never null), so the document claims none. A single
    literal (`const`, unknown to OpenAPI 3.0's JSON Schema) also gets its one-value `enum`."""
    if isinstance(schema, dict):
        if schema.get("default", ...) is None:
            del schema["default"]
        if "const" in schema and "enum" not in schema:
            schema["enum"] = [schema["const"]]
        for value in list(schema.values()):
            _as_answered(value)
    elif isinstance(schema, list):
        for value in schema:
            _as_answered(value)


def _success_content(spec: dict, components: dict) -> dict:
    if spec.get("files"):
        return {"content": {media_type: {"schema": schema} for media_type, schema in spec["files"].items()}}
    if spec.get("response") is not None:
        return {"content": {"application/json": {"schema": _schema_ref(spec["response"], components,
                                                                       mode="serialization")}}}
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
                    str(spec.get("status", 200)): {"description": "OK", **_success_content(spec, components)},
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
                    schema = query.model_json_schema(schema_generator=_Schema)["properties"].get(name, {})
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
