"""Amounts in words and figures (format.md §3).

The expected strings are written out by hand. `num2words` is not used, not even to cross-check:
its Vietnamese follows another convention ("lẻ", no "không trăm"). Instead a small reader parses
the words back into a number, and hypothesis checks the round trip over a wide range.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from documents.words import amount_in_words, format_vnd

# --- the strings format.md fixes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("vnd", "words"),
    [
        (0, "Không đồng"),
        (1_000_005, "Một triệu không trăm linh năm đồng"),
        (1_263_600, "Một triệu hai trăm sáu mươi ba nghìn sáu trăm đồng"),
        (14_083_600, "Mười bốn triệu không trăm tám mươi ba nghìn sáu trăm đồng"),
        (1_000_000_000, "Một tỷ đồng"),
        (1_000_000_001, "Một tỷ không trăm linh một đồng"),
    ],
)
def test_format_md_table(vnd: int, words: str) -> None:
    assert amount_in_words(vnd) == words


# --- the spelling rules, one by one ----------------------------------------------------------


@pytest.mark.parametrize(
    ("vnd", "words"),
    [
        # mốt: a 1 after a tens digit of 2 or more; "một" after "mười" or "linh"
        (21, "Hai mươi mốt đồng"),
        (1_000_021, "Một triệu không trăm hai mươi mốt đồng"),
        (31_000, "Ba mươi mốt nghìn đồng"),
        (91, "Chín mươi mốt đồng"),
        (11, "Mười một đồng"),
        (101, "Một trăm linh một đồng"),
        # tư: a 4 after a tens digit of 2 or more; 14 and 104 keep "bốn"
        (24, "Hai mươi tư đồng"),
        (124_000, "Một trăm hai mươi tư nghìn đồng"),
        (14, "Mười bốn đồng"),
        (104, "Một trăm linh bốn đồng"),
        (4, "Bốn đồng"),
        # lăm: a 5 after "mười" or "mươi"; "năm" otherwise
        (15, "Mười lăm đồng"),
        (25_000, "Hai mươi lăm nghìn đồng"),
        (105, "Một trăm linh năm đồng"),
        (500, "Năm trăm đồng"),
        (5, "Năm đồng"),
        # linh: zero tens before a unit
        (2_001_005, "Hai triệu không trăm linh một nghìn không trăm linh năm đồng"),
        (1_000_010, "Một triệu không trăm mười đồng"),
        # mười / mươi
        (10, "Mười đồng"),
        (20, "Hai mươi đồng"),
        (70_000, "Bảy mươi nghìn đồng"),
        # group boundaries
        (1_000, "Một nghìn đồng"),
        (10_000, "Mười nghìn đồng"),
        (100_000, "Một trăm nghìn đồng"),
        (1_000_000, "Một triệu đồng"),
        (1_001_000, "Một triệu không trăm linh một nghìn đồng"),
        (1_000_000_000_000, "Một nghìn tỷ đồng"),
        (1_000_000_000_000_000, "Một triệu tỷ đồng"),
        (2_500_000_000_000, "Hai nghìn năm trăm tỷ đồng"),
        (1_000_002_000_000_000, "Một triệu không trăm linh hai tỷ đồng"),
        (1_000_000_000_005, "Một nghìn tỷ không trăm linh năm đồng"),
        # amounts of the project
        (5_400_000, "Năm triệu bốn trăm nghìn đồng"),
        (240_000_000, "Hai trăm bốn mươi triệu đồng"),
        (3_000_000, "Ba triệu đồng"),
    ],
)
def test_rules(vnd: int, words: str) -> None:
    assert amount_in_words(vnd) == words


def test_negative_amount_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        amount_in_words(-1)


@pytest.mark.parametrize("value", [1.5, "100", True, None])
def test_only_integers(value: object) -> None:
    with pytest.raises(TypeError):
        amount_in_words(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("vnd", "figures"),
    [
        (0, "0"),
        (999, "999"),
        (1_000, "1.000"),
        (60_000, "60.000"),
        (14_083_600, "14.083.600"),
        (1_000_000_000, "1.000.000.000"),
    ],
)
def test_format_vnd(vnd: int, figures: str) -> None:
    assert format_vnd(vnd) == figures


# --- reading the words back ------------------------------------------------------------------

_VALUES = {
    "không": 0,
    "một": 1,
    "mốt": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "tư": 4,
    "năm": 5,
    "lăm": 5,
    "sáu": 6,
    "bảy": 7,
    "tám": 8,
    "chín": 9,
}


def read_back(text: str) -> int:
    """Parse "Một tỷ không trăm linh một đồng" back into 1000000001 (test oracle)."""
    words = text.lower().split()
    assert words[-1] == "đồng"
    total = 0  # everything before the last "tỷ", already multiplied
    below_billion = 0  # the groups of "triệu" and "nghìn" since
    group = 0  # the current group of three digits
    digit: int | None = None
    for word in words[:-1]:
        if word in _VALUES:
            assert digit is None, text
            digit = _VALUES[word]
        elif word == "trăm":
            assert digit is not None, text
            group += digit * 100
            digit = None
        elif word == "mươi":
            assert digit is not None and digit >= 2, text
            group += digit * 10
            digit = None
        elif word == "mười":
            assert digit is None, text
            group += 10
        elif word == "linh":
            assert digit is None and group % 100 == 0, text
        elif word in ("nghìn", "triệu"):
            group += digit or 0
            digit = None
            below_billion += group * (1000 if word == "nghìn" else 1_000_000)
            group = 0
        elif word == "tỷ":
            group += digit or 0
            digit = None
            total = (total + below_billion + group) * 1_000_000_000
            below_billion = group = 0
        else:
            raise AssertionError(f"unexpected word {word!r} in {text!r}")
    return total + below_billion + group + (digit or 0)


@given(st.integers(min_value=0, max_value=10**18))
def test_words_read_back_to_the_amount(vnd: int) -> None:
    assert read_back(amount_in_words(vnd)) == vnd


@given(st.integers(min_value=0, max_value=10**15))
def test_shape_of_the_words(vnd: int) -> None:
    words = amount_in_words(vnd)
    assert words[0].isupper()
    assert words[1:] == words[1:].lower()
    assert words.endswith(" đồng")
    assert "  " not in words
    for variant in ("lẻ", "ngàn", "tỉ", "không nghìn", "không triệu", "mươi một", "mươi bốn"):
        assert f" {variant} " not in f" {words} "
    assert "mười năm" not in words and "mươi năm" not in words


@given(st.integers(min_value=1, max_value=999))
def test_every_non_leading_group_reads_its_hundreds(low: int) -> None:
    assert amount_in_words(1_000_000 + low).startswith("Một triệu không trăm ") == (low < 100)
