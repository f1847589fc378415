"""Names of the template's styles and the page geometry the renderer and the template share.

Typography (fonts, sizes, bold, italics, alignment, indents, spacing, lines) lives in the named
styles of `templates/decision.docx`, written by `scripts/make_decision_template.py`; the renderer
only chooses a style. What both sides must agree on is here: the style names, their ids, the
width of the text and of the columns of the layout tables (Decree 30/2020, Phụ lục I: A4, left
margin 30 mm, right 15 mm), and the lengths of the short solid lines under the issuing body and
the trích yếu, one style per length.
"""

from __future__ import annotations

import unicodedata
from functools import cache

__all__ = [
    "BODY_LINE_STYLES_MM",
    "CELL_MARGIN",
    "GRID_CELL_MARGIN",
    "HEADER_COLUMNS",
    "ITEM_COLUMNS",
    "MOTTO_LINE_MM",
    "ORGAN_LINE_STYLES_MM",
    "SIGNATURE_COLUMNS",
    "TEXT_WIDTH",
    "Style",
    "body_line_name",
    "body_line_style",
    "estimate_width_mm",
    "organ_line_name",
    "organ_line_style",
    "style_id",
    "twips",
]

TWIPS_PER_MM = 1440 / 25.4

# A4 and the margins of Phụ lục I (top/bottom 20–25 mm, left 30–35 mm, right 15–20 mm)
PAGE_WIDTH_MM = 210
PAGE_HEIGHT_MM = 297
MARGIN_TOP_MM = 20
MARGIN_BOTTOM_MM = 20
MARGIN_LEFT_MM = 30
MARGIN_RIGHT_MM = 15
HEADER_DISTANCE_MM = 10
FOOTER_DISTANCE_MM = 10


def twips(mm: float) -> int:
    """Millimetres to twentieths of a point, the unit of WordprocessingML widths."""
    return round(mm * TWIPS_PER_MM)


TEXT_WIDTH = twips(PAGE_WIDTH_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM)  # 165 mm
CELL_MARGIN = 108  # twips each side: the default cell margin of Word and LibreOffice (1.9 mm)
GRID_CELL_MARGIN = 57  # twips each side in the ruled items table (1 mm)

# header: [parent, body, line | Quốc hiệu, Tiêu ngữ, line] then [Số | place and date]
HEADER_COLUMNS = (twips(65), TEXT_WIDTH - twips(65))
# bottom: [Nơi nhận | authority, title, signature, name]
SIGNATURE_COLUMNS = (twips(80), TEXT_WIDTH - twips(80))
# items: TT, Nội dung hỗ trợ, Căn cứ pháp lý, Số lượng, Mức hỗ trợ, Thành tiền (đồng)
_ITEM_MM = (10, 38, 50, 17, 24)
ITEM_COLUMNS = (*(twips(mm) for mm in _ITEM_MM), TEXT_WIDTH - sum(twips(mm) for mm in _ITEM_MM))

# the solid line under the Tiêu ngữ is as long as the text ("Độc lập - Tự do - Hạnh phúc",
# Times New Roman bold 13 pt: 12,197/1000 em = 158.6 pt = 56 mm)
MOTTO_LINE_MM = 56
# the lines under the issuing body and the trích yếu: 1/3–1/2 of the text, centred
ORGAN_LINE_STYLES_MM = (10, 15, 20, 25, 30, 35)
BODY_LINE_STYLES_MM = (20, 30, 40, 50, 60)


class Style:
    """The names of the template's styles (paragraph styles unless said otherwise)."""

    QUOC_HIEU = "VT Quốc hiệu"
    TIEU_NGU = "VT Tiêu ngữ"
    GACH_TIEU_NGU = "VT Gạch tiêu ngữ"
    CO_QUAN_CHU_QUAN = "VT Cơ quan chủ quản"
    CO_QUAN_BAN_HANH = "VT Cơ quan ban hành"
    SO_KY_HIEU = "VT Số ký hiệu"
    DIA_DANH_NGAY = "VT Địa danh ngày"
    MAU = "VT Mẫu"
    BAN_SAO = "VT Bản sao"
    TEN_LOAI = "VT Tên loại"
    TRICH_YEU = "VT Trích yếu"
    THAM_QUYEN = "VT Thẩm quyền"
    CAN_CU = "VT Căn cứ"
    QUYET_DINH = "VT Quyết định"
    DIEU = "VT Điều"
    NOI_DUNG = "VT Nội dung"
    BANG = "VT Bảng"
    BANG_GIUA = "VT Bảng giữa"
    BANG_SO = "VT Bảng số"
    BANG_TIEU_DE = "VT Bảng tiêu đề"
    BANG_TONG = "VT Bảng tổng"
    KIEM_TRA_PHAP_LY = "VT Kiểm tra pháp lý"
    NOI_NHAN_TIEU_DE = "VT Nơi nhận tiêu đề"
    NOI_NHAN = "VT Nơi nhận"
    THAM_QUYEN_KY = "VT Thẩm quyền ký"  # first line of the signature block (KT., TM., …)
    CHUC_VU = "VT Chức vụ"
    HO_TEN = "VT Họ tên"
    CHAN_TRANG = "VT Chân trang"
    SO_TRANG = "VT Số trang"
    # table styles
    KHUNG = "VT Khung"  # borderless layout tables
    LUOI = "VT Lưới"  # the items table, ruled


def organ_line_name(mm: int) -> str:
    """The style of a centred line `mm` long under the issuing body (header, left column)."""
    return f"VT Gạch cơ quan {mm} mm"


def body_line_name(mm: int) -> str:
    """The style of a centred line `mm` long under the trích yếu (full text width)."""
    return f"VT Gạch trích yếu {mm} mm"


@cache
def style_id(name: str) -> str:
    """The ASCII style id the template gives a style name ("VT Quốc hiệu" → "VTQuocHieu").

    Why: WordprocessingML refers to styles by id; ids without diacritics or spaces are what Word
    itself writes and what every reader accepts. The renderer writes ids, tests read names.
    """
    plain = unicodedata.normalize("NFKD", name.replace("Đ", "D").replace("đ", "d"))
    ascii_only = "".join(c for c in plain if c.isascii())
    return "".join(word[:1].upper() + word[1:] for word in ascii_only.split() if word.isalnum())


_UPPER_EM = 0.72  # average advance of bold capitals, in em (Times New Roman)
_LOWER_EM = 0.5
_SPACE_EM = 0.25


def estimate_width_mm(text: str, size_pt: float) -> float:
    """A rough printed width of one line of Times New Roman text."""
    ems = 0.0
    for char in text:
        if char.isspace():
            ems += _SPACE_EM
        elif char.isupper():
            ems += _UPPER_EM
        else:
            ems += _LOWER_EM
    return ems * size_pt * 25.4 / 72


def _nearest(lengths: tuple[int, ...], target_mm: float) -> int:
    return min(lengths, key=lambda mm: (abs(mm - target_mm), mm))


def organ_line_style(issuing_body: str) -> str:
    """The line under the issuing body: about 2/5 of its printed length (Phụ lục I: 1/3–1/2).

    Why: the decree sizes the line on the text, which varies; the renderer picks the nearest of
    a few fixed-length styles so that the line stays in the template, not in code.
    """
    cell_mm = (HEADER_COLUMNS[0] - 2 * CELL_MARGIN) / TWIPS_PER_MM
    width = min(estimate_width_mm(issuing_body, 13), cell_mm)
    return organ_line_name(_nearest(ORGAN_LINE_STYLES_MM, 0.4 * width))


def body_line_style(title: str) -> str:
    """The line under the trích yếu: about 2/5 of its printed length, as for the issuing body."""
    width = min(estimate_width_mm(title, 14), TEXT_WIDTH / TWIPS_PER_MM)
    return body_line_name(_nearest(BODY_LINE_STYLES_MM, 0.4 * width))
