"""Credit figures are sensitive fields (DIST-CRED-1 under CORE-CONF-2/4): logistics and
read-only users see classes, terms and the queue, not limits, exposure or scores; those who
read them in clear leave a look-up record."""

from __future__ import annotations

from crmcore_distribution.domain import NewOrder

from crmcore import NewUnit


def test_logistics_sees_the_order_and_the_queue_but_no_credit_figures(shop):
    placed = shop.service.place(shop.lina, "K2", NewOrder(lines=("P1:10:97.00",)))
    assert placed.credit_limit is not None  # lina sells on credit: she sees it
    seen = shop.service.order(shop.zheng, placed.id)
    assert (seen.status, seen.terms, seen.credit_limit, seen.exposure) == (
        "accepted",
        placed.terms,
        None,
        None,
    )
    assert seen.masked == ("credit_limit", "exposure")
    (entry,) = shop.service.queue(shop.zheng)
    assert (entry.score_class, entry.score, entry.masked) == ("B", None, ("score",))
    assert shop.service.queue(shop.sun)[0].score is not None


def test_distributor_credit_figures_need_the_credit_permission(shop, make_user, cli):
    shop.crm.org.add_member(shop.admin, "HQ", make_user("zhao", "read_only").login)
    masked = shop.service.get(shop.crm.actor("zhao"), "K0")
    assert (masked.credit_grade, masked.credit_limit, masked.available, masked.score) == (
        "A",
        None,
        None,
        None,
    )
    clear = shop.service.get(shop.chen, "K0")
    assert clear.credit_limit == 100000 and clear.masked == ()
    events = shop.crm.audit.log(shop.admin, user="chen")
    assert events[0].action == "distribution.show"  # a look-up, not a value
    shown = cli("distribution", "list", user="zhao")
    assert shown.exit_code == 0, shown.output
    assert "(masked)" in shown.stdout and "100,000.00" not in shown.stdout


def test_a_user_of_another_unit_does_not_see_the_distributor_at_all(shop, make_user):
    shop.crm.org.add_unit(
        shop.admin, NewUnit(code="SZ", name="深圳分公司", kind="branch", parent="HQ")
    )
    make_user("xu", "finance")
    shop.crm.org.add_member(shop.admin, "SZ", "xu")
    assert shop.service.list(shop.crm.actor("xu")) == []
