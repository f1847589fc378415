"""Staff accounts: passwords (argon2), bearer tokens that expire and can be revoked, and login
throttling per account and per client address. Every login, failed or not, is audited without
the password."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cases import audit
from cases.exceptions import AuthenticationFailed, Conflict, InvalidInput, TooManyAttempts
from cases.models import ApiToken, LoginAttempt, PartnerOrg, UserAccount
from cases.schemas import Role, TokenRead
from cases.settings import get_settings
from cases.unit_of_work import UnitOfWork

_HASHER = PasswordHasher()
# a real hash to verify against when the account does not exist, so timing does not tell
_DUMMY_HASH = _HASHER.hash("no such account")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: what every use case needs to check roles and provinces."""

    id: str
    username: str
    role: Role
    province: str | None
    #: the partner organisation of a `partner` account; None for staff
    partner_id: str | None = None

    def sees(self, province: str) -> bool:
        """National accounts see every province; the others only their own."""
        return self.province is None or self.province == province


SYSTEM_USERNAME = "system"


def _now() -> datetime:
    return datetime.now(UTC)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    username: str,
    role: str,
    province: str | None,
    display_name: str | None = None,
    partner: str | None = None,
) -> tuple[str, str]:
    """Create an account and return (id, one-time password): the password is shown once.

    A `partner` account belongs to a registered partner organisation (its slug in `partner`)
    and takes that organisation's province; no other role may name one.
    """
    from benefits_rules.provinces import is_known

    if role not in {r.value for r in Role}:
        raise InvalidInput(
            f"role must be one of {', '.join(r.value for r in Role)}",
            field="role",
            rule="unknown_value",
        )
    if province is not None and not is_known(province):
        raise InvalidInput("not a province of the registry", field="province", rule="unknown_value")
    if (role == Role.partner) != (partner is not None):
        raise InvalidInput(
            "a partner account needs --partner, and only a partner account may have one",
            field="partner",
            rule="partner_account",
        )
    if (
        not username
        or len(username) > 64
        or not username.replace("_", "").replace("-", "").replace(".", "").isalnum()
    ):
        raise InvalidInput(
            "letters, digits, . _ - only, at most 64", field="username", rule="invalid_format"
        )
    password = secrets.token_urlsafe(18)
    with UnitOfWork() as uow:
        if uow.repo.user_by_name(username) is not None:
            raise Conflict("an account with that username exists", field="username", rule="unique")
        partner_id = None
        if partner is not None:
            org = uow.session.scalars(select(PartnerOrg).where(PartnerOrg.slug == partner)).first()
            if org is None or not org.active:
                raise InvalidInput(
                    "no active partner organisation with that slug",
                    field="partner",
                    rule="unknown_value",
                )
            partner_id, province = org.id, org.province
        user = UserAccount(
            username=username,
            password_hash=_HASHER.hash(password),
            role=role,
            province=province,
            display_name=display_name,
            partner_id=partner_id,
            active=True,
        )
        uow.repo.add(user)
        uow.repo.flush()
        audit.append(
            uow.session,
            actor="cli",
            action="user.created",
            subject_type="user",
            subject_id=user.id,
            detail={"role": role, "province": province, "partner": partner},
        )
        uow.commit()
        return user.id, password


def system_actor() -> Actor:
    """The account the flows act as; created on first use, never able to log in. Two processes
    may both find it missing: the loser of the insert reads the winner's row."""
    try:
        with UnitOfWork() as uow:
            user = uow.repo.user_by_name(SYSTEM_USERNAME)
            if user is None:
                user = UserAccount(
                    username=SYSTEM_USERNAME,
                    password_hash="!",  # not an argon2 hash: no password can match it
                    role=Role.approver.value,
                    province=None,
                    active=True,
                )
                uow.repo.add(user)
                uow.commit()
            return Actor(user.id, user.username, Role(user.role), user.province)
    except IntegrityError:
        with UnitOfWork(write=False) as uow:
            user = uow.repo.user_by_name(SYSTEM_USERNAME)
            assert user is not None
            return Actor(user.id, user.username, Role(user.role), user.province)


def login(username: str, password: str, client: str) -> TokenRead:
    """Exchange a password for a bearer token, throttled per account and per client."""
    settings = get_settings()
    now = _now()
    window = now - timedelta(minutes=settings.login_window_minutes)
    with UnitOfWork() as uow:
        repo = uow.repo
        if (
            repo.failed_logins_since(username=username, client=None, since=window)
            >= settings.login_max_failures_per_account
            or repo.failed_logins_since(username=None, client=client, since=window)
            >= settings.login_max_failures_per_client
        ):
            audit.append(
                uow.session,
                actor=username[:64],
                action="login.throttled",
                subject_type="user",
                detail={"client": client},
            )
            uow.commit()
            raise TooManyAttempts(
                "too many failed logins; try again later", field="username", rule="login_throttled"
            )
        user = repo.user_by_name(username)
        ok = False
        try:
            ok = (
                _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
                and user is not None
            )
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or user is None or not user.active:
            repo.add(LoginAttempt(username=username[:64], client=client[:64], at=now))
            audit.append(
                uow.session,
                actor=username[:64],
                action="login.failed",
                subject_type="user",
                detail={"client": client},
            )
            uow.commit()
            raise AuthenticationFailed(
                "wrong username or password", field="username", rule="credentials"
            )
        token = secrets.token_urlsafe(32)
        expires = now + timedelta(minutes=settings.token_ttl_minutes)
        repo.add(
            ApiToken(
                token_hash=_token_hash(token), user_id=user.id, created_at=now, expires_at=expires
            )
        )
        audit.append(
            uow.session,
            actor=user.username,
            action="login.succeeded",
            subject_type="user",
            subject_id=user.id,
            detail={"client": client},
        )
        uow.commit()
        return TokenRead(access_token=token, expires_at=expires)


def authenticate(token: str) -> Actor:
    """The actor of a bearer token that exists, has not expired or been revoked, and whose
    account is still active."""
    with UnitOfWork(write=False) as uow:
        row = uow.repo.token(_token_hash(token))
        if row is None or row.revoked_at is not None:
            raise AuthenticationFailed(
                "invalid or revoked token", field="authorization", rule="token"
            )
        expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
        if expires <= _now():
            raise AuthenticationFailed(
                "the token has expired", field="authorization", rule="token_expired"
            )
        user = uow.repo.user(row.user_id)
        if user is None or not user.active:
            raise AuthenticationFailed(
                "the account is disabled", field="authorization", rule="account_disabled"
            )
        return Actor(user.id, user.username, Role(user.role), user.province, user.partner_id)


def logout(token: str) -> None:
    """Revoke one token."""
    with UnitOfWork() as uow:
        row = uow.repo.token(_token_hash(token))
        if row is not None and row.revoked_at is None:
            row.revoked_at = _now()
            audit.append(
                uow.session,
                actor=row.user_id,
                action="logout",
                subject_type="user",
                subject_id=row.user_id,
            )
        uow.commit()


def disable_user(username: str) -> None:
    """Disable an account and revoke every token it holds."""
    with UnitOfWork() as uow:
        user = uow.repo.user_by_name(username)
        if user is None:
            raise InvalidInput("no such account", field="username", rule="not_found")
        user.active = False
        uow.repo.revoke_tokens(user.id, _now())
        audit.append(
            uow.session,
            actor="cli",
            action="user.disabled",
            subject_type="user",
            subject_id=user.id,
        )
        uow.commit()
