"""Which regime a case falls under and which groups of support the person has (brief §1–§2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from benefits_rules.catalogue import Regime
from benefits_rules.facts import Facts
from benefits_rules.parameters import ParameterSet, ParamValue

_ALL_53 = frozenset({"a", "b", "c", "d", "dd", "e", "g", "h", "i", "k"})
_MINOR_CAP_53 = frozenset({"a", "b", "c", "d", "dd", "e", "g", "h"})
_ABROAD_53 = frozenset({"a", "b", "c", "d"})
_WAITING_53 = frozenset({"a", "b", "c", "d", "dd", "e", "g"})
_FOREIGN_53 = frozenset({"a", "b", "c", "d", "dd", "g"})

_VICTIM_66 = frozenset({"a", "b", "dd", "e", "g", "h", "i", "k"})
_FOREIGN_VICTIM_66 = frozenset({"a", "b", "dd", "e", "g"})
_MINOR_OF_VICTIM_66 = frozenset({"a", "b", "e", "g"})
_WAITING_66 = frozenset({"a", "e"})

_NONE: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RegimeChoice:
    """The regime of a case and why: the reference date, the cut-over value, any override."""

    regime: Regime
    reference_date: date
    cutover: ParamValue
    override_reason: str | None

    @property
    def reason(self) -> str:
        """One sentence for the trace and the decision document."""
        if self.override_reason is not None:
            return f"overridden by the approver: {self.override_reason}"
        side = "before" if self.regime is Regime.LAW_66_2011 else "on or after"
        return (
            f"reference date {self.reference_date.isoformat()} is {side} "
            f"{self.cutover.value} (Law 53/2024 Art. 63)"
        )


def select_regime(facts: Facts, as_of: date, params: ParameterSet) -> RegimeChoice:
    """Law 53/2024 Art. 63: the 2011 regime stays for persons identified before 2025-07-01.

    The reference date is `identified_on` when known (for a minor, the date the person they
    came with was identified), else the date of the calculation: a person still undergoing
    identification on 2025-07-01 falls under the new law.
    """
    cutover = params.at("regime.cutover_date", as_of, "regime")
    reference = facts.identified_on or as_of
    if facts.regime_override is not None:
        return RegimeChoice(
            facts.regime_override.regime, reference, cutover, facts.regime_override.reason
        )
    assert isinstance(cutover.value, date)
    regime = Regime.LAW_66_2011 if reference < cutover.value else Regime.LAW_53_2024
    return RegimeChoice(regime, reference, cutover, None)


def groups_for(facts: Facts, regime: Regime) -> tuple[frozenset[str], bool]:
    """The person's groups and whether every line is discretionary (Art. 37(4) foreigners)."""
    return groups_of(
        regime,
        facts.entitled_status,
        facts.status == "accompanying_minor",
        facts.nationality,
        facts.location,
    )


def groups_of(
    regime: Regime, status: str, minor: bool, nationality: str, location: str
) -> tuple[frozenset[str], bool]:
    """The entitlement matrix of brief §2 on plain values (the bulk engine tabulates it).

    `status` is the status whose groups apply: for an accompanying minor, the status of the
    person they came with. A minor's groups follow that status and the minor's own nationality
    and location, capped at the minor's groups of the regime.
    """
    if regime is Regime.LAW_53_2024:
        if nationality == "foreign":
            groups, discretionary = _FOREIGN_53, True
        elif status == "victim":
            groups, discretionary = _ALL_53, False
        elif location == "abroad":
            groups = _ABROAD_53 if nationality == "vietnamese" else _NONE
            discretionary = False
        else:
            groups, discretionary = _WAITING_53, False
        if minor:
            groups = groups & _MINOR_CAP_53
        return groups, discretionary
    if status == "undergoing_identification":
        return _WAITING_66, False
    if minor:
        return _MINOR_OF_VICTIM_66, False
    if nationality == "foreign":
        return _FOREIGN_VICTIM_66, False
    return _VICTIM_66, False
