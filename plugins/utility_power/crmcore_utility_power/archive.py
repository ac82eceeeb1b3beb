"""What the power plugin files in the client's archive (客户档案, CORE-ARC-1).

The quote (供电方案答复单) as the client was given it, in the plugin's category ``power``,
filed on the notice and given a new version with each extension of its validity; the signed
supply contract (供用电合同), when a copy is handed in, in the core's ``contracts``. Titles
name the application, never the contract number (a sensitive field, see ``sensitive``).
"""

from __future__ import annotations

from datetime import date

from crmcore import NewDocument, Tx

CATEGORY = "power"
CONTRACTS = "contracts"  # the core's category


def file_quote(
    tx: Tx, client_code: str, quote_number: str, application: str, text: str, day: date
) -> int:
    """File the quote text as given on ``day``; the document's id."""
    title = f"供电方案答复单 {quote_number} ({application})"
    return _file(tx, client_code, CATEGORY, title, f"{quote_number}.txt", text.encode(), day)


def refile_quote(tx: Tx, document_id: int, quote_number: str, text: str, note: str) -> None:
    """A new version of the filed quote (the earlier ones stay readable)."""
    tx.crm.archives.add_version(tx, document_id, f"{quote_number}.txt", text.encode(), note=note)


def file_contract(
    tx: Tx, client_code: str, application: str, filename: str, content: bytes, day: date
) -> int:
    """File the signed contract's copy; the document's id."""
    return _file(tx, client_code, CONTRACTS, f"供用电合同 ({application})", filename, content, day)


def _file(
    tx: Tx, client_code: str, category: str, title: str, filename: str, content: bytes, day: date
) -> int:
    new = NewDocument(category=category, title=title, filename=filename, content=content, dated=day)
    return tx.crm.archives.file(tx, client_code, new).id
