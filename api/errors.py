"""One error shape everywhere: `{"error": ClassName, "detail", "field", "rule"}`.

Request validation errors are rewritten to that shape too, and without the submitted value:
FastAPI's default answer echoes the input, which for a person's record can be a name.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from cases.exceptions import CaseError

Responses = dict[int | str, dict[str, Any]]


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: str
    detail: str
    field: str | None = None
    rule: str | None = None


def error_response(
    status: int,
    error: str,
    detail: str,
    field: str | None,
    rule: str | None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(error=error, detail=detail, field=field, rule=rule).model_dump()
    return JSONResponse(status_code=status, content=body, headers=headers)


def _describe(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


#: the error responses each route declares in OpenAPI
AUTH: Responses = {
    401: _describe("AuthenticationFailed: missing, invalid, expired or revoked token"),
    403: _describe("RoleNotAllowed or OutsideProvince"),
}
NOT_FOUND: Responses = {404: _describe("NotFound")}
CONFLICT: Responses = {409: _describe("TransitionNotAllowed, ConcurrentUpdate or Conflict")}
INVALID: Responses = {
    422: _describe("InvalidInput or RequestValidationFailed: names the field and the rule")
}
MAKER_CHECKER: Responses = {
    403: _describe("RoleNotAllowed, OutsideProvince or SelfApproval"),
    422: _describe("LegalCheckNotAcknowledged, InvalidInput or RequestValidationFailed"),
}
TOO_LARGE: Responses = {413: _describe("RequestTooLarge")}
MALFORMED: Responses = {400: _describe("MalformedBody: the body cannot be read (not UTF-8 JSON)")}


def _document_one_shape(schema: dict[str, Any]) -> None:
    """Make the OpenAPI document say what the handlers below answer: FastAPI declares its own
    422 shape (HTTPValidationError) on routes with parameters, but every 422 is an ErrorBody;
    and every body can be refused with 400 when it cannot be read, and with 413 by the size
    limit."""
    error = {"$ref": "#/components/schemas/ErrorBody"}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            invalid = responses.get("422", {}).get("content", {}).get("application/json", {})
            if invalid.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                responses["422"] = {
                    "description": INVALID[422]["description"],
                    "content": {"application/json": {"schema": error}},
                }
            for code, declared in ((400, MALFORMED), (413, TOO_LARGE)):
                if "requestBody" in operation and str(code) not in responses:
                    responses[str(code)] = {
                        "description": declared[code]["description"],
                        "content": {"application/json": {"schema": error}},
                    }
    components = schema.get("components", {}).get("schemas", {})
    if "HTTPValidationError" not in json.dumps(schema.get("paths", {})):
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into the one shape."""

    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _document_one_shape(default_openapi())
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(CaseError)
    async def _case_error(_request: Request, exc: CaseError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return error_response(
            exc.status, type(exc).__name__, exc.detail, exc.field, exc.rule, headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        location = [
            str(part)
            for part in first.get("loc", ())
            if part not in ("body", "query", "path", "header")
        ]
        # the message only: never `input`, which may hold personal data
        return error_response(
            422,
            "RequestValidationFailed",
            str(first.get("msg", "invalid request")),
            ".".join(location) or None,
            str(first.get("type", "invalid")),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        names = {
            400: "MalformedBody",
            404: "NotFound",
            405: "MethodNotAllowed",
            401: "AuthenticationFailed",
            413: "RequestTooLarge",
        }
        return error_response(
            exc.status_code,
            names.get(exc.status_code, "HTTPError"),
            str(exc.detail),
            None,
            {400: "malformed_body", 413: "max_body_bytes"}.get(exc.status_code),
            getattr(exc, "headers", None),
        )
