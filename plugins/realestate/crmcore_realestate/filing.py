"""What the real estate plugin files in the commissioning unit's archive (客户档案, CORE-ARC-1).

The scan of a ticket's copy signed by the buyer (选房工作票客户签字联, RE-TICKET-1), in the
plugin's category ``realestate``. The title names the ticket, never the buyer's ID number.
"""

from __future__ import annotations

from crmcore import InvalidInput, NewDocument, Tx
from crmcore.calendar import china_date

CATEGORY = "realestate"


def file_signed_copy(
    tx: Tx, client_code: str, ticket_number: str, filename: str, content: bytes
) -> int:
    """File the scan of the signed copy; the document's id. A file the archive refuses (type,
    size, empty) is refused naming ``scan``."""
    new = NewDocument(
        category=CATEGORY,
        title=f"选房工作票客户签字联 {ticket_number}",
        filename=filename,
        content=content,
        dated=china_date(tx.now),
    )
    try:
        return tx.crm.archives.file(tx, client_code, new).id
    except InvalidInput as exc:
        raise InvalidInput("scan", f"{filename}: {exc.message}", rule=exc.rule) from None
