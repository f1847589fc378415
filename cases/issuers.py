"""Who issues each province's decisions and how the document names them (data/issuers.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from benefits_rules.provinces import registry

ISSUERS_FILE = Path(__file__).parent / "data" / "issuers.yaml"


@dataclass(frozen=True, slots=True)
class Issuer:
    """The issuing body of a province's decisions, with the wording its documents use."""

    code: str
    parent_body: str
    issuing_body: str
    symbol: str
    place: str
    authority: str
    title: str
    signer_authority: str
    signer_title: str
    paying_agency: str
    funding_source: str
    proposal: str
    responsible: tuple[str, ...]
    recipients: tuple[str, ...]
    archive: str


@cache
def _data() -> dict[str, Any]:
    with ISSUERS_FILE.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict) or "default" not in data:
        raise RuntimeError(f"{ISSUERS_FILE}: needs a `default` entry")
    return data


def issuer_for(province: str, year: int) -> Issuer:
    """The province's issuer: its own entry over the default, with the names filled in."""
    data = _data()
    fields = {**data["default"], **(data.get("provinces") or {}).get(province, {})}
    name = registry()[province].name if province in registry() else province
    short = name
    for prefix in ("Thành phố ", "Tỉnh "):
        short = short.removeprefix(prefix)
    upper = name.upper()

    def fill(text: str) -> str:
        return (
            text.replace("{PROVINCE_UPPER}", upper)
            .replace("{PROVINCE_SHORT}", short)
            .replace("{YEAR}", str(year))
        )

    return Issuer(
        code=f"{fields['code']}-{province}",
        parent_body=fill(fields["parent_body"]),
        issuing_body=fill(fields["issuing_body"]),
        symbol=fields["symbol"],
        place=fill(fields["place"]),
        authority=fill(fields["authority"]),
        title=fill(fields["title"]),
        signer_authority=fields["signer_authority"],
        signer_title=fields["signer_title"],
        paying_agency=fill(fields["paying_agency"]),
        funding_source=fill(fields["funding_source"]),
        proposal=fill(fields["proposal"]),
        responsible=tuple(fill(r) for r in fields["responsible"]),
        recipients=tuple(fill(r) for r in fields["recipients"]),
        archive=fill(fields["archive"]),
    )
