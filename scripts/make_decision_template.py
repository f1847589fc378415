"""Write `documents/templates/decision.docx`: the page and the named styles of a decision.

Run from the repository root:

    .venv/bin/python scripts/make_decision_template.py

All the typography of a "Quyết định" lives here, in named styles (Decree 30/2020/NĐ-CP,
Phụ lục I; `shared/documents/format.md` §1): Times New Roman, the sizes, bold and italics, the
alignment, indents and spacing, the solid lines under the motto, the issuing body and the trích
yếu (paragraph borders), the ruled items table. The renderer (`documents/render.py`) only chooses
these styles. The page is A4 portrait with margins 20/20/30/15 mm; the page number (a PAGE field,
13 pt, centred in the top margin) is shown from page 2 on; the footer holds one empty paragraph
the renderer fills with the content hash.

The template starts from python-docx's default package, keeps only the parts a decision needs
(document, styles, settings, numbering, fonts, the properties) and replaces every style, so that
opening it for each document is cheap. The output is byte-stable: running the script twice gives
the same file.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import quoteattr

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Twips

from documents.layout import (
    BODY_LINE_STYLES_MM,
    CELL_MARGIN,
    FOOTER_DISTANCE_MM,
    GRID_CELL_MARGIN,
    HEADER_COLUMNS,
    HEADER_DISTANCE_MM,
    MARGIN_BOTTOM_MM,
    MARGIN_LEFT_MM,
    MARGIN_RIGHT_MM,
    MARGIN_TOP_MM,
    MOTTO_LINE_MM,
    ORGAN_LINE_STYLES_MM,
    PAGE_HEIGHT_MM,
    PAGE_WIDTH_MM,
    TEXT_WIDTH,
    TWIPS_PER_MM,
    Style,
    body_line_name,
    organ_line_name,
    style_id,
    twips,
)
from documents.package import stable_zip

OUT = Path(__file__).resolve().parents[1] / "documents" / "templates" / "decision.docx"
FONT = "Times New Roman"
FIXED_TIME = datetime(2026, 1, 1)  # noqa: DTZ001 - core properties are written as naive UTC
FIRST_LINE_MM = 12.7  # 1.27 cm (Phụ lục I: 1 cm or 1.27 cm)
RULE = 'w:val="single" w:sz="6" w:space="0" w:color="000000"'


@dataclass(frozen=True)
class Para:
    """One paragraph style; sizes in points, indents in millimetres, spacing in points."""

    name: str
    size: float
    bold: bool = False
    italic: bool = False
    caps: bool = False
    color: str | None = None
    align: str = "left"  # left, center, right, both
    first_line: float | None = None
    left: float | None = None
    right: float | None = None
    before: float = 0
    after: float = 0
    line: float = 1.0  # multiple of single spacing
    exact_line: float | None = None  # points, for the thin rule paragraphs
    keep_next: bool = False
    border: str | None = None  # "bottom" or "box"
    next_name: str | None = None


def _rpr(size: float, bold: bool, italic: bool, caps: bool, color: str | None) -> str:
    """Run properties in schema order (rFonts, b, i, caps, color, sz, szCs, lang)."""
    parts = [
        f'<w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}" w:eastAsia="{FONT}" w:cs="{FONT}"/>',
        "<w:b/><w:bCs/>" if bold else '<w:b w:val="0"/><w:bCs w:val="0"/>',
        "<w:i/><w:iCs/>" if italic else '<w:i w:val="0"/><w:iCs w:val="0"/>',
        "<w:caps/>" if caps else "",
        f'<w:color w:val="{color or "000000"}"/>',
        f'<w:sz w:val="{round(size * 2)}"/><w:szCs w:val="{round(size * 2)}"/>',
        '<w:lang w:val="vi-VN" w:eastAsia="vi-VN" w:bidi="ar-SA"/>',
    ]
    return "<w:rPr>" + "".join(parts) + "</w:rPr>"


def _ppr(p: Para) -> str:
    """Paragraph properties in schema order (keepNext, widowControl, pBdr, spacing, ind, jc)."""
    parts = ["<w:keepNext/>" if p.keep_next else "", "<w:widowControl/>"]
    if p.border == "bottom":
        parts.append(f"<w:pBdr><w:bottom {RULE}/></w:pBdr>")
    elif p.border == "box":
        side = 'w:val="single" w:sz="12" w:space="4" w:color="C00000"'
        parts.append(
            f"<w:pBdr><w:top {side}/><w:left {side}/><w:bottom {side}/><w:right {side}/></w:pBdr>"
        )
    if p.exact_line is not None:
        line = f'w:line="{round(p.exact_line * 20)}" w:lineRule="exact"'
    else:
        line = f'w:line="{round(p.line * 240)}" w:lineRule="auto"'
    parts.append(
        f'<w:spacing w:before="{round(p.before * 20)}" w:after="{round(p.after * 20)}" {line}/>'
    )
    ind = []
    if p.left is not None:
        ind.append(f'w:left="{twips(p.left)}"')
    if p.right is not None:
        ind.append(f'w:right="{twips(p.right)}"')
    if p.first_line is not None:
        ind.append(f'w:firstLine="{twips(p.first_line)}"')
    if ind:
        parts.append(f"<w:ind {' '.join(ind)}/>")
    parts.append(f'<w:jc w:val="{p.align}"/>')
    return "<w:pPr>" + "".join(parts) + "</w:pPr>"


def paragraph_style(p: Para) -> str:
    """The <w:style> element of one paragraph style."""
    next_id = style_id(p.next_name) if p.next_name else style_id(p.name)
    return (
        f'<w:style w:type="paragraph" w:customStyle="1" w:styleId="{style_id(p.name)}">'
        f"<w:name w:val={quoteattr(p.name)}/>"
        '<w:basedOn w:val="Normal"/>'
        f'<w:next w:val="{next_id}"/>'
        "<w:qFormat/>" + _ppr(p) + _rpr(p.size, p.bold, p.italic, p.caps, p.color) + "</w:style>"
    )


def table_style(name: str, ruled: bool, cell_margin: int) -> str:
    """A table style: borderless for the layout tables, single rules for the items table."""
    edge = 'w:val="single" w:sz="4" w:space="0" w:color="000000"' if ruled else 'w:val="nil"'
    borders = "".join(
        f"<w:{side} {edge}/>" for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    return (
        f'<w:style w:type="table" w:customStyle="1" w:styleId="{style_id(name)}">'
        f"<w:name w:val={quoteattr(name)}/>"
        '<w:basedOn w:val="TableNormal"/>'
        "<w:qFormat/>"
        '<w:tblPr><w:tblInd w:w="0" w:type="dxa"/>'
        f"<w:tblBorders>{borders}</w:tblBorders>"
        f'<w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="{cell_margin}" w:type="dxa"/>'
        f'<w:bottom w:w="0" w:type="dxa"/><w:right w:w="{cell_margin}" w:type="dxa"/>'
        "</w:tblCellMar></w:tblPr>"
        "</w:style>"
    )


def _centred_rule(name: str, length_mm: float, container_twips: int) -> Para:
    """A thin empty paragraph whose bottom border is a centred line `length_mm` long."""
    side = (container_twips / (1440 / 25.4) - length_mm) / 2
    return Para(name, size=1, left=side, right=side, exact_line=2, border="bottom", align="center")


def _body(name: str, *, bold: bool = False, italic: bool = False, keep_next: bool = False) -> Para:
    """A body paragraph: 14 pt, justified, first line 1.27 cm, 6 pt after, single spacing."""
    return Para(
        name,
        size=14,
        bold=bold,
        italic=italic,
        align="both",
        first_line=FIRST_LINE_MM,
        after=6,
        keep_next=keep_next,
    )


def paragraph_styles() -> list[Para]:
    """Every paragraph style of a decision, after Phụ lục I (sizes in brackets there)."""
    left_cell = HEADER_COLUMNS[0] - 2 * CELL_MARGIN
    right_cell = HEADER_COLUMNS[1] - 2 * CELL_MARGIN
    styles = [
        # ô 1: Quốc hiệu 12 bold upper case; Tiêu ngữ 13 bold, a line as long as the text
        Para(Style.QUOC_HIEU, size=12, bold=True, caps=True, align="center", keep_next=True),
        Para(Style.TIEU_NGU, size=13, bold=True, align="center", keep_next=True),
        _centred_rule(Style.GACH_TIEU_NGU, MOTTO_LINE_MM, right_cell),
        # ô 2: parent body 13 regular, issuing body 13 bold, both upper case
        Para(Style.CO_QUAN_CHU_QUAN, size=13, caps=True, align="center", keep_next=True),
        Para(Style.CO_QUAN_BAN_HANH, size=13, bold=True, caps=True, align="center"),
        # ô 3 and ô 4 share a row: Số 13 regular, place and date 13 italic
        Para(Style.SO_KY_HIEU, size=13, align="center", before=6),
        Para(Style.DIA_DANH_NGAY, size=13, italic=True, align="center", before=6),
        # the sample notice and the copy label
        Para(
            Style.MAU,
            size=14,
            bold=True,
            color="C00000",
            align="center",
            left=35,
            right=35,
            before=12,
            after=0,
            border="box",
        ),
        Para(Style.BAN_SAO, size=12, bold=True, caps=True, align="right", after=6),
        # ô 5a: tên loại and trích yếu 14 bold, a line under the trích yếu
        Para(
            Style.TEN_LOAI, size=14, bold=True, caps=True, align="center", before=18, keep_next=True
        ),
        Para(Style.TRICH_YEU, size=14, bold=True, align="center", keep_next=True),
        # the issuing authority and "QUYẾT ĐỊNH:" (unstated; centred bold upper case, as usual)
        Para(
            Style.THAM_QUYEN,
            size=14,
            bold=True,
            caps=True,
            align="center",
            before=12,
            after=6,
            keep_next=True,
        ),
        Para(
            Style.QUYET_DINH,
            size=14,
            bold=True,
            caps=True,
            align="center",
            before=6,
            after=6,
            keep_next=True,
        ),
        # the preamble: italic, one basis per line; the body: justified, indent 1.27 cm
        _body(Style.CAN_CU, italic=True),
        _body(Style.DIEU, bold=True, keep_next=True),
        _body(Style.NOI_DUNG),
        # the items table (12 pt: tables are commonly a size below the body)
        Para(Style.BANG, size=12, align="left", before=2, after=2),
        Para(Style.BANG_GIUA, size=12, align="center", before=2, after=2),
        Para(Style.BANG_SO, size=12, align="right", before=2, after=2),
        Para(Style.BANG_TIEU_DE, size=12, bold=True, align="center", before=2, after=2),
        Para(Style.BANG_TONG, size=12, bold=True, align="right", before=2, after=2),
        Para(Style.KIEM_TRA_PHAP_LY, size=12, italic=True, align="both", before=4, after=6),
        # ô 9b: "Nơi nhận:" 12 bold italic, the list 11 regular
        Para(Style.NOI_NHAN_TIEU_DE, size=12, bold=True, italic=True, align="left", before=12),
        Para(Style.NOI_NHAN, size=11, align="left"),
        # ô 7a/7b: authority and title 14 bold upper case; the name 14 bold, room to sign above
        Para(
            Style.THAM_QUYEN_KY,
            size=14,
            bold=True,
            caps=True,
            align="center",
            before=12,
            keep_next=True,
        ),
        Para(Style.CHUC_VU, size=14, bold=True, caps=True, align="center", keep_next=True),
        Para(Style.HO_TEN, size=14, bold=True, align="center", before=84),
        # page furniture
        Para(Style.CHAN_TRANG, size=9, align="center"),
        Para(Style.SO_TRANG, size=13, align="center"),
    ]
    styles += [_centred_rule(organ_line_name(mm), mm, left_cell) for mm in ORGAN_LINE_STYLES_MM]
    styles += [_centred_rule(body_line_name(mm), mm, TEXT_WIDTH) for mm in BODY_LINE_STYLES_MM]
    return styles


def styles_xml() -> str:
    """The whole content of styles.xml: defaults, the four base styles, the decision's styles."""
    base = (
        "<w:docDefaults><w:rPrDefault>"
        + _rpr(14, False, False, False, None)
        + '</w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="240" '
        'w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>'
        '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/>'
        "<w:qFormat/><w:pPr><w:widowControl/></w:pPr>"
        + _rpr(14, False, False, False, None)
        + "</w:style>"
        '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
        '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/>'
        "<w:unhideWhenUsed/></w:style>"
        '<w:style w:type="table" w:default="1" w:styleId="TableNormal">'
        '<w:name w:val="Normal Table"/><w:uiPriority w:val="99"/><w:semiHidden/>'
        '<w:unhideWhenUsed/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar>'
        f'<w:top w:w="0" w:type="dxa"/><w:left w:w="{CELL_MARGIN}" w:type="dxa"/>'
        f'<w:bottom w:w="0" w:type="dxa"/><w:right w:w="{CELL_MARGIN}" w:type="dxa"/>'
        "</w:tblCellMar></w:tblPr></w:style>"
        '<w:style w:type="numbering" w:default="1" w:styleId="NoList"><w:name w:val="No List"/>'
        '<w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/></w:style>'
    )
    ours = "".join(paragraph_style(p) for p in paragraph_styles())
    tables = table_style(Style.KHUNG, ruled=False, cell_margin=CELL_MARGIN) + table_style(
        Style.LUOI, ruled=True, cell_margin=GRID_CELL_MARGIN
    )
    return base + ours + tables


def _paragraph(style: str, inner: str = "") -> str:
    return f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="{style_id(style)}"/></w:pPr>{inner}</w:p>'


PAGE_FIELD = (
    '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
    '<w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>'
    '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
    "<w:r><w:t>2</w:t></w:r>"
    '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
)


def _set_only_paragraph(element: object, xml: str) -> None:
    """Replace the content of a header or footer with one paragraph."""
    for child in list(element):  # type: ignore[call-overload]
        element.remove(child)  # type: ignore[attr-defined]
    element.append(parse_xml(xml))  # type: ignore[attr-defined]


def build() -> bytes:
    """The template's bytes."""
    document = docx.Document()
    part = document.part
    # keep only the parts a decision uses
    for rel_id, rel in list(part.rels.items()):
        if rel.reltype in (
            RT.CUSTOM_XML,
            RT.THEME,
            RT.WEB_SETTINGS,
            "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects",
        ):
            del part.rels[rel_id]
    package_rels = part.package.rels
    for rel_id, rel in list(package_rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del package_rels[rel_id]

    styles = document.styles.element
    for child in list(styles):
        styles.remove(child)
    for child in parse_xml(f"<w:styles {nsdecls('w')}>{styles_xml()}</w:styles>"):
        styles.append(child)

    # settings: no proofing marks, Vietnamese
    settings = document.settings.element
    for tag in ("w:proofState", "w:rsids", "w:attachedTemplate"):
        for found in settings.findall(qn(tag)):
            settings.remove(found)

    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    section = document.sections[0]
    sect_pr = section._sectPr
    for attribute in list(sect_pr.attrib):
        del sect_pr.attrib[attribute]
    section.page_width = Mm(PAGE_WIDTH_MM)
    section.page_height = Mm(PAGE_HEIGHT_MM)
    # margins rounded up to whole twips, so that none falls a hair below its range
    section.top_margin = Twips(math.ceil(MARGIN_TOP_MM * TWIPS_PER_MM))
    section.bottom_margin = Twips(math.ceil(MARGIN_BOTTOM_MM * TWIPS_PER_MM))
    section.left_margin = Twips(math.ceil(MARGIN_LEFT_MM * TWIPS_PER_MM))
    section.right_margin = Twips(math.ceil(MARGIN_RIGHT_MM * TWIPS_PER_MM))
    section.header_distance = Mm(HEADER_DISTANCE_MM)
    section.footer_distance = Mm(FOOTER_DISTANCE_MM)
    section.gutter = Mm(0)
    section.different_first_page_header_footer = True
    # page numbers from page 2 on, none on page 1
    _set_only_paragraph(section.header._element, _paragraph(Style.SO_TRANG, PAGE_FIELD))
    _set_only_paragraph(section.first_page_header._element, _paragraph(Style.SO_TRANG))
    # the content hash on every page, filled by the renderer
    _set_only_paragraph(section.footer._element, _paragraph(Style.CHAN_TRANG))
    _set_only_paragraph(section.first_page_footer._element, _paragraph(Style.CHAN_TRANG))

    core = document.core_properties
    core.author = "Vòng Tay"
    core.last_modified_by = "Vòng Tay"
    core.title = "Quyết định hỗ trợ (mẫu trình bày theo Nghị định 30/2020/NĐ-CP)"
    core.subject = ""
    core.keywords = ""
    core.comments = ""
    core.category = ""
    core.language = "vi-VN"
    core.revision = 1
    core.created = FIXED_TIME
    core.modified = FIXED_TIME
    core.last_printed = FIXED_TIME

    buffer = io.BytesIO()
    document.save(buffer)
    return stable_zip(buffer.getvalue())


def main() -> None:
    """Write the template and say where."""
    OUT.parent.mkdir(parents=True, exist_ok=True)
    data = build()
    OUT.write_bytes(data)
    print(f"wrote {OUT} ({len(data):,} bytes)")


if __name__ == "__main__":
    main()
