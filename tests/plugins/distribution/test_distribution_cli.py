"""``crm distribution ...``: the same rules through the command line, errors as one line with
the field and the rule, an exit code, no traceback, nothing written."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from crmcore.testing import row_counts


def test_order_deliver_pay_and_show_through_the_cli(cli, shop):
    placed = cli(
        "distribution",
        "order",
        "K2",
        "--line",
        "P1:10:97.00",
        "--line",
        "P2:2:250",
        "--json",
        user="lina",
    )
    assert placed.exit_code == 0, placed.output
    order = json.loads(placed.stdout)
    assert (order["status"], order["amount"], order["terms"]) == (
        "accepted",
        "1470.00",
        "within 30 days",
    )
    shipped = cli("distribution", "deliver", str(order["id"]), user="zheng")
    assert shipped.exit_code == 0, shipped.output
    delivered = json.loads(cli("distribution", "order-show", str(order["id"]), "--json").stdout)
    invoice = json.loads(cli("distribution", "invoices", "--client", "K2", "--json").stdout)[0]
    due = date.fromisoformat(delivered["delivered_on"]) + timedelta(days=30)  # the CLI's today
    assert (invoice["due_on"], invoice["outstanding"]) == (due.isoformat(), "1470.00")
    paid = cli("distribution", "pay", str(invoice["id"]), "1470.00", user="chen")
    assert paid.exit_code == 0 and f"settled {delivered['delivered_on']}" in paid.stdout
    shown = json.loads(cli("distribution", "show", "K2", "--json").stdout)
    assert shown["distributor"]["score_class"] == "B"
    assert shown["scorecards"][0]["scores"]["sales_scale"] == "85.0"  # K2 scored 85
    assert [e["kind"] for e in shown["events"]] == ["registered"]
    assert "K2" in cli("distribution", "list").stdout
    assert "Delivery queue" in cli("distribution", "queue").stdout
    assert "P1" in cli("distribution", "product", "list").stdout
    assert cli("distribution", "order-show", str(order["id"])).exit_code == 0


@pytest.mark.parametrize(
    ("args", "user", "code", "message"),
    [
        (
            ["order", "K2", "--line", "P1:1:96.99"],
            "lina",
            3,
            "error: lines[1].unit_price: 96.99 is below the class B floor 97.00 "
            "(3% off the control price 100.00) (DIST-PRICE-1)",
        ),
        (
            ["order", "X1", "--line", "P1:1:100"],
            "lina",
            4,
            "error: distributor: client X1 is not a registered distributor "
            "(crm distribution register X1)",
        ),
        (
            ["order", "K2", "--line", "P1:1:-1"],
            "lina",
            3,
            "error: lines[1].unit_price: must be more than 0, not -1 (DIST-PRICE-1)",
        ),
        (
            ["order", "K2", "--line", "P1:abc:10"],
            "lina",
            3,
            "error: lines[1].quantity: 'abc' is not a decimal number",
        ),
        (["pay", "1", "1.00"], "chen", 4, "error: invoice: unknown invoice 1"),
        (
            ["review", "K9", "--grade", "D", "--limit", "10", "--reason", "x"],
            "chen",
            3,
            "error: limit: grade D gets no credit at all: the limit must be 0, not 10.00 "
            "(DIST-CRED-1)",
        ),
        (
            ["review", "K2", "--grade", "B", "--limit", "1", "--reason", "x"],
            "lina",
            6,
            "error: user lina lacks",
        ),
    ],
)
def test_bad_input_through_the_cli(cli, shop, args, user, code, message):
    before = row_counts(shop.crm)
    result = cli("distribution", *args, user=user)
    assert result.exit_code == code, result.output
    assert result.stderr.strip().startswith(message)
    assert "Traceback" not in result.output
    assert row_counts(shop.crm) == before


def test_a_payment_larger_than_owed_through_the_cli(cli, shop):
    placed = shop.service.place(shop.lina, "K2", {"lines": ["P1:1:100.00"]})
    invoice = shop.service.deliver(shop.zheng, placed.id).invoice_id
    before = row_counts(shop.crm)
    result = cli("distribution", "pay", str(invoice), "100.01", user="chen")
    assert (result.exit_code, result.stderr.strip()) == (
        3,
        f"error: amount: 100.01 is more than the 100.00 still owed on invoice {invoice}",
    )
    assert row_counts(shop.crm) == before


def test_the_approval_path_through_the_cli(cli, shop):
    shop.service.place(shop.lina, "K2", {"lines": ["P1:1000:100.00"]})
    held = json.loads(
        cli("distribution", "order", "K2", "--line", "P1:1:100", "--json", user="lina").stdout
    )
    assert held["holds"] == ["credit_override"]
    (flow,) = held["workflows"]
    tasks = json.loads(cli("tasks", "--json", user="sun").stdout)
    assert [t["ref"] for t in tasks] == [f"workflow {flow}"]
    assert cli("workflow", "advance", str(flow), user="sun").exit_code == 0
    assert (
        json.loads(cli("distribution", "order-show", str(held["id"]), "--json").stdout)["status"]
        == "accepted"
    )
    review = cli(
        "distribution",
        "review",
        "K3",
        "--grade",
        "C",
        "--limit",
        "0",
        "--reason",
        "逾期",
        user="chen",
    )
    assert review.exit_code == 0 and "waiting for credit_committee" in review.stdout
    asked = cli("distribution", "investigate", "K3", "--reason", "核实资信", user="lina")
    assert asked.exit_code == 0 and "waiting for finance" in asked.stdout
    investigation = int(asked.stdout.split()[1].rstrip(":"))
    filed = cli(
        "distribution",
        "file-investigation",
        str(investigation),
        "--channel",
        "bank",
        "--findings",
        "无不良记录",
        user="chen",
    )
    assert filed.exit_code == 0 and "报告已归档" in filed.stdout
