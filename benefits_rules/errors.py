"""Errors raised by the law engine.

Every error names *where* the problem is (a fact's dotted path, a data file and key, a
parameter and date) and *which rule* it broke, and never echoes a value: facts carry no
names, but a message that repeats input is one careless change away from leaking it.
"""

from __future__ import annotations

from datetime import date


class RulesError(Exception):
    """Base class of every error the law engine raises on purpose."""


class FactsError(RulesError, ValueError):
    """The facts of a case break one of the rules of law brief §4; nothing was computed.

    `field` is the dotted path of the offending fact (`stay.to`, `refused.2`) and `rule` one of
    the rule ids of the brief (`required`, `unknown_fact`, `invalid_type`, ...), so that a caller
    can point a person at the exact input to correct.
    """

    def __init__(self, field: str, rule: str, detail: str | None = None) -> None:
        self.field = field
        self.rule = rule
        self.detail = detail or _RULE_TEXT.get(rule, rule)
        super().__init__(f"{field}: {rule} ({self.detail})")


_RULE_TEXT: dict[str, str] = {
    "required": "this fact is required",
    "unknown_fact": "this is not a fact the engine knows",
    "invalid_type": "the value has the wrong type",
    "unknown_value": "the value is not one of the allowed values",
    "province_not_in_force": "the province did not exist on the date of reception",
    "not_negative": "the value must not be negative",
    "integer_vnd": "an amount of money must be a whole number of VND",
    "not_after_as_of": "the date must not be after the date of the calculation",
    "not_before_stay_from": "the date must not be before the start of the stay",
    "not_before_received_on": "the date must not be before the date of reception",
    "under_18_required": "an accompanying minor must be under 18 on the date of the calculation",
    "regime_not_in_force": "that regime was not in force on the date of the calculation",
}


class RulesDataError(RulesError):
    """A shipped or supplied parameter, rate or registry file is malformed.

    Raised at load time so that a bad file stops the program at start-up, not in the middle
    of a calculation for a real person.
    """

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        super().__init__(f"{source}: {key}: {problem}")


class ParameterNotInForce(RulesError):
    """A national parameter was asked for on a date before its first value.

    This is a gap in the encoded law, not a property of the case, so it is an error rather
    than a `rate_required` line: the message names the parameter, the date and the rule that
    asked, which is what a maintainer needs to add the missing value.
    """

    def __init__(self, parameter: str, on: date, rule: str) -> None:
        self.parameter = parameter
        self.on = on
        self.rule = rule
        super().__init__(
            f"parameter {parameter} has no value on {on.isoformat()} (asked by rule {rule})"
        )
