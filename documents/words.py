"""Amounts of money in Vietnamese words and figures, as a decision prints them.

The convention is the one of `shared/documents/format.md` §3 (invoice and school practice; the law
itself sets no spelling rules):

- groups of three digits named "nghìn", "triệu", "tỷ"; above nine digits the reading repeats
  "tỷ": the part above the billions is read as a number of its own and followed by "tỷ"
  (1.000.000.000.000 = "một nghìn tỷ", 10^15 = "một triệu tỷ");
- a group that is all zeros is skipped ("một triệu không trăm linh năm", not "… không nghìn …");
- every non-empty group after the first reads its hundreds, "không trăm" when they are zero;
- a zero tens digit before a unit reads "linh" (not the southern "lẻ");
- 10–19 "mười …", 20–90 "… mươi"; after "mươi" a 1 is "mốt" and a 4 is "tư"; after "mười" or
  "mươi" a 5 is "lăm" (14 and 104 keep "bốn", 11 and 101 keep "một", 105 is "linh năm");
- first letter upper case, the rest lower case, ending in "đồng"; 0 is "Không đồng".

PyPI `num2words` (0.5.14) reads Vietnamese differently ("lẻ", no "không trăm", no currency), so it
is not used here.
"""

from __future__ import annotations

__all__ = ["amount_in_words", "format_vnd"]

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_BILLION = 1_000_000_000


def _units_after_tens(tens: int, unit: int) -> str:
    """The unit digit as read after a tens word ("mười" when tens is 1, "… mươi" otherwise)."""
    if unit == 5:
        return "lăm"
    if tens >= 2 and unit == 1:
        return "mốt"
    if tens >= 2 and unit == 4:
        return "tư"
    return _DIGITS[unit]


def _read_group(group: int, full: bool) -> list[str]:
    """Words of one group of three digits (1–999).

    `full` is true for every group after the first non-empty one: it then reads its hundreds
    even when they are zero ("không trăm") and a lone unit after zero tens reads "linh …".
    """
    hundreds, rest = divmod(group, 100)
    tens, unit = divmod(rest, 10)
    words: list[str] = []
    with_hundreds = full or hundreds > 0
    if with_hundreds:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if unit:
            if with_hundreds:
                words.append("linh")
            words.append(_DIGITS[unit])
    elif tens == 1:
        words.append("mười")
        if unit:
            words.append(_units_after_tens(1, unit))
    else:
        words += [_DIGITS[tens], "mươi"]
        if unit:
            words.append(_units_after_tens(tens, unit))
    return words


def _read(n: int, leading: bool) -> list[str]:
    """Words of a positive number; `leading` is false when higher groups were already read."""
    if n >= _BILLION:
        high, low = divmod(n, _BILLION)
        words = [*_read(high, leading), "tỷ"]
        if low:
            words += _read(low, False)
        return words
    words = []
    first = leading
    for group, name in ((n // 1_000_000, "triệu"), (n // 1000 % 1000, "nghìn"), (n % 1000, "")):
        if group == 0:
            continue
        words += _read_group(group, full=not first)
        if name:
            words.append(name)
        first = False
    return words


def amount_in_words(vnd: int) -> str:
    """Spell an amount of đồng the way a decision's "(Bằng chữ: …)" does.

    Why: the total of a support decision is printed in figures and in words, and the words must
    follow the one convention of format.md §3 (which neither the law nor `num2words` gives), so
    that the same amount always reads the same in every document. Raises ValueError for a
    negative amount and TypeError for anything but an int.
    """
    if isinstance(vnd, bool) or not isinstance(vnd, int):
        raise TypeError(f"an amount in đồng is an int, not {type(vnd).__name__}")
    if vnd < 0:
        raise ValueError(f"an amount to pay cannot be negative: {vnd}")
    words = ["không"] if vnd == 0 else _read(vnd, True)
    text = " ".join([*words, "đồng"])
    return text[0].upper() + text[1:]


def format_vnd(n: int) -> str:
    """Write an amount in figures with dots between thousands ("14.083.600").

    Why: Vietnamese documents group digits with "." (and use "," for decimals); Python's own
    grouping uses ",", which a Vietnamese reader would take for a decimal point.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"an amount in đồng is an int, not {type(n).__name__}")
    return f"{n:,}".replace(",", ".")
