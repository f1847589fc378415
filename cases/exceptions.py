"""Errors of the case file. Each carries its HTTP status, the field and the rule it broke.

Messages never hold personal data: they name fields, rules and ids, never values.
"""

from __future__ import annotations


class CaseError(Exception):
    """Base: `status` is the HTTP status the API answers with."""

    status = 400
    default_rule = "invalid"

    def __init__(self, detail: str, *, field: str | None = None, rule: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.rule = rule or self.default_rule


class NotFound(CaseError):
    status = 404
    default_rule = "not_found"


class TransitionNotAllowed(CaseError):
    """The move is not in the lifecycle, or another request changed the state first."""

    status = 409
    default_rule = "lifecycle"


class ConcurrentUpdate(TransitionNotAllowed):
    """Another request changed the record between our read and our write."""

    default_rule = "concurrent_update"


class Conflict(CaseError):
    status = 409
    default_rule = "conflict"


class InvalidInput(CaseError):
    """Input that breaks a rule (the law engine's fact rules included)."""

    status = 422


class LegalCheckNotAcknowledged(CaseError):
    status = 422
    default_rule = "acknowledge_unconfirmed"


class Forbidden(CaseError):
    status = 403
    default_rule = "forbidden"


class RoleNotAllowed(Forbidden):
    default_rule = "role"


class OutsideProvince(Forbidden):
    default_rule = "province_scope"


class SelfApproval(Forbidden):
    default_rule = "maker_checker"


class AuthenticationFailed(CaseError):
    status = 401
    default_rule = "authentication"


class TooManyAttempts(CaseError):
    status = 429
    default_rule = "login_throttled"


class VaultUnavailable(CaseError):
    """The vault cannot open a record (a wrong or rotated key): the server's fault, said plainly."""

    status = 500
    default_rule = "vault_key"


class IdempotencyKeyReused(CaseError):
    status = 422
    default_rule = "idempotency_key_reused"
