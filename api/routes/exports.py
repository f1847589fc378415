"""Case exports under Human Trafficking Case Data Standard (HTCDS) field names.

One resource, `GET /exports/htcds`, in three formats (`format=json|csv|xlsx`). Without personal
data (the default) the rows are de-identified and k-anonymous (k = 11); `X-Withheld-Rows` says
how many rows could not be published. `personal_data=true` with a `purpose` adds the vault's
fields, for a role that may read the vault. Every export is audited.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from api.deps import ActorDep
from api.errors import AUTH, INVALID
from api.params import ReceptionYear, ScopeProvince
from cases import exports
from cases.stats_schemas import HtcdsExport

router = APIRouter(tags=["exports"])

_FILES = {
    exports.MEDIA_TYPES["csv"].split(";")[0]: {"schema": {"type": "string"}},
    exports.MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
}


@router.get(
    "/exports/htcds",
    response_model=HtcdsExport,
    responses={
        200: {
            "description": "the export: JSON, or a CSV (UTF-8 with BOM) or XLSX download; the "
            "header X-Withheld-Rows gives the rows withheld to keep k-anonymity",
            "content": _FILES,
        },
        **AUTH,
        **INVALID,
    },
)
def export_htcds(
    actor: ActorDep,
    year: ReceptionYear,
    province: ScopeProvince = None,
    fmt: Annotated[Literal["json", "csv", "xlsx"], Query(alias="format")] = "json",
    personal_data: Annotated[
        bool, Query(description="include the vault's fields (names, ID number, contacts)")
    ] = False,
    purpose: Annotated[
        str | None,
        Query(min_length=1, max_length=64, description="required with personal_data=true"),
    ] = None,
) -> Response:
    """The cases received in a year, one row per case, under HTCDS field names. Without
    personal data: no case id, name, date or amount, and every combination of province, year,
    sex, nationality and age band is shared by at least 11 persons. With personal data: only
    for a role that may read the vault, for a stated purpose, audited with every case id."""
    document = exports.export_htcds(actor, province, year, fmt, personal_data, purpose)
    headers = {"X-Withheld-Rows": str(document.withheld_rows), "Cache-Control": "no-store"}
    if fmt == "json":
        return JSONResponse(document.model_dump(mode="json"), headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{exports.filename(document, fmt)}"'
    return Response(
        content=exports.render(document, fmt),
        media_type=exports.MEDIA_TYPES[fmt],
        headers=headers,
    )
