"""The rendered decision, opened again with python-docx (format.md §1–2, design §6)."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime

import docx
import pytest
from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm
from docx.table import Table
from docx.text.paragraph import Paragraph

from documents import DecisionView, ItemLine, amount_in_words, render_decision
from documents.example import example_view
from documents.package import FIXED_ZIP_TIME
from documents.render import (
    DEFAULT_LEGAL_CHECK_NOTE,
    ITEM_HEADERS,
    SAMPLE_NOTICE,
    vietnamese_date,
)

TOTAL_WORDS = "Mười bốn triệu không trăm tám mươi ba nghìn sáu trăm đồng"


def open_docx(data: bytes) -> Document:
    return docx.Document(io.BytesIO(data))


def render(**changes: object) -> Document:
    return open_docx(render_decision(example_view(**changes)))


def body_paragraphs(document: Document) -> list[Paragraph]:
    """The paragraphs outside tables, in order."""
    return [item for item in document.iter_inner_content() if isinstance(item, Paragraph)]


def all_paragraphs(document: Document) -> list[Paragraph]:
    """Every paragraph of the body, table cells included, in reading order."""
    found: list[Paragraph] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            found.append(item)
        else:
            for row in item.rows:
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    found += cell.paragraphs
    return found


def texts(paragraphs: list[Paragraph]) -> list[str]:
    return [p.text for p in paragraphs]


def styled(document: Document, style: str) -> list[str]:
    return [
        p.text for p in all_paragraphs(document) if p.style is not None and p.style.name == style
    ]


def cell_texts(table: Table, row: int, column: int) -> list[str]:
    return [p.text for p in table.rows[row].cells[column].paragraphs if p.text]


def whole_text(data: bytes) -> str:
    """All the text of the package (body, headers, footers), from the XML."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return " ".join(
            package.read(name).decode("utf-8")
            for name in package.namelist()
            if name.endswith(".xml")
        )


@pytest.fixture(scope="module")
def data() -> bytes:
    return render_decision(example_view())


@pytest.fixture(scope="module")
def document(data: bytes) -> Document:
    return open_docx(data)


# --- the header (ô 1–4) ----------------------------------------------------------------------


def test_header_table(document: Document) -> None:
    header = document.tables[0]
    assert len(header.columns) == 2
    assert cell_texts(header, 0, 0) == ["UBND TỈNH MẪU", "SỞ Y TẾ"]
    assert cell_texts(header, 0, 1) == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ]
    assert cell_texts(header, 1, 0) == ["Số: 05/QĐ-SYT"]
    assert cell_texts(header, 1, 1) == ["Mẫu, ngày 05 tháng 01 năm 2026"]
    styles = [[p.style.name for p in cell.paragraphs] for cell in header.rows[0].cells]
    assert styles[0][:2] == ["VT Cơ quan chủ quản", "VT Cơ quan ban hành"]
    assert styles[0][2].startswith("VT Gạch cơ quan")
    assert styles[1] == ["VT Quốc hiệu", "VT Tiêu ngữ", "VT Gạch tiêu ngữ"]
    assert header.rows[1].cells[0].paragraphs[0].style.name == "VT Số ký hiệu"
    assert header.rows[1].cells[1].paragraphs[0].style.name == "VT Địa danh ngày"


def test_header_tables_are_borderless(document: Document) -> None:
    assert document.tables[0].style.name == "VT Khung"
    assert document.tables[-1].style.name == "VT Khung"
    assert document.tables[1].style.name == "VT Lưới"


@pytest.mark.parametrize(
    ("number", "expected"),
    [(1, "Số: 01/QĐ-SYT"), (9, "Số: 09/QĐ-SYT"), (10, "Số: 10/QĐ-SYT"), (1234, "Số: 1234/QĐ-SYT")],
)
def test_number_takes_a_leading_zero_under_ten(number: int, expected: str) -> None:
    assert cell_texts(render(number=number).tables[0], 1, 0) == [expected]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 5), "Mẫu, ngày 05 tháng 01 năm 2026"),
        (date(2026, 2, 28), "Mẫu, ngày 28 tháng 02 năm 2026"),
        (date(2019, 6, 29), "Mẫu, ngày 29 tháng 6 năm 2019"),
        (date(2026, 3, 9), "Mẫu, ngày 09 tháng 3 năm 2026"),
        (date(2026, 12, 31), "Mẫu, ngày 31 tháng 12 năm 2026"),
    ],
)
def test_place_and_date(day: date, expected: str) -> None:
    assert vietnamese_date("Mẫu", day) == expected


def test_date_in_the_document() -> None:
    document = render(issued_on=date(2026, 6, 29), place="Nghệ An")
    assert cell_texts(document.tables[0], 1, 1) == ["Nghệ An, ngày 29 tháng 6 năm 2026"]


# --- title, authority, preamble --------------------------------------------------------------


def test_title_block(document: Document) -> None:
    assert styled(document, "VT Tên loại") == ["QUYẾT ĐỊNH"]
    assert styled(document, "VT Trích yếu") == ["Về việc hỗ trợ đối với nạn nhân bị mua bán"]
    assert styled(document, "VT Thẩm quyền") == ["GIÁM ĐỐC SỞ Y TẾ TỈNH MẪU"]
    assert styled(document, "VT Quyết định") == ["QUYẾT ĐỊNH:"]
    order = texts(body_paragraphs(document))
    assert order.index("QUYẾT ĐỊNH") < order.index("GIÁM ĐỐC SỞ Y TẾ TỈNH MẪU")
    assert order.index("GIÁM ĐỐC SỞ Y TẾ TỈNH MẪU") < order.index("QUYẾT ĐỊNH:")
    # the line under the trích yếu follows it
    paragraphs = body_paragraphs(document)
    title_at = order.index("Về việc hỗ trợ đối với nạn nhân bị mua bán")
    assert paragraphs[title_at + 1].style.name.startswith("VT Gạch trích yếu")


def test_legal_bases_and_proposal(document: Document) -> None:
    view = example_view()
    lines = styled(document, "VT Căn cứ")
    assert lines[:-1] == [f"Căn cứ {basis};" for basis in view.legal_bases]
    assert lines[-1] == (
        "Theo đề nghị của Trưởng phòng Bảo trợ xã hội tại Tờ trình số 12/TTr-BTXH ngày 02 "
        "tháng 01 năm 2026."
    )


def test_last_legal_basis_ends_with_a_full_stop_without_a_proposal() -> None:
    view = example_view()
    lines = styled(render(proposal=None), "VT Căn cứ")
    assert lines == [f"Căn cứ {b};" for b in view.legal_bases[:-1]] + [
        f"Căn cứ {view.legal_bases[-1]}."
    ]


def test_preamble_tolerates_given_prefixes_and_punctuation() -> None:
    document = render(
        legal_bases=("Căn cứ Luật Phòng, chống mua bán người ngày 28 tháng 11 năm 2024;",),
        proposal="Theo đề nghị của Trưởng phòng Bảo trợ xã hội.",
    )
    assert styled(document, "VT Căn cứ") == [
        "Căn cứ Luật Phòng, chống mua bán người ngày 28 tháng 11 năm 2024;",
        "Theo đề nghị của Trưởng phòng Bảo trợ xã hội.",
    ]


# --- Điều 1: the person, the items, the total ------------------------------------------------


def test_beneficiary_lines(document: Document) -> None:
    body = styled(document, "VT Nội dung")
    assert "- Họ và tên: Nguyễn Thị Mai;" in body
    assert "- Nơi cư trú: xã Kim Liên, tỉnh Mẫu." in body


def test_items_table(document: Document) -> None:
    view = example_view()
    table = document.tables[1]
    assert [c.text for c in table.rows[0].cells] == list(ITEM_HEADERS)
    assert len(table.rows) == len(view.items) + 2
    for number, (item, row) in enumerate(zip(view.items, table.rows[1:-1], strict=True), 1):
        cells = [c.text for c in row.cells]
        assert cells[0] == str(number)
        assert cells[1].startswith(item.label)
        assert cells[2] == item.legal_basis
        if item.amount_vnd is None:
            assert cells[5] == item.kind_note
        else:
            assert cells[5] == f"{item.amount_vnd:,}".replace(",", ".")
    first = [c.text for c in table.rows[1].cells]
    assert first[3:] == ["90 ngày", "60.000 đồng/ngày", "5.400.000"]
    total_row = [c.text for c in table.rows[-1].cells]
    assert total_row[0] == "Tổng cộng" and total_row[-1] == "14.083.600"
    header_styles = {p.style.name for c in table.rows[0].cells for p in c.paragraphs}
    assert header_styles == {"VT Bảng tiêu đề"}
    cell_styles = {p.style.name for r in table.rows[1:-1] for c in r.cells for p in c.paragraphs}
    assert cell_styles <= {"VT Bảng", "VT Bảng giữa", "VT Bảng số"}


def test_service_lines_print_their_kind(document: Document) -> None:
    rows = {row.cells[1].text: row.cells[5].text for row in document.tables[1].rows[1:-1]}
    assert rows["Hỗ trợ tâm lý"] == "Dịch vụ"
    assert rows["Trợ giúp pháp lý"] == "Dịch vụ"


def test_total_in_figures_and_words(document: Document) -> None:
    assert amount_in_words(14_083_600) == TOTAL_WORDS
    assert f"Tổng cộng: 14.083.600 đồng (Bằng chữ: {TOTAL_WORDS})." in styled(
        document, "VT Nội dung"
    )


def test_total_comes_from_total_vnd() -> None:
    document = render(total_vnd=1_000_005)
    assert "Tổng cộng: 1.000.005 đồng (Bằng chữ: Một triệu không trăm linh năm đồng)." in styled(
        document, "VT Nội dung"
    )


def test_legal_check_marks(document: Document) -> None:
    view = example_view()
    for item, row in zip(view.items, document.tables[1].rows[1:-1], strict=True):
        assert row.cells[1].text.endswith("(*)") == item.needs_legal_check
    assert styled(document, "VT Kiểm tra pháp lý") == [f"(*) {DEFAULT_LEGAL_CHECK_NOTE}."]


def test_given_legal_check_note() -> None:
    document = render(legal_check_note="Mức trợ cấp theo Nghị quyết năm 2020, cần xác nhận")
    assert styled(document, "VT Kiểm tra pháp lý") == [
        "(*) Mức trợ cấp theo Nghị quyết năm 2020, cần xác nhận."
    ]


def test_no_legal_check_note_without_flagged_lines() -> None:
    items = tuple(replace(item, needs_legal_check=False) for item in example_view().items)
    document = render(items=items)
    assert styled(document, "VT Kiểm tra pháp lý") == []
    assert all("(*)" not in row.cells[1].text for row in document.tables[1].rows)


def test_regime_note(document: Document) -> None:
    assert "Chế độ hỗ trợ theo Luật Phòng, chống mua bán người năm 2024." in styled(
        document, "VT Nội dung"
    )
    assert not any("Chế độ" in t for t in styled(render(regime_note=None), "VT Nội dung"))


# --- Điều 2, Điều 3, replacement -------------------------------------------------------------


def test_articles(document: Document) -> None:
    assert [t.split(".")[0] for t in styled(document, "VT Điều")] == ["Điều 1", "Điều 2", "Điều 3"]
    body = styled(document, "VT Nội dung")
    assert any("Trung tâm Công tác xã hội tỉnh Mẫu có trách nhiệm chi trả" in t for t in body)
    assert any(t.startswith("Nguồn kinh phí: ngân sách nhà nước năm 2026") for t in body)
    assert "Quyết định này có hiệu lực kể từ ngày ký." in body
    last = body_paragraphs(document)[-1].text
    assert last == (
        "Chánh Văn phòng Sở, Trưởng phòng Bảo trợ xã hội, Giám đốc Trung tâm Công tác xã hội "
        "tỉnh Mẫu và bà Nguyễn Thị Mai chịu trách nhiệm thi hành Quyết định này./."
    )
    assert not any("thay thế" in t for t in body)


def test_text_ends_with_the_end_mark_without_responsible_parties() -> None:
    document = render(responsible=())
    assert body_paragraphs(document)[-1].text == "Quyết định này có hiệu lực kể từ ngày ký./."


def test_replacement() -> None:
    body = styled(render(replaces="03/QĐ-SYT ngày 02 tháng 01 năm 2026"), "VT Nội dung")
    assert "Quyết định này thay thế Quyết định số 03/QĐ-SYT ngày 02 tháng 01 năm 2026." in body


# --- Nơi nhận and signature ------------------------------------------------------------------


def test_recipients_and_signer(document: Document) -> None:
    bottom = document.tables[-1]
    assert cell_texts(bottom, 0, 0) == [
        "Nơi nhận:",
        "- Như Điều 3;",
        "- UBND tỉnh (để báo cáo);",
        "- Công an tỉnh;",
        "- Lưu: VT, BTXH.",
    ]
    assert cell_texts(bottom, 0, 1) == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Trần Văn Bình"]
    left = [p.style.name for p in bottom.rows[0].cells[0].paragraphs]
    assert left == ["VT Nơi nhận tiêu đề"] + ["VT Nơi nhận"] * 4
    right = [p.style.name for p in bottom.rows[0].cells[1].paragraphs]
    assert right == ["VT Thẩm quyền ký", "VT Chức vụ", "VT Họ tên"]


def test_signer_without_an_authority_line() -> None:
    bottom = render(signer_authority="", signer_title="GIÁM ĐỐC").tables[-1]
    assert cell_texts(bottom, 0, 1) == ["GIÁM ĐỐC", "Trần Văn Bình"]


# --- sample notice, copy label, footer, header -----------------------------------------------


def test_sample_notice(data: bytes, document: Document) -> None:
    assert styled(document, "VT Mẫu") == [SAMPLE_NOTICE]
    order = texts(body_paragraphs(document))
    assert order.index(SAMPLE_NOTICE) < order.index("QUYẾT ĐỊNH")
    assert SAMPLE_NOTICE in whole_text(data)


def test_no_sample_notice_for_a_real_schedule() -> None:
    data = render_decision(example_view(sample=False))
    assert SAMPLE_NOTICE not in whole_text(data)  # body, headers and footers
    assert "không có giá trị pháp lý" not in whole_text(data)
    assert styled(open_docx(data), "VT Mẫu") == []


def test_copy_label_at_the_top() -> None:
    document = render(copy_label="BẢN SAO GỬI CƠ SỞ ĐÀO TẠO NGHỀ")
    first = next(iter(document.iter_inner_content()))
    assert isinstance(first, Paragraph)
    assert first.text == "BẢN SAO GỬI CƠ SỞ ĐÀO TẠO NGHỀ"
    assert first.style.name == "VT Bản sao"


def test_no_copy_label_by_default(document: Document) -> None:
    assert isinstance(next(iter(document.iter_inner_content())), Table)
    assert styled(document, "VT Bản sao") == []


def test_footer_hash_on_every_page(document: Document) -> None:
    section = document.sections[0]
    expected = f"Mã kiểm tra nội dung (SHA-256): {example_view().content_sha256}"
    for footer in (section.footer, section.first_page_footer):
        assert [p.text for p in footer.paragraphs] == [expected]
        assert footer.paragraphs[0].style.name == "VT Chân trang"


def test_page_number_from_page_two(document: Document) -> None:
    section = document.sections[0]
    assert section.different_first_page_header_footer
    default_header = section.header._element.xml
    assert "PAGE" in default_header and 'w:fldCharType="begin"' in default_header
    assert section.header.paragraphs[0].style.name == "VT Số trang"
    assert "PAGE" not in section.first_page_header._element.xml


def test_page_is_a4_with_decree_margins(document: Document) -> None:
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(0.1)
    assert abs(section.page_height - Mm(297)) < Mm(0.1)
    assert Mm(20) <= section.top_margin <= Mm(25)
    assert Mm(20) <= section.bottom_margin <= Mm(25)
    assert Mm(30) <= section.left_margin <= Mm(35)
    assert Mm(15) <= section.right_margin <= Mm(20)


# --- styles only, no direct formatting -------------------------------------------------------


def test_every_paragraph_has_a_named_style(document: Document) -> None:
    names = {p.style.name for p in all_paragraphs(document)}
    assert all(name.startswith("VT ") for name in names), names


def test_no_direct_formatting_in_the_body(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        body = package.read("word/document.xml").decode("utf-8")
    for tag in ("w:rPr", "w:rFonts", "w:sz ", "<w:b/>", "<w:i/>", "w:jc ", "w:spacing", "w:ind "):
        assert tag not in body, tag


def test_styles_carry_the_decree_typography(document: Document) -> None:
    styles = document.styles
    for name, size, bold, italic in [
        ("VT Quốc hiệu", 12, True, False),
        ("VT Tiêu ngữ", 13, True, False),
        ("VT Cơ quan chủ quản", 13, False, False),
        ("VT Cơ quan ban hành", 13, True, False),
        ("VT Số ký hiệu", 13, False, False),
        ("VT Địa danh ngày", 13, False, True),
        ("VT Tên loại", 14, True, False),
        ("VT Trích yếu", 14, True, False),
        ("VT Căn cứ", 14, False, True),
        ("VT Nội dung", 14, False, False),
        ("VT Điều", 14, True, False),
        ("VT Nơi nhận tiêu đề", 12, True, True),
        ("VT Nơi nhận", 11, False, False),
        ("VT Chức vụ", 14, True, False),
        ("VT Họ tên", 14, True, False),
    ]:
        style = styles[name]
        assert style.font.name == "Times New Roman", name
        assert style.font.size is not None and style.font.size.pt == size, name
        assert bool(style.font.bold) == bold, name
        assert bool(style.font.italic) == italic, name
    body = styles["VT Nội dung"].paragraph_format
    assert body.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert body.first_line_indent is not None and abs(body.first_line_indent - Mm(12.7)) < Mm(0.1)
    assert body.space_after is not None and body.space_after.pt >= 6
    assert styles["VT Trích yếu"].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert styles["VT Nơi nhận tiêu đề"].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.LEFT


# --- determinism, properties, text ----------------------------------------------------------


def test_same_view_same_bytes(data: bytes) -> None:
    assert render_decision(example_view()) == data
    assert render_decision(example_view(number=6)) != data


def test_package_is_stamped_with_fixed_times(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        infos = package.infolist()
    assert infos[0].filename == "[Content_Types].xml"
    assert {info.date_time for info in infos} == {FIXED_ZIP_TIME}
    names = [info.filename for info in infos[2:]]
    assert names == sorted(names)


def test_core_properties(document: Document) -> None:
    core = document.core_properties
    assert core.author == "Vòng Tay"
    assert core.last_modified_by == "Vòng Tay"
    issued = datetime(2026, 1, 5, tzinfo=UTC)
    assert core.created == core.modified == core.last_printed == issued
    assert core.title == "Quyết định số 05/QĐ-SYT"
    assert core.revision == 1


def test_decomposed_vietnamese_is_written_precomposed() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Mai")
    document = render(beneficiary=(("Họ và tên", decomposed),), signer_name=decomposed)
    assert "- Họ và tên: Nguyễn Thị Mai." in styled(document, "VT Nội dung")
    assert cell_texts(document.tables[-1], 0, 1)[-1] == "Nguyễn Thị Mai"


def test_markup_characters_are_escaped() -> None:
    item = ItemLine("Ăn & ở <tạm>", 'Điều 38 "a"', 1, None, 1000, 1000, None, False)
    document = render(items=(item,), total_vnd=1000)
    assert document.tables[1].rows[1].cells[1].text == "Ăn & ở <tạm>"
    assert document.tables[1].rows[1].cells[2].text == 'Điều 38 "a"'


def test_control_characters_are_refused() -> None:
    with pytest.raises(ValueError, match="control character"):
        render_decision(example_view(signer_name="Trần\x00Bình"))


# --- the view refuses what cannot be printed -------------------------------------------------


def test_item_without_amount_needs_a_kind() -> None:
    with pytest.raises(ValueError, match="kind_note"):
        ItemLine("Hỗ trợ tâm lý", "Điều 43", None, None, None, None, None, False)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"number": 0}, "starts at 1"),
        ({"total_vnd": -1}, "negative"),
        ({"content_sha256": "abc"}, "64 lower-case"),
        ({"content_sha256": "A" * 64}, "64 lower-case"),
        ({"symbol": " "}, "symbol cannot be empty"),
    ],
)
def test_view_refuses(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        example_view(**changes)


def test_view_is_frozen() -> None:
    view: DecisionView = example_view()
    with pytest.raises(AttributeError):
        view.number = 6  # type: ignore[misc]
