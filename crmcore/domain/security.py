"""Confidentiality (保密), organisation and ownership: pure values, no I/O.

Rules CORE-CONF-1..5 (who may read what), CORE-OWN-1..3 (who is responsible), CLS-AMT-2 (the
tier decides the managing level). The numbers these rules fix are defaults of the ``*Policy``
classes below, registered in ``crmcore.policies.CORE_POLICIES`` (CORE-CONF-1, CORE-OWN-1) and
read with ``tx.crm.policies.in_force(tx, key)``; the managing level of each tier is part of
CLS-AMT-2 (``crmcore.policies.RevenueTiers``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs
from attrs import field, frozen

from crmcore.domain import checks
from crmcore.errors import InvalidInput

#: What a table or an export shows for a field withheld from its reader. Never a value: imports
#: skip a cell holding it, so a re-imported masked export cannot overwrite what it hid.
MASKED = "(masked)"


class Clearance(enum.IntEnum):
    """Secrecy level (密级) of a record or field, and how far a user is cleared to read.

    Ordered: a user reads a record or field only when their clearance is at least its level.
    Stored as the integer, shown and typed as the lower-case name.
    """

    PUBLIC = 0  # 公开
    INTERNAL = 1  # 内部
    CONFIDENTIAL = 2  # 秘密 / 保密
    SECRET = 3  # 机密

    @property
    def label(self) -> str:
        return self.name.lower()

    def __str__(self) -> str:
        return self.label

    @classmethod
    def parse(cls, value: Any, field_name: str = "clearance") -> Clearance:
        """Accept a Clearance, its name (``secret``), its Chinese label or its number."""
        if isinstance(value, cls):
            return value
        text = str(value).strip().lower()
        for member in cls:
            if text in {member.label, str(member.value), _LABELS_ZH[member]}:
                return member
        choices = ", ".join(m.label for m in cls)
        raise InvalidInput(field_name, f"{value!r} is not one of {choices}", rule="CORE-CONF-1")


_LABELS_ZH = {
    Clearance.PUBLIC: "公开",
    Clearance.INTERNAL: "内部",
    Clearance.CONFIDENTIAL: "秘密",
    Clearance.SECRET: "机密",
}


def clearance_converter(field_name: str) -> Callable[[Any], Clearance]:
    return lambda value: Clearance.parse(value, field_name)


class Importance(enum.StrEnum):
    """How much a client matters (重要程度), one input of assignment (CORE-OWN-3)."""

    KEY = "key"  # 重点客户
    IMPORTANT = "important"  # 重要客户
    NORMAL = "normal"  # 一般客户


class UnitKind(enum.StrEnum):
    HEAD_OFFICE = "head_office"  # 总部
    BRANCH = "branch"  # 分公司
    DEPARTMENT = "department"  # 部门
    REGION = "region"  # 区域 / 片区


class ManagingLevel(enum.StrEnum):
    """Which level of the organisation manages a client (CLS-AMT-2: 分级管理)."""

    PROVINCIAL = "provincial"  # 省级中心
    CITY = "city"  # 市级
    COUNTY = "county"  # 县级


UNIT_CODE_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}"


@frozen(kw_only=True)
class NewUnit:
    """A unit of the organisation tree: head office, branch, department or region."""

    code: str = field(
        converter=checks.stripped,
        validator=checks.pattern(UNIT_CODE_PATTERN, "a unit code (letters, digits, _ . -)"),
    )
    name: str = field(converter=checks.stripped, validator=checks.text(100, required=True))
    kind: UnitKind = field(converter=checks.enum_of(UnitKind, rule="CORE-OWN-3"))
    parent: str | None = field(default=None, converter=checks.blank_to_none)  # parent unit code
    level: ManagingLevel | None = field(
        default=None, converter=checks.enum_of(ManagingLevel, rule="CLS-AMT-2")
    )
    region: str | None = field(
        default=None, converter=checks.blank_to_none, validator=checks.text(100, rule="CORE-OWN-3")
    )  # the region (prefix) this unit serves, e.g. 广东/广州
    manager: str | None = field(default=None, converter=checks.blank_to_none)  # default owner


@frozen(kw_only=True)
class OrgUnit:
    id: int
    code: str
    name: str
    kind: UnitKind
    parent: str | None
    level: ManagingLevel | None
    region: str | None
    manager: str | None
    members: tuple[str, ...]
    path: tuple[str, ...]  # codes from the root down to this unit


@frozen(kw_only=True)
class NewAssignmentRule:
    """CORE-OWN-3: clients matching region (prefix), industry and importance go to a unit.

    An empty criterion matches everything; the most specific matching rule wins, then the
    lowest ``priority`` number.
    """

    unit: str
    region: str | None = field(default=None, converter=checks.blank_to_none)
    industry: str | None = field(default=None, converter=checks.blank_to_none)
    importance: Importance | None = field(
        default=None, converter=checks.enum_of(Importance, rule="CORE-OWN-3")
    )
    manager: str | None = field(default=None, converter=checks.blank_to_none)
    priority: int = 100


@frozen(kw_only=True)
class AssignmentRule:
    id: int
    unit: str
    region: str | None
    industry: str | None
    importance: Importance | None
    manager: str | None
    priority: int
    active: bool

    def matches(self, region: str | None, industry: str | None, importance: str | None) -> bool:
        if self.region and not (
            region and (region == self.region or region.startswith(self.region + "/"))
        ):
            return False
        if self.industry and industry != self.industry:
            return False
        return not (self.importance and importance != self.importance)

    @property
    def specificity(self) -> tuple[int, int, int]:
        """More criteria, and a longer region prefix, make a rule more specific."""
        criteria = sum(x is not None for x in (self.region, self.industry, self.importance))
        depth = self.region.count("/") + 1 if self.region else 0
        return (criteria, depth, -self.priority)


@frozen(kw_only=True)
class Assignment:
    """What the rules decide for one client (``crm org assign`` shows it before applying)."""

    client_code: str
    unit: str | None
    owner: str | None
    rule_id: int | None
    level: ManagingLevel | None
    reason: str


@frozen(kw_only=True)
class Grant:
    """Permission to read one client's archive (查阅权限, CORE-CONF-2), for a user or a role."""

    id: int
    client_code: str
    user: str | None
    role: str | None
    reason: str
    granted_by: str
    granted_at: datetime
    until: datetime | None
    revoked_at: datetime | None


@frozen
class FieldRule:
    """A field that needs more than the record: a clearance, a permission, or both.

    ``when`` (plugins only) limits the rule to records in some state, e.g. a cost that is
    secret *until the price is approved* (CORE-CONF-4): ``when=lambda r: r.status != "approved"``.
    Several rules on one field all apply: the most restrictive wins.
    """

    entity: str
    field: str
    clearance: Clearance = Clearance.PUBLIC
    permission: str | None = None
    when: Callable[[Any], bool] | None = field(default=None, eq=False)
    owner: str = "crmcore"  # crmcore, a plugin name, or "admin" for rules set in the database
    rule: str | None = None  # the RULES.md ID it implements
    label_zh: str = ""

    def applies_to(self, record: Any) -> bool:
        return self.when is None or record is None or bool(self.when(record))


# -- policies (defaults are the rules' numbers; registered in crmcore.policies.CORE_POLICIES) --


_level = attrs.Converter(
    lambda value, _inst, attribute: Clearance.parse(value, attribute.name),
    takes_self=True,
    takes_field=True,
)


@frozen(kw_only=True)
class ConfidentialityPolicy:
    """CORE-CONF-1/2: every client archive is confidential, and every look-up is recorded."""

    #: a new client record's level
    client_level: Clearance = field(default=Clearance.CONFIDENTIAL, converter=_level)
    #: a new archive document's level
    document_level: Clearance = field(default=Clearance.CONFIDENTIAL, converter=_level)
    #: a new user's clearance
    user_clearance: Clearance = field(default=Clearance.CONFIDENTIAL, converter=_level)
    #: reads of records at this level or above leave a 查阅记录
    audit_reads_from: Clearance = field(default=Clearance.CONFIDENTIAL, converter=_level)


@frozen(kw_only=True)
class OwnershipPolicy:
    """CORE-OWN-1: important clients have at least two staff in contact (联系报告制)."""

    min_staff_in_contact: int = field(default=2, validator=checks.within(1, 20, rule="CORE-OWN-1"))
    important_levels: tuple[Importance, ...] = field(
        default=(Importance.KEY, Importance.IMPORTANT),
        converter=checks.enums_of(Importance, rule="CORE-OWN-1"),
    )
