"""Configuration from the environment (`VONGTAY_` prefix).

Secrets come only from the environment. The one exception is the embedded SQLite default for a
new user's first run: it generates a development vault key beside the database, so that
`./run demo` needs no set-up. Any other database without `VONGTAY_VAULT_KEY` is refused at
start-up with an error that says what to set.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./var/vongtay.db"


class ConfigurationError(RuntimeError):
    """The process cannot start as configured; the message says which variable to set."""


class Settings(BaseSettings):
    """Every setting, with the default a new user gets."""

    model_config = SettingsConfigDict(env_prefix="VONGTAY_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    vault_key: str | None = Field(default=None, repr=False)
    token_ttl_minutes: int = 60
    second_approval_threshold_vnd: int = 20_000_000
    max_body_bytes: int = 1_048_576
    cors_origins: list[str] = []
    login_max_failures_per_account: int = 5
    login_max_failures_per_client: int = 20
    login_window_minutes: int = 15
    #: months after the return home of each follow-up check (policy, not law)
    follow_up_months: list[int] = [1, 3, 6, 12]
    #: a province's own schedule, as JSON:
    #: VONGTAY_FOLLOW_UP_MONTHS_BY_PROVINCE='{"ha-giang": [1, 2, 6, 12, 24]}'
    follow_up_months_by_province: dict[str, list[int]] = {}
    #: days after its due date before a check nobody recorded counts as missed
    follow_up_grace_days: int = 14
    #: days a referral packet stays readable by the partner unless given otherwise
    referral_expiry_days: int = 90

    @field_validator("follow_up_months")
    @classmethod
    def _schedule(cls, months: list[int]) -> list[int]:
        """A schedule must have checks, each a whole number of months after the return home (in
        any order; kept sorted): an empty one would leave a case in follow-up for ever."""
        if not months or any(m < 1 for m in months):
            raise ValueError("follow-up months must be one or more positive numbers")
        return sorted(set(months))

    @field_validator("follow_up_months_by_province")
    @classmethod
    def _schedules(cls, by_province: dict[str, list[int]]) -> dict[str, list[int]]:
        """Every province's own schedule follows the same rule as the default one."""
        return {province: cls._schedule(months) for province, months in by_province.items()}

    def follow_up_months_for(self, province: str) -> tuple[int, ...]:
        """The follow-up schedule of a province: its own if configured, else the default."""
        return tuple(self.follow_up_months_by_province.get(province, self.follow_up_months))

    @property
    def is_sqlite_default(self) -> bool:
        """True only for the embedded default a new user runs with."""
        return self.database_url == DEFAULT_DATABASE_URL

    def resolved_vault_key(self) -> bytes:
        """The vault key: from the environment, or a generated one for the SQLite default."""
        if self.vault_key:
            key = self.vault_key.encode()
            try:
                Fernet(key)
            except ValueError:
                raise ConfigurationError(
                    "VONGTAY_VAULT_KEY is not a valid key: it must be 32 url-safe base64-encoded "
                    "bytes (generate one with `vongtay vault new-key`)"
                ) from None
            return key
        if not self.is_sqlite_default:
            raise ConfigurationError(
                "VONGTAY_VAULT_KEY is not set. Personal data is encrypted with it; outside the "
                "embedded SQLite default it must come from the environment "
                "(generate one with `vongtay vault new-key`)."
            )
        path = Path("var") / "vault.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key())
        return path.read_bytes().strip()


@cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
