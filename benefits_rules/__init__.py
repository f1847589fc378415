"""The law as code: the support regimes of Law 53/2024/QH15 with Decree 162/2025/NĐ-CP, and of
Law 66/2011/QH12 with Decree 09/2013/NĐ-CP for older cases.

Pure: no database, no network; it reads only its own YAML. Everything else in Vòng Tay
computes money through `compute` (one case) and `compute_frame` (many cases at once).
"""

from benefits_rules.catalogue import ITEM_KEYS, ItemStatus, Regime
from benefits_rules.engine import check_facts, compute, regime_for, rule_version
from benefits_rules.errors import FactsError, ParameterNotInForce, RulesDataError, RulesError
from benefits_rules.facts import Facts
from benefits_rules.frame import compute_frame
from benefits_rules.result import Calculation, Item

__all__ = [
    "ITEM_KEYS",
    "Calculation",
    "Facts",
    "FactsError",
    "Item",
    "ItemStatus",
    "ParameterNotInForce",
    "Regime",
    "RulesDataError",
    "RulesError",
    "check_facts",
    "compute",
    "compute_frame",
    "regime_for",
    "rule_version",
]
