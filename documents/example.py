"""A realistic decision view, for the tests, the benchmark and anyone who wants to look.

Twelve lines under the 2024 law in the demo province "Mẫu", totalling 14.083.600 đồng (the
amount format.md spells out), with three lines given as a service and three flagged for a legal
check. The person is invented.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date

from documents.view import DecisionView, ItemLine

__all__ = ["example_items", "example_view"]

_L53 = "Luật số 53/2024/QH15"
_ND162 = "Nghị định số 162/2025/NĐ-CP"
_RATE = "Bảng mức hỗ trợ mẫu (tỉnh Mẫu)"


def example_items() -> tuple[ItemLine, ...]:
    """The twelve item lines of the example, amounts in đồng."""

    def cash(
        label: str,
        basis: str,
        quantity: int,
        unit: str | None,
        rate: int,
        check: bool = False,
    ) -> ItemLine:
        return ItemLine(label, basis, quantity, unit, rate, quantity * rate, None, check)

    def service(label: str, basis: str) -> ItemLine:
        return ItemLine(label, basis, None, None, None, None, "Dịch vụ", False)

    return (
        cash(
            "Tiền ăn trong thời gian lưu trú",
            f"{_L53}, Điều 38; {_ND162}, Điều 17; {_RATE}",
            90,
            "ngày",
            60_000,
        ),
        cash(
            "Đồ dùng cá nhân thiết yếu",
            f"{_L53}, Điều 38; {_ND162}, Điều 17; {_RATE}",
            1,
            "suất",
            500_000,
        ),
        cash(
            "Thuốc chữa bệnh thông thường",
            f"{_L53}, Điều 39; {_RATE}",
            1,
            "suất",
            200_000,
            check=True,
        ),
        cash(
            "Thẻ bảo hiểm y tế năm đầu",
            f"{_L53}, Điều 39; mức lương cơ sở, 4,5 %",
            12,
            "tháng",
            105_300,
        ),
        service("Hỗ trợ tâm lý", f"{_L53}, Điều 43"),
        service("Trợ giúp pháp lý", f"{_L53}, Điều 41; Luật Trợ giúp pháp lý 2017, Điều 7"),
        service("Phiên dịch", f"{_L53}, Điều 40"),
        cash("Tiền ăn trong thời gian đi đường", f"{_L53}, Điều 42; {_RATE}", 3, "ngày", 100_000),
        cash("Tiền tàu xe về nơi cư trú", f"{_L53}, Điều 42; {_RATE}", 1, "lượt", 420_000),
        cash(
            "Sách vở, đồ dùng học tập",
            f"{_L53}, Điều 37; {_ND162}, Điều 24; {_RATE}",
            1,
            "năm",
            1_000_000,
            check=True,
        ),
        cash(
            "Hỗ trợ học nghề", f"{_L53}, Điều 37; {_ND162}, Điều 24; {_RATE}", 1, "khóa", 2_000_000
        ),
        cash(
            "Trợ cấp khó khăn ban đầu",
            f"{_L53}, Điều 37; {_ND162}, Điều 24; {_RATE}",
            1,
            "lần",
            3_000_000,
            check=True,
        ),
    )


def example_view(**changes: object) -> DecisionView:
    """A decision of the Sở Y tế of the demo province; keyword arguments replace fields.

    Why: one realistic view shared by the tests and the benchmark, so that both measure and
    check the same document.
    """
    items = example_items()
    view = DecisionView(
        parent_body="UBND TỈNH MẪU",
        issuing_body="SỞ Y TẾ",
        number=5,
        symbol="QĐ-SYT",
        place="Mẫu",
        issued_on=date(2026, 1, 5),
        title="Về việc hỗ trợ đối với nạn nhân bị mua bán",
        authority="GIÁM ĐỐC SỞ Y TẾ TỈNH MẪU",
        legal_bases=(
            "Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025",
            "Luật Phòng, chống mua bán người ngày 28 tháng 11 năm 2024",
            "Nghị định số 162/2025/NĐ-CP ngày 29 tháng 6 năm 2025 của Chính phủ quy định chi "
            "tiết một số điều và biện pháp thi hành Luật Phòng, chống mua bán người",
            "hồ sơ đề nghị hỗ trợ của Trung tâm Công tác xã hội tỉnh Mẫu",
        ),
        proposal="Trưởng phòng Bảo trợ xã hội tại Tờ trình số 12/TTr-BTXH ngày 02 tháng 01 "
        "năm 2026",
        beneficiary=(
            ("Họ và tên", "Nguyễn Thị Mai"),
            ("Ngày sinh", "12/03/2004"),
            ("Nơi cư trú", "xã Kim Liên, tỉnh Mẫu"),
        ),
        items=items,
        total_vnd=sum(item.amount_vnd or 0 for item in items),
        regime_note="Chế độ hỗ trợ theo Luật Phòng, chống mua bán người năm 2024",
        legal_check_note=None,
        paying_agency="Trung tâm Công tác xã hội tỉnh Mẫu",
        funding_source="ngân sách nhà nước năm 2026 giao cho Sở Y tế (kinh phí bảo đảm xã hội)",
        responsible=(
            "Chánh Văn phòng Sở",
            "Trưởng phòng Bảo trợ xã hội",
            "Giám đốc Trung tâm Công tác xã hội tỉnh Mẫu",
            "bà Nguyễn Thị Mai",
        ),
        recipients=("Như Điều 3", "UBND tỉnh (để báo cáo)", "Công an tỉnh"),
        archive="VT, BTXH",
        signer_authority="KT. GIÁM ĐỐC",
        signer_title="PHÓ GIÁM ĐỐC",
        signer_name="Trần Văn Bình",
        sample=True,
        copy_label=None,
        content_sha256=hashlib.sha256(b"example decision 05/QD-SYT").hexdigest(),
        replaces=None,
    )
    return replace(view, **changes)  # type: ignore[arg-type]
