"""The ASGI app `vongtay serve` runs: the API, starting flows through Prefect deployments."""

from __future__ import annotations

from fastapi import FastAPI


def create_app() -> FastAPI:
    """The API with the Prefect dispatcher installed (api/ itself never imports flows)."""
    from api.app import create_app as make_app
    from cases.dispatch import set_dispatcher
    from flows.dispatchers import PrefectDispatcher

    set_dispatcher(PrefectDispatcher())
    return make_app()
