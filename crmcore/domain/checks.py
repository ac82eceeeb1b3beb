"""attrs validators that fail with one line naming the field and the rule.

Used by every command class, so a bad value is refused the same way whether it came from the
Python API, the CLI, JSON or an imported spreadsheet row.
"""

from __future__ import annotations

import enum
import operator
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from crmcore.errors import InvalidInput

E = TypeVar("E", bound=enum.Enum)
Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def text(max_length: int, *, required: bool = False, rule: str | None = None) -> Validator:
    """A string of at most ``max_length`` characters; ``required`` forbids empty or blank."""

    def check(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            if required:
                raise InvalidInput(attribute.name, "is required", rule=rule)
            return
        if not isinstance(value, str):
            raise InvalidInput(attribute.name, "must be text", rule=rule)
        if required and not value.strip():
            raise InvalidInput(attribute.name, "must not be empty", rule=rule)
        if len(value) > max_length:
            raise InvalidInput(
                attribute.name, f"is {len(value)} characters, at most {max_length}", rule=rule
            )

    return check


def pattern(regex: str, description: str, *, rule: str | None = None) -> Validator:
    compiled = re.compile(regex)

    def check(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and not compiled.fullmatch(value):
            raise InvalidInput(attribute.name, f"{value!r} is not {description}", rule=rule)

    return check


def amount(
    *, places: int = 2, minimum: Decimal | None = Decimal(0), rule: str | None = None
) -> Validator:
    """An exact Decimal with at most ``places`` decimals; money is never a float."""

    def check(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, Decimal) or not value.is_finite():
            raise InvalidInput(attribute.name, "must be a decimal number", rule=rule)
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -places:
            raise InvalidInput(attribute.name, f"has more than {places} decimal places", rule=rule)
        if minimum is not None and value < minimum:
            raise InvalidInput(attribute.name, f"must be at least {minimum}", rule=rule)

    return check


def within(minimum: int, maximum: int, *, rule: str | None = None) -> Validator:
    """A whole number from ``minimum`` to ``maximum`` (a policy's count, size or day)."""

    def check(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not minimum <= value <= maximum:
            raise InvalidInput(
                attribute.name, f"must be from {minimum} to {maximum}, not {value}", rule=rule
            )

    return check


def one_of(choices: Any, *, rule: str | None = None) -> Validator:
    allowed = [getattr(c, "value", c) for c in choices]

    def check(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and getattr(value, "value", value) not in allowed:
            raise InvalidInput(
                attribute.name, f"{value!r} is not one of {', '.join(allowed)}", rule=rule
            )

    return check


def enum_of(enum_cls: type[E], *, rule: str | None = None) -> attrs.Converter:
    """Convert text to ``enum_cls``; an unknown value names the field and the choices."""

    def convert(value: Any, _inst: Any, attribute: attrs.Attribute[Any]) -> E | None:
        if value is None or isinstance(value, enum_cls):
            return value
        try:
            return enum_cls(str(value).strip().lower())
        except ValueError:
            choices = ", ".join(str(m.value) for m in enum_cls)  # type: ignore[attr-defined]
            raise InvalidInput(
                attribute.name, f"{value!r} is not one of {choices}", rule=rule
            ) from None

    return attrs.Converter(convert, takes_self=True, takes_field=True)


def enums_of(enum_cls: type[E], *, rule: str | None = None) -> attrs.Converter:
    """Convert a list of texts to a non-empty tuple of ``enum_cls`` (a policy's choices)."""
    one = enum_of(enum_cls, rule=rule).converter

    def convert(value: Any, inst: Any, attribute: attrs.Attribute[Any]) -> tuple[E, ...]:
        items = [value] if isinstance(value, (str, enum.Enum)) else list(value or ())
        if not items:
            raise InvalidInput(attribute.name, "must name at least one", rule=rule)
        return tuple(one(item, inst, attribute) for item in items)

    return attrs.Converter(convert, takes_self=True, takes_field=True)


def _normalise_upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(r"[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}")


def _plainly_valid_credit_code(value: Any) -> bool:
    """True for a code python-stdnum accepts as it stands (compact, valid check character):
    GB 32100-2015's check in one pass, where ``uscc.validate`` compacts the code twice (~2 µs
    against ~10 µs; a bulk import checks a million). Anything else goes to stdnum, which
    accepts or explains."""
    if not isinstance(value, str) or not _USCC_SHAPE.fullmatch(value):
        return False
    total = sum(map(operator.mul, map(_USCC_VALUES.__getitem__, value[:17]), _USCC_WEIGHTS))
    return value[17] == _USCC_ALPHABET[(31 - total) % 31]


def credit_code(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Rule CORE-REC-1: an 18-character unified social credit code with a valid check character."""
    if value is None or _plainly_valid_credit_code(value):
        return
    from stdnum.cn import uscc  # imported on first use: keeps CLI start-up lean
    from stdnum.exceptions import ValidationError as StdnumError

    try:
        uscc.validate(value)
    except StdnumError as exc:
        raise InvalidInput(
            attribute.name,
            f"{value!r} is not a valid unified social credit code: {exc}",
            rule="CORE-REC-1",
        ) from None


def id_number(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Rule CORE-CONF-5: an 18-character resident ID number; the error never echoes it.

    See :mod:`crmcore.domain.personal` for why the district is not checked against the birth
    year as ``stdnum.cn.ric.validate`` does.
    """
    if value is None:
        return
    from crmcore.domain.personal import validate_id_number

    validate_id_number(value, attribute.name)


upper = _normalise_upper


def credit_code_form(value: Any) -> Any:
    """A credit code as it is stored: python-stdnum accepts ``9111 0000-6000…`` by compacting
    it, so the stored code is compacted the same way (spaces and hyphens out, capitals); else
    a spaced code passed the check and was then too long for the column."""
    value = blank_to_none(value)
    if isinstance(value, str):
        return "".join(value.split()).replace("-", "").upper()
    return value


def stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value
