"""Request bodies are bounded: a body larger than `VONGTAY_MAX_BODY_BYTES` is refused with 413
before it is read into memory."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response


class BodyLimit:
    """ASGI middleware counting the bytes of a request body as they arrive."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge(413, f"request bodies are limited to {self.max_bytes} bytes")
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413,
            "RequestTooLarge",
            f"request bodies are limited to {self.max_bytes} bytes",
            None,
            "max_body_bytes",
        )
        await response(scope, receive, send)


class _TooLarge(HTTPException):
    """An HTTPException, because FastAPI turns any other error raised while it reads a body
    into 400 "error parsing the body"; this one it passes on, and the app answers 413."""
