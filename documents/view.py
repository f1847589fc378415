"""The plain view object a decision is rendered from.

The case file decides every value (who issues, the number, the person's display name as the vault
released it for this recipient, each item and its amount, who receives a copy) and hands this
view to `render_decision`; the renderer decides nothing but the layout. The objects are frozen
so that a view, once hashed into `content_sha256`, cannot change under the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

__all__ = ["DecisionView", "ItemLine"]

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class ItemLine:
    """One line of the table in Điều 1.

    `amount_vnd` is None for support given as a service or in kind; `kind_note` ("Dịch vụ",
    "Hiện vật") is then printed in its place. `needs_legal_check` marks a line whose amount rests
    on a rule not yet confirmed: the document flags it with "(*)".
    """

    label: str
    legal_basis: str
    quantity: int | None
    unit: str | None
    rate_vnd: int | None
    amount_vnd: int | None
    kind_note: str | None
    needs_legal_check: bool

    def __post_init__(self) -> None:
        """Refuse a line the document could not print honestly."""
        if not self.label.strip():
            raise ValueError("an item line needs a label")
        for name in ("quantity", "rate_vnd", "amount_vnd"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} cannot be negative: {value}")
        if self.amount_vnd is None and not (self.kind_note and self.kind_note.strip()):
            raise ValueError(
                f"item {self.label!r} has no amount: say how it is given (kind_note, "
                "e.g. 'Dịch vụ' or 'Hiện vật')"
            )


@dataclass(frozen=True, slots=True)
class DecisionView:
    """Everything one "Quyết định hỗ trợ" prints, already decided and filtered for its recipient.

    - `number` and `symbol` print as "Số: 05/QĐ-SYT" (leading zero under 10);
    - `legal_bases` are sentences without the leading "Căn cứ " and without end punctuation;
    - `proposal` names who proposes ("Trưởng phòng … tại Tờ trình số …"), or None;
    - `beneficiary` holds the (label, value) lines of Điều 1 ("Họ và tên", …);
    - `total_vnd` is printed in figures and in words;
    - `responsible` are the parties of the last article who "chịu trách nhiệm thi hành";
    - `recipients` are the "Nơi nhận" lines before "Lưu", `archive` what follows "Lưu:";
    - `sample` prints the notice "MẪU – không có giá trị pháp lý";
    - `copy_label` ("BẢN SAO GỬI …") is printed at the top when set;
    - `content_sha256` is printed in the footer of every page;
    - `replaces` is the number/symbol of a decision this one replaces, or None.
    """

    parent_body: str
    issuing_body: str
    number: int
    symbol: str
    place: str
    issued_on: date
    title: str
    authority: str
    legal_bases: tuple[str, ...]
    proposal: str | None
    beneficiary: tuple[tuple[str, str], ...]
    items: tuple[ItemLine, ...]
    total_vnd: int
    regime_note: str | None
    legal_check_note: str | None
    paying_agency: str
    funding_source: str
    responsible: tuple[str, ...]
    recipients: tuple[str, ...]
    archive: str
    signer_authority: str
    signer_title: str
    signer_name: str
    sample: bool
    copy_label: str | None
    content_sha256: str
    replaces: str | None

    def __post_init__(self) -> None:
        """Refuse a view the layout cannot carry (a wrong hash, a number the decree forbids)."""
        if self.number < 1:
            raise ValueError(f"a decision number starts at 1, not {self.number}")
        if self.total_vnd < 0:
            raise ValueError(f"the total cannot be negative: {self.total_vnd}")
        if not _SHA256.fullmatch(self.content_sha256):
            raise ValueError("content_sha256 must be 64 lower-case hexadecimal digits")
        for name in ("symbol", "place", "title", "authority", "signer_name"):
            if not str(getattr(self, name)).strip():
                raise ValueError(f"{name} cannot be empty")
