"""The FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import errors
from api.middleware import BodyLimit
from api.routes import (
    audit,
    auth,
    calculations,
    campaigns,
    cases,
    decisions,
    exports,
    followups,
    partners,
    persons,
    rates,
    referrals,
    stats,
)
from cases.settings import get_settings


def create_app() -> FastAPI:
    """Build the app; the vault key is resolved now, so a missing key stops start-up."""
    settings = get_settings()
    settings.resolved_vault_key()
    app = FastAPI(
        title="Vòng Tay",
        version="0.1.0",
        description=(
            "From shelter intake to a stable life: the case file of persons who may have been "
            "trafficked, the support the law grants them, and its decisions. No personal data "
            "appears in a URL, a response outside `/persons`, an error or a log line."
        ),
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    errors.install(app)
    for router in (
        auth.router,
        cases.router,
        calculations.router,
        decisions.router,
        campaigns.router,
        rates.router,
        persons.router,
        audit.router,
        partners.router,
        referrals.router,
        followups.router,
        stats.router,
        exports.router,
    ):
        app.include_router(router, prefix="/api/v1")
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app
