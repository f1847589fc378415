"""One error shape everywhere: `{"error": ClassName, "detail", "field", "rule"}`.

Request validation errors are rewritten to that shape too, and without the submitted value:
FastAPI's default answer echoes the input, which for a person's record can be a name.
"""

from __future__ import annotations

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


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into the one shape."""

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
            None,
            getattr(exc, "headers", None),
        )
