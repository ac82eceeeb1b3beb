"""``crm demo`` with the distribution plugin: scored distributors, orders, approvals waiting."""

from __future__ import annotations

import json


def test_the_demo_has_distributors_orders_and_approvals_waiting(cli):
    made = cli("demo")
    assert made.exit_code == 0, made.output
    assert "10 distributors" in made.stdout
    distributors = json.loads(cli("distribution", "list", "--json").stdout)
    assert len(distributors) == 10
    assert {d["score_class"] for d in distributors} <= {"A", "B", "C", "D"}
    assert all(d["credit_grade"] == d["score_class"] for d in distributors)
    held = json.loads(cli("distribution", "orders", "--status", "held", "--json").stdout)
    assert {h for o in held for h in o["holds"]} >= {"credit_override", "price_exception"}
    waiting = json.loads(cli("tasks", "--json", "--role", "credit_committee").stdout)
    assert [t["title"] for t in waiting] == ["Credit grade and limit review"]
    report = json.loads(cli("classify", "report", "CLS-SCORE-1", "--json").stdout)
    assert sum(s["count"] for s in report["shares"]) == 24
