"""Typed dependencies: the acting account from its bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cases.accounts import Actor, authenticate
from cases.exceptions import AuthenticationFailed

_bearer = HTTPBearer(auto_error=False, description="a token from POST /api/v1/auth/token")


def current_actor(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """The account behind the request's bearer token, or 401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationFailed(
            "a bearer token is required", field="authorization", rule="token"
        )
    return authenticate(credentials.credentials)


def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The raw token, for logout."""
    if credentials is None:
        raise AuthenticationFailed(
            "a bearer token is required", field="authorization", rule="token"
        )
    return credentials.credentials


def client_address(request: Request) -> str:
    """The client's address for login throttling (the proxy's, unless one is configured)."""
    return request.client.host if request.client else "unknown"


ActorDep = Annotated[Actor, Depends(current_actor)]
