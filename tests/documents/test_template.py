"""The committed template is the output of `scripts/make_decision_template.py`, with its styles."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path
from types import ModuleType

import docx
from docx.enum.style import WD_STYLE_TYPE

from documents.layout import Style, body_line_name, organ_line_name

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "documents" / "templates" / "decision.docx"
SCRIPT = REPO / "scripts" / "make_decision_template.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_decision_template", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_committed_template_is_up_to_date() -> None:
    """Edit the script, then run it: the file must be its output, byte for byte."""
    assert load_script().build() == TEMPLATE.read_bytes(), (
        "documents/templates/decision.docx is stale: run "
        ".venv/bin/python scripts/make_decision_template.py"
    )


def test_template_has_every_named_style() -> None:
    styles = docx.Document(io.BytesIO(TEMPLATE.read_bytes())).styles
    names = {s.name for s in styles}
    paragraph_styles = [
        value
        for key, value in vars(Style).items()
        if key.isupper() and value not in ("VT Khung", "VT Lưới")
    ]
    for name in paragraph_styles:
        assert name in names, name
        assert styles[name].type == WD_STYLE_TYPE.PARAGRAPH
        assert styles[name].font.name == "Times New Roman", name
    for name in (Style.KHUNG, Style.LUOI):
        assert styles[name].type == WD_STYLE_TYPE.TABLE
    assert organ_line_name(20) in names
    assert body_line_name(40) in names


def test_template_body_is_empty() -> None:
    document = docx.Document(io.BytesIO(TEMPLATE.read_bytes()))
    assert document.paragraphs == [] and document.tables == []
