"""Client archive documents (客户档案资料, 分类归档): rules CORE-ARC-1/2.

A document is filed on a client in a category, dated, and kept in versions; its content is
stored once per sha256. Nothing is deleted: a document is withdrawn with a reason.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from attrs import field, frozen

from crmcore.domain import checks
from crmcore.domain.security import Clearance
from crmcore.errors import InvalidInput

RULE = "CORE-ARC-1"

#: The four core categories of CORE-ARC-1, in the rule's order: code -> (label, label_zh).
CORE_CATEGORIES: dict[str, tuple[str, str]] = {
    "basic": (
        "Basic data: registration, ID copies, signers, background, visit reports",
        "基础资料",
    ),
    "contracts": ("Contracts and agreements, in signing order", "合同协议"),
    "receivables": ("Receivables: repayment plans, credit limit, debts and repayments", "应收账款"),
    "complaints": ("Complaints and discounts: approvals, reasons, findings", "投诉与折让"),
}

CATEGORY_PATTERN = r"[a-z][a-z0-9_]{0,63}"


class FileType(enum.StrEnum):
    """What may be filed: common office and scan formats, and OFD (China's e-document format)."""

    PDF = "application/pdf"
    PNG = "image/png"
    JPEG = "image/jpeg"
    TIFF = "image/tiff"
    DOC = "application/msword"
    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    XLS = "application/vnd.ms-excel"
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    OFD = "application/ofd"
    TEXT = "text/plain"


EXTENSIONS: dict[str, FileType] = {
    ".pdf": FileType.PDF,
    ".png": FileType.PNG,
    ".jpg": FileType.JPEG,
    ".jpeg": FileType.JPEG,
    ".tif": FileType.TIFF,
    ".tiff": FileType.TIFF,
    ".doc": FileType.DOC,
    ".docx": FileType.DOCX,
    ".xls": FileType.XLS,
    ".xlsx": FileType.XLSX,
    ".ofd": FileType.OFD,
    ".txt": FileType.TEXT,
}

_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
MAGIC: dict[FileType, tuple[bytes, ...]] = {
    FileType.PDF: (b"%PDF-",),
    FileType.PNG: (b"\x89PNG\r\n\x1a\n",),
    FileType.JPEG: (b"\xff\xd8\xff",),
    FileType.TIFF: (b"II*\x00", b"MM\x00*"),
    FileType.DOC: _OLE,
    FileType.XLS: _OLE,
    FileType.DOCX: _ZIP,
    FileType.XLSX: _ZIP,
    FileType.OFD: _ZIP,
}


@frozen(kw_only=True)
class ArchivePolicy:
    """Limits on filed documents (an installation's choice; not numbers from RULES.md)."""

    max_bytes: int = field(default=20 * 1024 * 1024, validator=checks.within(1, 1 << 30, rule=RULE))
    allowed_types: tuple[FileType, ...] = field(
        default=tuple(FileType), converter=checks.enums_of(FileType, rule=RULE)
    )


def file_type(
    filename: str, content: bytes, policy: ArchivePolicy, field_name: str = "file"
) -> FileType:
    """The type of an upload from its extension, checked against its first bytes and the policy.

    Refuses a disallowed type, content that does not match its extension (a renamed
    executable), an empty file and one over the size limit.
    """
    if not content:
        raise InvalidInput(field_name, "is empty", rule=RULE)
    if len(content) > policy.max_bytes:
        raise InvalidInput(
            field_name,
            f"is {len(content):,} bytes; the limit is {policy.max_bytes:,}",
            rule=RULE,
        )
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    kind = EXTENSIONS.get(suffix)
    if kind is None or kind not in policy.allowed_types:
        allowed = ", ".join(sorted(e for e, k in EXTENSIONS.items() if k in policy.allowed_types))
        raise InvalidInput(
            field_name, f"{suffix or 'no extension'} is not an allowed type ({allowed})", rule=RULE
        )
    signatures = MAGIC.get(kind)
    if signatures is not None and not content.startswith(signatures):
        raise InvalidInput(
            field_name,
            f"does not look like a {suffix} file: its content is of another type",
            rule=RULE,
        )
    if kind is FileType.TEXT:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            try:
                content.decode("gb18030")
            except UnicodeDecodeError:
                raise InvalidInput(
                    field_name, "is not text (UTF-8 or GB18030)", rule=RULE
                ) from None
        if b"\x00" in content:
            raise InvalidInput(field_name, "is not text (it holds NUL bytes)", rule=RULE)
    return kind


@frozen(kw_only=True)
class NewDocument:
    category: str = field(
        converter=checks.stripped,
        validator=checks.pattern(CATEGORY_PATTERN, "a category code", rule=RULE),
    )
    title: str = field(
        converter=checks.stripped, validator=checks.text(200, required=True, rule=RULE)
    )
    filename: str = field(
        converter=checks.stripped, validator=checks.text(255, required=True, rule=RULE)
    )
    content: bytes = field(repr=False)
    dated: date | None = None  # the document's own date; None: today
    clearance: Clearance | None = field(
        default=None, converter=lambda v: None if v is None else Clearance.parse(v)
    )  # None: the policy's default level for documents
    note: str | None = field(
        default=None, converter=checks.blank_to_none, validator=checks.text(2000)
    )


@frozen(kw_only=True)
class DocumentVersion:
    version: int
    filename: str
    media_type: str
    size: int
    sha256: str
    note: str | None
    uploaded_at: datetime
    uploaded_by: str


@frozen(kw_only=True)
class Document:
    id: int
    client_code: str
    category: str
    title: str | None  # None when masked
    dated: date
    clearance: Clearance
    version: int
    filename: str | None
    media_type: str
    size: int
    sha256: str
    created_at: datetime
    created_by: str
    withdrawn_at: datetime | None
    withdrawn_reason: str | None
    versions: tuple[DocumentVersion, ...] = ()
    masked: tuple[str, ...] = ()


@frozen(kw_only=True)
class Category:
    code: str
    label: str
    label_zh: str
    owner: str  # crmcore or the plugin that registered it


@frozen(kw_only=True)
class ArchiveIndexRow:
    """One client in the archive index (CORE-ARC-2)."""

    client_code: str
    client_name: str
    region: str | None
    owner: str | None
    custodian: str | None
    unit: str | None
    documents: int
    last_filed: date | None
    sort_value: object | None = None
