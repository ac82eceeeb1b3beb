"""Resident ID numbers (居民身份证号, GB 11643-1999): validation and masked display (CORE-CONF-5).

Why not ``stdnum.cn.ric.validate`` as it is: besides length, digits, birth date and check
character it looks the 6-digit area code up in python-stdnum's GB/T 2260 history and refuses
the number unless that code existed *in the birth year*. The code in an ID number is the
code where the person was first registered (1984 onwards for most people alive), not where
they were in their birth year, and stdnum knows most districts only from their 1983 codes on;
so it refuses real numbers of everyone born before those years (e.g. a 1960 birth registered
in 广州市天河区 440106, a district stdnum knows from 1985). Districts created after stdnum's data
was last updated would be refused too.

We therefore use stdnum for what it gets right (cleaning, birth date, check character) and
check the province (first two digits, a closed list since 1988) instead of the district by
year. The ISO 7064 MOD 11-2 check character already catches every single wrong digit and every
swap of two adjacent digits, which is what typing errors are. Errors never echo the number.
"""

from __future__ import annotations

import re
from datetime import date

from crmcore.errors import InvalidInput

RULE = "CORE-CONF-5"

#: GB/T 2260 province-level codes, plus 81/82/83 of the residence permits for residents of
#: Hong Kong, Macao and Taiwan (港澳台居民居住证), which follow the same GB 11643 layout.
PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)
EARLIEST_BIRTH = date(1880, 1, 1)


def validate_id_number(
    value: object, field: str = "id_number", *, today: date | None = None
) -> str:
    """The normalised 18-character number (upper-case X), or InvalidInput naming ``field``.

    The message says what is wrong (length, check character, date, province) but never
    repeats the number, so it can go to logs and terminals.
    """
    from stdnum.cn import ric
    from stdnum.exceptions import ValidationError
    from stdnum.util import isdigits

    if not isinstance(value, str):
        raise InvalidInput(field, "must be text", rule=RULE)
    number = ric.compact(value)
    if len(number) != 18:
        raise InvalidInput(
            field, f"is {len(number)} characters; a resident ID number has 18", rule=RULE
        )
    if not isdigits(number[:-1]) or not (number[-1].isdigit() or number[-1] == "X"):
        raise InvalidInput(field, "must be 17 digits and a check digit or X (GB 11643)", rule=RULE)
    if number[-1] != ric.calc_check_digit(number):
        raise InvalidInput(
            field, "has a wrong check character: a digit was mistyped (GB 11643)", rule=RULE
        )
    try:
        born = ric.get_birth_date(number)
    except ValidationError:
        raise InvalidInput(field, "holds no valid birth date (GB 11643)", rule=RULE) from None
    if not EARLIEST_BIRTH <= born <= (today or date.today()):
        raise InvalidInput(field, "holds a birth date in the future or before 1880", rule=RULE)
    if int(number[:2]) not in PROVINCES:
        raise InvalidInput(field, "does not start with a province code (GB/T 2260)", rule=RULE)
    return number


def is_valid_id_number(value: object) -> bool:
    try:
        validate_id_number(value)
    except InvalidInput:
        return False
    return True


def mask_id_number(number: str) -> str:
    """``110***********1234``: the first three and last four characters, the rest starred."""
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def is_masked_id_number(value: object) -> bool:
    """Whether ``value`` is a masked display form (``110***********1234``), not a number."""
    return isinstance(value, str) and re.fullmatch(r"\w{3}\*{4,}\w{4}", value.strip()) is not None
