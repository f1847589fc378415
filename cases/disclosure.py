"""Statistical disclosure control: what may be published about fewer than 11 persons (nothing).

Counts of victims of trafficking in one province and year are small, and a small count names
people: "the 2 re-trafficked women aged 16-17 in Hà Giang" are findable by their neighbours.
Every statistic and export therefore passes through this module, which is pure (no database, no
I/O) so that its rules can be read in one sitting and checked by property tests.

Tables (`protect`), one dimension at a time:

1. **Primary suppression.** A cell describing fewer than `MIN_CELL` (11) persons is suppressed:
   its count and its money are withheld. Empty cells are suppressed too: publishing a 0 while
   withholding 1-10 would tell which values occur at all. A total below 11 suppresses the whole
   table.
2. **Rounding.** A published count is rounded *down* to a multiple of `ROUNDING` (5), so a
   published 10 means 10 to 14 persons, and differences between tables blur.
3. **Complementary (secondary) suppression.** When the cells add up to a published total, one
   suppressed cell could be recovered by subtraction. So the suppressed cells of a dimension
   must together describe at least 11 persons and be at least two: while they do not, the next
   smallest published cell is suppressed too.
4. **Money.** A money total is withheld with its cell, and also when it sums the money of 1 to
   10 paid persons (it would describe their payments even in a large cell). Withheld money
   obeys the same complementary rule, counted in paid persons, since amounts add up to the
   published money total. A table in which nobody has been paid publishes its zeros.

Rows (`k_anonymise`): a de-identified export publishes one row per case, and each combination
of quasi-identifiers (province, sex, age band, nationality, year: what a neighbour may know)
must be shared by at least `MIN_CELL` distinct persons (k-anonymity, k = 11). Values are first
generalised for the whole table (Datafly: the quasi-identifier with the most distinct values
is coarsened first), then the remaining small groups have their values suppressed one
quasi-identifier at a time (`*`), and rows that still cannot reach k are withheld and counted.

Persons, not cases, are counted: a person received twice is one person, so callers pass a
person key with every row and every count here is of distinct persons.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field

#: the fewest persons a published cell, total or row group may describe
MIN_CELL = 11
#: published counts are rounded down to a multiple of this
ROUNDING = 5
#: the published value of a suppressed quasi-identifier
SUPPRESSED = "*"


def round_down(count: int) -> int:
    """A count as published: rounded down to a multiple of `ROUNDING`, never up, so a published
    figure never claims more persons than there are."""
    return count - count % ROUNDING


@dataclass(frozen=True, slots=True)
class RawCell:
    """One cell before protection: its persons, the money they were granted, and how many of
    them were paid anything (`payees`), which is what a money total describes."""

    value: str
    persons: int
    amount_vnd: int = 0
    payees: int = 0


@dataclass(frozen=True, slots=True)
class SafeCell:
    """One cell as published: `persons` rounded down, or None when suppressed; `amount_vnd`
    None when its money is withheld."""

    value: str
    persons: int | None
    amount_vnd: int | None
    suppressed: bool
    amount_suppressed: bool


@dataclass(frozen=True, slots=True)
class SafeTable:
    """A protected dimension: its cells in the caller's order, and its total."""

    cells: tuple[SafeCell, ...]
    total: SafeCell

    @property
    def suppressed_values(self) -> tuple[str, ...]:
        """The values whose counts are withheld, for a note under a table or a chart."""
        return tuple(cell.value for cell in self.cells if cell.suppressed)


def _complete(
    hidden: set[int], weights: Sequence[int], candidates: Sequence[int], order: Sequence[str]
) -> set[int]:
    """Grow `hidden` until no subtraction from the published total recovers it: at least two
    cells that together weigh `MIN_CELL` or more. The next cell taken is the smallest of the
    `candidates` still published (ties broken by value, so the result is deterministic)."""
    hidden = set(hidden)
    while hidden and (len(hidden) < 2 or sum(weights[i] for i in hidden) < MIN_CELL):
        remaining = [i for i in candidates if i not in hidden]
        if not remaining:
            break
        hidden.add(min(remaining, key=lambda i: (weights[i], order[i])))
    return hidden


def protect(cells: Sequence[RawCell], total: RawCell) -> SafeTable:
    """Apply the table rules of the module docstring to one dimension.

    `total` is given rather than summed because some dimensions overlap (a person granted
    support of several groups counts once in each, and once in the total); the complementary
    rule is applied to every dimension alike, which is safe for additive ones and merely
    cautious for the others.
    """
    values = [cell.value for cell in cells]
    persons = [cell.persons for cell in cells]
    payees = [cell.payees for cell in cells]
    everything = set(range(len(cells)))

    if total.persons < MIN_CELL:
        hidden = everything
    else:
        primary = {i for i, count in enumerate(persons) if count < MIN_CELL}
        hidden = _complete(primary, persons, range(len(cells)), values)

    total_money_hidden = total.persons < MIN_CELL or 0 < total.payees < MIN_CELL
    if total_money_hidden:
        money_hidden = everything
    elif total.payees == 0:
        # nobody in the table was paid: every zero is a fact about the whole group
        money_hidden = set(hidden)
    else:
        primary_money = set(hidden) | {i for i, paid in enumerate(payees) if 0 < paid < MIN_CELL}
        paid_cells = [i for i, paid in enumerate(payees) if paid > 0]
        money_hidden = _complete_money(primary_money, payees, paid_cells, values)
        if money_hidden and sum(payees[i] for i in money_hidden) < MIN_CELL:
            # cannot be made safe within the table: withhold all of its money
            total_money_hidden, money_hidden = True, everything

    safe_cells = tuple(
        SafeCell(
            value=cell.value,
            persons=None if i in hidden else round_down(cell.persons),
            amount_vnd=None if i in money_hidden else cell.amount_vnd,
            suppressed=i in hidden,
            amount_suppressed=i in money_hidden,
        )
        for i, cell in enumerate(cells)
    )
    total_hidden = total.persons < MIN_CELL
    safe_total = SafeCell(
        value=total.value,
        persons=None if total_hidden else round_down(total.persons),
        amount_vnd=None if total_money_hidden else total.amount_vnd,
        suppressed=total_hidden,
        amount_suppressed=total_money_hidden,
    )
    return SafeTable(cells=safe_cells, total=safe_total)


def _complete_money(
    hidden: set[int], payees: Sequence[int], paid_cells: Sequence[int], order: Sequence[str]
) -> set[int]:
    """The complementary rule for money, weighed in paid persons: withheld amounts must sum the
    payments of at least `MIN_CELL` persons (or of none, when no withheld cell was paid)."""
    hidden = set(hidden)
    while hidden and 0 < sum(payees[i] for i in hidden) < MIN_CELL:
        remaining = [i for i in paid_cells if i not in hidden]
        if not remaining:
            break
        hidden.add(min(remaining, key=lambda i: (payees[i], order[i])))
    return hidden


# --- rows: k-anonymity ------------------------------------------------------------------------


def _as_is(value: str) -> str:
    return value


@dataclass(frozen=True, slots=True)
class Hierarchy:
    """How one quasi-identifier is generalised: `levels[0]` publishes the value as it is, each
    later level coarser; suppression (`*`) always follows the last level."""

    name: str
    levels: tuple[Callable[[str], str], ...] = field(default=(_as_is,))

    @property
    def top(self) -> int:
        """The level at which every value is `*`."""
        return len(self.levels)

    def at(self, level: int, value: str) -> str:
        """`value` generalised to `level`."""
        return SUPPRESSED if level >= self.top else self.levels[level](value)


@dataclass(frozen=True, slots=True)
class Anonymised:
    """Rows safe to publish, in a deterministic order that says nothing about the cases, and
    how many rows were withheld and at which level each quasi-identifier was published."""

    rows: tuple[dict[str, str], ...]
    withheld: int
    levels: Mapping[str, int]


def _small_rows(
    rows: Sequence[Mapping[str, str]], persons: Sequence[Hashable], names: Sequence[str], k: int
) -> set[int]:
    """Indices of the rows whose published quasi-identifiers are shared by fewer than `k`
    distinct persons."""
    groups: dict[tuple[str, ...], set[Hashable]] = defaultdict(set)
    keys = [tuple(row[name] for name in names) for row in rows]
    for key, person in zip(keys, persons, strict=True):
        groups[key].add(person)
    return {i for i, key in enumerate(keys) if len(groups[key]) < k}


def k_anonymise(
    rows: Sequence[Mapping[str, str]],
    persons: Sequence[Hashable],
    hierarchies: Sequence[Hierarchy],
    *,
    k: int = MIN_CELL,
) -> Anonymised:
    """Make `rows` k-anonymous over the quasi-identifiers that `hierarchies` name.

    `persons[i]` is the person of `rows[i]` (never published): groups are counted in distinct
    persons. Generalisation is global while more than `k` rows sit in small groups (a
    coarser column for everyone beats many stars); the rest is local: the small groups' values
    are suppressed one quasi-identifier at a time, in the reverse order of `hierarchies` (the
    first is kept longest), and rows still in a group of fewer than `k` persons are withheld.
    Other columns pass through untouched.
    """
    names = [h.name for h in hierarchies]
    levels = dict.fromkeys(names, 0)

    def generalised() -> list[dict[str, str]]:
        return [
            {**row, **{h.name: h.at(levels[h.name], row[h.name]) for h in hierarchies}}
            for row in rows
        ]

    current = generalised()
    while len(_small_rows(current, persons, names, k)) > k:
        open_names = [h for h in hierarchies if levels[h.name] < h.top]
        if not open_names:
            break
        widest = max(
            open_names,
            key=lambda h: (len({row[h.name] for row in current}), -names.index(h.name)),
        )
        levels[widest.name] += 1
        current = generalised()

    for name in reversed(names):
        small = _small_rows(current, persons, names, k)
        if not small:
            break
        for i in small:
            current[i][name] = SUPPRESSED

    small = _small_rows(current, persons, names, k)
    kept = [row for i, row in enumerate(current) if i not in small]
    kept.sort(key=lambda row: tuple(str(v) for v in row.values()))
    return Anonymised(rows=tuple(kept), withheld=len(small), levels=levels)
