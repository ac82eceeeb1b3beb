from realestate_kit import CLIENT, PROJECT, ticket


def test_ticket_payment_voucher(re):  # type: ignore[no-untyped-def]
    crm = re.crm
    t = re.issue_ticket(crm.actor("sales"), PROJECT, CLIENT, ticket("1-0101"))
    assert t.total == 800000
    re.check_ticket(crm.actor("checker"), t.number)
    re.pay(crm.actor("sales"), t.number, t.due)
    v = re.ticket(crm.actor("sales"), t.number)
    assert v.voucher
