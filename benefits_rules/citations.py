"""Citation ids and their long form (law brief §6).

Items carry short ids so that they stay comparable and cheap; the decision document and the
trace print the long form from here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from benefits_rules.errors import RulesDataError
from benefits_rules.yamlio import load_yaml

CITATIONS_FILE = Path(__file__).parent / "data" / "citations.yaml"


@cache
def citations() -> dict[str, str]:
    """All citation ids the engine may put on an item, with their long form."""
    data = load_yaml(CITATIONS_FILE)
    if not isinstance(data, dict):
        raise RulesDataError(str(CITATIONS_FILE), "-", "must be a mapping of id to text")
    for key, text in data.items():
        if not isinstance(key, str) or not isinstance(text, str) or not text.strip():
            raise RulesDataError(str(CITATIONS_FILE), str(key), "each id needs a non-empty text")
    return dict(data)


def long_form(cite: str) -> str:
    """The text a document prints for a citation id; unknown ids come back unchanged."""
    return citations().get(cite, cite)


def is_known(cite: str) -> bool:
    """Whether an id is one of the fixed citations (rate citations are checked elsewhere)."""
    return cite in citations()
