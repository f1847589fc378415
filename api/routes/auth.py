"""Tokens: log in with a password, log out to revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, status

from api.deps import bearer_token, client_address
from api.errors import AUTH, INVALID, ErrorBody
from cases.accounts import login, logout
from cases.schemas import TokenRead

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/token",
    response_model=TokenRead,
    responses={
        401: {"model": ErrorBody, "description": "AuthenticationFailed"},
        429: {"model": ErrorBody, "description": "TooManyAttempts"},
        **INVALID,
    },
)
def token(
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    client: Annotated[str, Depends(client_address)],
) -> TokenRead:
    """OAuth2 password form → a bearer token that expires. Failed logins are throttled per
    account and per client address and audited without the password."""
    return login(username, password, client)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses={**AUTH})
def revoke(token: Annotated[str, Depends(bearer_token)]) -> None:
    """Revoke the token used for this request."""
    logout(token)
