"""The legal wording a decision document needs: each line's Vietnamese name, and the "Căn cứ"
sentences for the citations the decision's lines actually use.

It lives with the rules because it is legal text about the rules; the document renderer only
prints what it is given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from benefits_rules.catalogue import ITEM_KEYS
from benefits_rules.citations import long_form
from benefits_rules.errors import RulesDataError
from benefits_rules.yamlio import load_yaml

DATA = Path(__file__).parent / "data"


@cache
def item_labels() -> dict[str, str]:
    """Every item key's Vietnamese name; a missing one stops start-up."""
    labels = load_yaml(DATA / "item_labels.yaml")
    missing = sorted(ITEM_KEYS - set(labels))
    if missing:
        raise RulesDataError(str(DATA / "item_labels.yaml"), missing[0], "no label")
    return {str(k): str(v) for k, v in labels.items()}


@cache
def _bases() -> tuple[list[tuple[int, str]], dict[str, tuple[int, str]]]:
    data = load_yaml(DATA / "legal_bases.yaml")
    always = [(int(e["order"]), str(e["text"])) for e in data["always"]]
    instruments = {
        str(k): (int(v["order"]), str(v["text"])) for k, v in data["instruments"].items()
    }
    return always, instruments


def legal_bases(cites: Iterable[str], rate_citations: Iterable[str] = ()) -> list[str]:
    """The "Căn cứ" sentences for these citation ids, laws first, then decrees, circulars, and
    the provincial resolutions whose rates were used (`rate_citations`, their citation texts)."""
    always, instruments = _bases()
    chosen: dict[str, int] = {text: order for order, text in always}
    for cite in cites:
        prefix = cite.split(":", 1)[0]
        if prefix in instruments:
            order, text = instruments[prefix]
            chosen.setdefault(text, order)
    for citation in rate_citations:
        chosen.setdefault(citation, 50)
    return [text for text, _ in sorted(chosen.items(), key=lambda pair: (pair[1], pair[0]))]


def line_basis(cites: Iterable[str]) -> str:
    """A short legal basis for one line, as a table cell can hold it: its content articles
    (after the group article), "Điều 38 Luật số 53/2024/QH15; Điều 17 Nghị định số …"."""
    ids = [c for c in cites if not c.startswith("rate:")]
    content = ids[1:] or ids
    return "; ".join(_short(long_form(c)) for c in content[:2])


def _short(text: str) -> str:
    text = re.sub(r"\s*\([^)]*\)", "", text).strip()
    found = re.match(r"^(.*?), (Điều \d+)$", text)
    return f"{found.group(2)} {found.group(1)}" if found else text
