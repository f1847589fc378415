"""Render a `DecisionView` as a "Quyết định" after Decree 30/2020/NĐ-CP (Phụ lục I, Mẫu 1.2).

The page, the typography and the solid lines come from the named styles of
`templates/decision.docx` (see `scripts/make_decision_template.py`); this module only lays out
the text and chooses a style for each paragraph. The body is written as WordprocessingML and
parsed once, which is both exact (table widths, merged cells, repeated header row) and fast.

Layout, top to bottom:

- the copy label, when the view has one;
- a borderless two-column table: [parent body, issuing body, line | Quốc hiệu, Tiêu ngữ, line]
  and, on a second row so that they stay level, [Số: 05/QĐ-SYT | Mẫu, ngày 05 tháng 01 năm 2026];
- the sample notice "MẪU – không có giá trị pháp lý" for a view from a sample schedule;
- QUYẾT ĐỊNH, the trích yếu and its line, the issuing authority;
- the căn cứ lines and "Theo đề nghị …", each ending ";" and the last ".";
- QUYẾT ĐỊNH:, then Điều 1 (the person, the items table, the total in figures and in words),
  Điều 2 (the source of funds and who pays), Điều 3 (effect from signing, the decision it
  replaces, who carries it out "./.");
- a borderless two-column table: [Nơi nhận | authority, title, room to sign, name];
- in the footer of every page, the content hash; in the header from page 2, the page number.
"""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources

import docx
from docx.document import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from documents.layout import (
    HEADER_COLUMNS,
    ITEM_COLUMNS,
    SIGNATURE_COLUMNS,
    Style,
    body_line_style,
    organ_line_style,
    style_id,
)
from documents.package import stable_zip
from documents.view import DecisionView, ItemLine
from documents.words import amount_in_words, format_vnd

__all__ = [
    "AUTHOR",
    "DEFAULT_LEGAL_CHECK_NOTE",
    "HASH_LABEL",
    "ITEM_HEADERS",
    "SAMPLE_NOTICE",
    "render_decision",
    "vietnamese_date",
]

AUTHOR = "Vòng Tay"
SAMPLE_NOTICE = "MẪU – không có giá trị pháp lý"
LEGAL_CHECK_MARK = "(*)"
DEFAULT_LEGAL_CHECK_NOTE = "Mức hỗ trợ dựa trên quy định chưa được xác nhận, cần kiểm tra pháp lý"
HASH_LABEL = "Mã kiểm tra nội dung (SHA-256): "
ITEM_HEADERS = (
    "TT",
    "Nội dung hỗ trợ",
    "Căn cứ pháp lý",
    "Số lượng",
    "Mức hỗ trợ",
    "Thành tiền (đồng)",
)
QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"

# characters XML 1.0 cannot carry (C0 controls other than tab and newline)
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --- text helpers -------------------------------------------------------------------------


def _clean(text: str) -> str:
    """NFC text (precomposed Vietnamese letters, as TCVN 6909 has them), trimmed."""
    found = _FORBIDDEN.search(text)
    if found:
        raise ValueError(f"control character {found.group()!r} in {text!r}")
    return unicodedata.normalize("NFC", text).strip()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _strip_end(text: str) -> str:
    """A sentence without its closing punctuation, so that the layout adds the right one."""
    return _clean(text).rstrip(" .;,:")


def _drop_prefix(text: str, *prefixes: str) -> str:
    for prefix in prefixes:
        if text.casefold().startswith(prefix.casefold()):
            return text[len(prefix) :].lstrip()
    return text


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join_parties(parties: list[str]) -> str:
    """Join the parties of the last article the Vietnamese way: "A, B và C"."""
    if len(parties) <= 1:
        return "".join(parties)
    return ", ".join(parties[:-1]) + " và " + parties[-1]


def vietnamese_date(place: str, day: date) -> str:
    """The place and date line of ô 4: "Nghệ An, ngày 05 tháng 01 năm 2026".

    Why: Phụ lục I prescribes a leading zero for days under 10 and for the months 1 and 2, and
    for no other month ("ngày 29 tháng 6 năm 2019"); every decision must write it the same way.
    """
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{_clean(place)}, ngày {day.day:02d} tháng {month} năm {day.year}"


def _number_symbol(number: int, symbol: str) -> str:
    """The number and symbol, "05/QĐ-SYT": numbers under 10 take a leading zero (ô 3)."""
    return f"{number:02d}/{_clean(symbol).replace(' ', '')}"


# --- WordprocessingML builders ------------------------------------------------------------


def _runs(text: str) -> str:
    lines = text.split("\n")
    inner = "<w:br/>".join(f'<w:t xml:space="preserve">{_escape(line)}</w:t>' for line in lines)
    return f"<w:r>{inner}</w:r>" if text else ""


def _p(style: str, text: str = "") -> str:
    """One paragraph in a named style; the style carries all the formatting."""
    return f'<w:p><w:pPr><w:pStyle w:val="{style_id(style)}"/></w:pPr>{_runs(text)}</w:p>'


def _cell(width: int, paragraphs: list[str], span: int = 1) -> str:
    span_xml = f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
    content = "".join(paragraphs) or _p(Style.BANG)
    return f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{span_xml}</w:tcPr>{content}</w:tc>'


def _row(cells: list[str], *, header: bool = False) -> str:
    props = "<w:cantSplit/>" + ("<w:tblHeader/>" if header else "")
    return f"<w:tr><w:trPr>{props}</w:trPr>{''.join(cells)}</w:tr>"


def _table(style: str, widths: tuple[int, ...], rows: list[str]) -> str:
    grid = "".join(f'<w:gridCol w:w="{width}"/>' for width in widths)
    return (
        f'<w:tbl><w:tblPr><w:tblStyle w:val="{style_id(style)}"/>'
        f'<w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:tblLayout w:type="fixed"/>'
        '<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" '
        'w:lastColumn="0" w:noHBand="1" w:noVBand="1"/></w:tblPr>'
        f"<w:tblGrid>{grid}</w:tblGrid>{''.join(rows)}</w:tbl>"
    )


# --- the parts of a decision --------------------------------------------------------------


def _header_table(view: DecisionView) -> str:
    left, right = HEADER_COLUMNS
    issuing = _clean(view.issuing_body)
    organ = (
        [_p(Style.CO_QUAN_CHU_QUAN, _clean(view.parent_body))] if _clean(view.parent_body) else []
    )
    organ += [_p(Style.CO_QUAN_BAN_HANH, issuing), _p(organ_line_style(issuing))]
    top = _row(
        [
            _cell(left, organ),
            _cell(
                right,
                [
                    _p(Style.QUOC_HIEU, QUOC_HIEU),
                    _p(Style.TIEU_NGU, TIEU_NGU),
                    _p(Style.GACH_TIEU_NGU),
                ],
            ),
        ]
    )
    bottom = _row(
        [
            _cell(left, [_p(Style.SO_KY_HIEU, "Số: " + _number_symbol(view.number, view.symbol))]),
            _cell(right, [_p(Style.DIA_DANH_NGAY, vietnamese_date(view.place, view.issued_on))]),
        ]
    )
    return _table(Style.KHUNG, HEADER_COLUMNS, [top, bottom])


def _preamble(view: DecisionView) -> list[str]:
    """Căn cứ lines and "Theo đề nghị …": one enumeration, ";" after each, "." at the end."""
    lines = [
        "Căn cứ " + _drop_prefix(_strip_end(basis), "Căn cứ ")
        for basis in view.legal_bases
        if _strip_end(basis)
    ]
    if view.proposal and _strip_end(view.proposal):
        proposal = _strip_end(view.proposal)
        if not proposal.casefold().startswith("theo đề nghị"):
            proposal = "Theo đề nghị " + (
                proposal if proposal.casefold().startswith("của ") else "của " + proposal
            )
        lines.append(proposal)
    return [
        _p(Style.CAN_CU, line + ("." if index == len(lines) - 1 else ";"))
        for index, line in enumerate(lines)
    ]


def _quantity(item: ItemLine) -> str:
    if item.quantity is None:
        return ""
    unit = _clean(item.unit) if item.unit else ""
    return f"{format_vnd(item.quantity)} {unit}".strip()


def _rate(item: ItemLine) -> str:
    if item.rate_vnd is None:
        return ""
    unit = _clean(item.unit) if item.unit else ""
    return (
        f"{format_vnd(item.rate_vnd)} đồng/{unit}" if unit else f"{format_vnd(item.rate_vnd)} đồng"
    )


def _item_label(item: ItemLine) -> str:
    label = _clean(item.label)
    return f"{label} {LEGAL_CHECK_MARK}" if item.needs_legal_check else label


def _items_table(view: DecisionView) -> str:
    widths = ITEM_COLUMNS
    header = _row(
        [_cell(w, [_p(Style.BANG_TIEU_DE, h)]) for w, h in zip(widths, ITEM_HEADERS, strict=True)],
        header=True,
    )
    rows = [header]
    for number, item in enumerate(view.items, start=1):
        amount = (
            format_vnd(item.amount_vnd)
            if item.amount_vnd is not None
            else _clean(item.kind_note or "")
        )
        texts = (
            (Style.BANG_GIUA, str(number)),
            (Style.BANG, _item_label(item)),
            (Style.BANG, _clean(item.legal_basis)),
            (Style.BANG_GIUA, _quantity(item)),
            (Style.BANG_SO, _rate(item)),
            (Style.BANG_SO if item.amount_vnd is not None else Style.BANG_GIUA, amount),
        )
        rows.append(_row([_cell(w, [_p(s, t)]) for w, (s, t) in zip(widths, texts, strict=True)]))
    rows.append(
        _row(
            [
                _cell(sum(widths[:-1]), [_p(Style.BANG_TIEU_DE, "Tổng cộng")], span=5),
                _cell(widths[-1], [_p(Style.BANG_TONG, format_vnd(view.total_vnd))]),
            ]
        )
    )
    return _table(Style.LUOI, widths, rows)


def _list_lines(values: list[str]) -> list[str]:
    """Dash each line, end all but the last with ";" and the last with "."."""
    return [
        f"- {value}" + ("." if index == len(values) - 1 else ";")
        for index, value in enumerate(values)
    ]


def _article_1(view: DecisionView) -> list[str]:
    out = [_p(Style.DIEU, "Điều 1. Đối tượng và mức hỗ trợ")]
    people = [
        f"{_strip_end(label)}: {_strip_end(value)}"
        for label, value in view.beneficiary
        if _strip_end(label) or _strip_end(value)
    ]
    items_heading = "Các khoản hỗ trợ:"
    if people:
        out.append(_p(Style.NOI_DUNG, "1. Người được hỗ trợ:"))
        out += [_p(Style.NOI_DUNG, line) for line in _list_lines(people)]
        items_heading = "2. " + items_heading
    out.append(_p(Style.NOI_DUNG, items_heading))
    out.append(_items_table(view))
    if any(item.needs_legal_check for item in view.items):
        note = _strip_end(view.legal_check_note or DEFAULT_LEGAL_CHECK_NOTE)
        note = _drop_prefix(note, LEGAL_CHECK_MARK)
        out.append(_p(Style.KIEM_TRA_PHAP_LY, f"{LEGAL_CHECK_MARK} {note}."))
    total = format_vnd(view.total_vnd)
    words = amount_in_words(view.total_vnd)
    out.append(_p(Style.NOI_DUNG, f"Tổng cộng: {total} đồng (Bằng chữ: {words})."))
    if view.regime_note and _strip_end(view.regime_note):
        out.append(_p(Style.NOI_DUNG, _capitalise(_strip_end(view.regime_note)) + "."))
    return out


def _article_2(view: DecisionView) -> list[str]:
    source = _strip_end(view.funding_source)
    agency = _capitalise(_strip_end(view.paying_agency))
    return [
        _p(Style.DIEU, "Điều 2. Kinh phí thực hiện"),
        _p(Style.NOI_DUNG, f"Nguồn kinh phí: {source}."),
        _p(
            Style.NOI_DUNG,
            f"{agency} có trách nhiệm chi trả các khoản hỗ trợ tại Điều 1 "
            "và thanh quyết toán theo quy định.",
        ),
    ]


def _article_3(view: DecisionView) -> list[str]:
    """Effect, the decision replaced, who carries it out; the text ends "./." (Mẫu 1.2)."""
    sentences = ["Quyết định này có hiệu lực kể từ ngày ký"]
    if view.replaces and _strip_end(view.replaces):
        replaced = _drop_prefix(_strip_end(view.replaces), "Quyết định số ", "số ")
        sentences.append(f"Quyết định này thay thế Quyết định số {replaced}")
    parties = [_strip_end(party) for party in view.responsible if _strip_end(party)]
    if parties:
        who = _capitalise(_join_parties(parties))
        sentences.append(f"{who} chịu trách nhiệm thi hành Quyết định này")
    last = len(sentences) - 1
    return [_p(Style.DIEU, "Điều 3. Hiệu lực và trách nhiệm thi hành")] + [
        _p(Style.NOI_DUNG, sentence + ("./." if index == last else "."))
        for index, sentence in enumerate(sentences)
    ]


def _signature_table(view: DecisionView) -> str:
    left, right = SIGNATURE_COLUMNS
    recipients = [_drop_prefix(_strip_end(r), "- ") for r in view.recipients if _strip_end(r)]
    archive = _drop_prefix(_strip_end(view.archive), "- ", "Lưu:")
    received = [_p(Style.NOI_NHAN_TIEU_DE, "Nơi nhận:")]
    received += [_p(Style.NOI_NHAN, f"- {r};") for r in recipients]
    received.append(_p(Style.NOI_NHAN, f"- Lưu: {archive}."))
    lines = [_clean(line) for line in (view.signer_authority, view.signer_title) if _clean(line)]
    signer = [
        _p(Style.THAM_QUYEN_KY if index == 0 else Style.CHUC_VU, line)
        for index, line in enumerate(lines)
    ]
    signer.append(_p(Style.HO_TEN, _clean(view.signer_name)))
    return _table(
        Style.KHUNG, SIGNATURE_COLUMNS, [_row([_cell(left, received), _cell(right, signer)])]
    )


def _body_xml(view: DecisionView) -> str:
    title = _strip_end(view.title)
    parts: list[str] = []
    if view.copy_label and _clean(view.copy_label):
        parts.append(_p(Style.BAN_SAO, _clean(view.copy_label)))
    parts.append(_header_table(view))
    if view.sample:
        parts.append(_p(Style.MAU, SAMPLE_NOTICE))
    parts += [
        _p(Style.TEN_LOAI, "QUYẾT ĐỊNH"),
        _p(Style.TRICH_YEU, title),
        _p(body_line_style(title)),
        _p(Style.THAM_QUYEN, _clean(view.authority)),
        *_preamble(view),
        _p(Style.QUYET_DINH, "QUYẾT ĐỊNH:"),
        *_article_1(view),
        *_article_2(view),
        *_article_3(view),
        _signature_table(view),
    ]
    return "".join(parts)


# --- the package --------------------------------------------------------------------------


@cache
def _template_bytes() -> bytes:
    return resources.files("documents").joinpath("templates", "decision.docx").read_bytes()


def _fill_footers(document: Document, text: str) -> None:
    section = document.sections[0]
    for footer in (section.footer, section.first_page_footer):
        paragraph = footer.paragraphs[0]
        paragraph.add_run(text)


def _set_properties(document: Document, view: DecisionView) -> None:
    stamp = datetime(view.issued_on.year, view.issued_on.month, view.issued_on.day, tzinfo=UTC)
    core = document.core_properties
    core.author = AUTHOR
    core.last_modified_by = AUTHOR
    core.title = "Quyết định số " + _number_symbol(view.number, view.symbol)
    core.subject = _strip_end(view.title)
    core.created = stamp
    core.modified = stamp
    core.last_printed = stamp
    core.revision = 1


def render_decision(view: DecisionView) -> bytes:
    """The .docx bytes of a support decision, laid out after Decree 30/2020/NĐ-CP.

    Why: the decision is the document an official signs and the person keeps; the case file
    stores it immutably with its hash, so the same view always gives byte-identical output
    (fixed properties dated to the issue date, fixed zip timestamps and entry order), and the
    typography comes from the template's named styles so that it can be corrected without code.
    """
    document = docx.Document(io.BytesIO(_template_bytes()))
    body = document.element.body
    sect_pr = body.find(qn("w:sectPr"))
    fragment = parse_xml(f"<w:body {nsdecls('w')}>{_body_xml(view)}</w:body>")
    for child in list(fragment):
        if sect_pr is not None:
            sect_pr.addprevious(child)
        else:
            body.append(child)
    _fill_footers(document, HASH_LABEL + view.content_sha256)
    _set_properties(document, view)
    buffer = io.BytesIO()
    document.save(buffer)
    return stable_zip(buffer.getvalue())
