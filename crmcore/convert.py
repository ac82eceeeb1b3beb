"""The one cattrs converter: JSON, CSV and XLSX in and out go through here.

Structuring runs the attrs validators of the command classes, so a value from a file is checked
exactly like one from the Python API. Errors come back as one :class:`InvalidInput` naming the
field (``profile.age``), never a cattrs exception tree.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

from crmcore.domain.security import Clearance
from crmcore.errors import CrmError, InvalidInput

T = TypeVar("T")

# Fields with an attrs converter are converted by it (it knows the field name and rule).
converter = cattrs.Converter(forbid_extra_keys=True, prefer_attrib_converters=True)


def _decimal(value: Any, _type: type) -> Decimal:
    if isinstance(value, (bool, float)):
        # A float has already lost exactness; money must arrive as text or Decimal.
        raise ValueError('write decimal numbers as text, e.g. "1234.50"')
    try:
        result = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal number") from None
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a decimal number")
    return result


def _date(value: Any, _type: type) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _datetime(value: Any, _type: type) -> datetime:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a date-time (YYYY-MM-DDTHH:MM+08:00)") from None


def _int(value: Any, _type: type) -> int:
    # cattrs' default int() would turn 20.7 into 20 and True into 1 without a word.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+\s*", value):
        return int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    raise ValueError(f"{value!r} is not a whole number")


_BOOLS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _bool(value: Any, _type: type) -> bool:
    # cattrs' default bool() would read the text "0" or "no" as True.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _BOOLS:
        return _BOOLS[value.strip().lower()]
    raise ValueError(f"{value!r} is not true or false")


converter.register_structure_hook(int, _int)
converter.register_structure_hook(bool, _bool)
converter.register_structure_hook(Decimal, _decimal)
converter.register_structure_hook(date, _date)
converter.register_structure_hook(datetime, _datetime)
converter.register_unstructure_hook(Decimal, str)
converter.register_unstructure_hook(date, date.isoformat)
converter.register_unstructure_hook(datetime, datetime.isoformat)
# Secrecy levels read as words (``"secret"``), not as their stored rank.
converter.register_structure_hook(Clearance, lambda value, _type: Clearance.parse(value))
converter.register_unstructure_hook(Clearance, lambda level: level.label)


def structure(data: Mapping[str, Any], cls: type[T]) -> T:
    """Build ``cls`` from plain data, or raise one InvalidInput naming the first bad field."""
    try:
        return converter.structure(data, cls)
    except CrmError:
        raise
    except ForbiddenExtraKeysError as exc:
        raise InvalidInput(sorted(exc.extra_fields)[0], "is not a known field") from None
    except (ClassValidationError, IterableValidationError) as exc:
        raise _first_error(exc) from None
    except (ValueError, TypeError) as exc:
        raise InvalidInput(cls.__name__, str(exc)) from None


def _first_error(exc: BaseException, path: str = "") -> CrmError:
    if isinstance(exc, CrmError):
        return exc
    if isinstance(exc, ForbiddenExtraKeysError):
        return InvalidInput(_join(path, sorted(exc.extra_fields)[0]), "is not a known field")
    if isinstance(exc, ExceptionGroup):
        for sub in exc.exceptions:
            note = next((n for n in getattr(sub, "__notes__", []) if hasattr(n, "name")), None)
            name = getattr(note, "name", None) or getattr(note, "index", None)
            inner = _first_error(sub, _join(path, str(name)) if name is not None else path)
            if inner is not None:
                return inner
    if isinstance(exc, KeyError):
        return InvalidInput(path or str(exc), "is required")
    message = str(exc) or type(exc).__name__
    if "missing" in message and "required" in message:
        message = "is required"
    return InvalidInput(path or "input", message)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def unstructure(obj: Any) -> Any:
    """Plain data for JSON: Decimal as text (exact), dates ISO, enums by value."""
    return converter.unstructure(obj)


def to_json(obj: Any) -> str:
    return json.dumps(unstructure(obj), ensure_ascii=False, indent=2, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Clearance):
        return value.label
    if isinstance(value, enum.Enum):
        return value.value
    if attrs.has(type(value)):
        return converter.unstructure(value)
    raise TypeError(f"cannot render {type(value).__name__} as JSON")


def loads(text: str) -> Any:
    """JSON in, with every non-integer number as an exact Decimal."""
    return json.loads(text, parse_float=Decimal)
