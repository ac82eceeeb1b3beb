"""What waits on me, or on a role (待办): workflow steps and obligation duties, overdue first."""

from __future__ import annotations

from datetime import datetime, timedelta

from attrs import frozen

from crmcore.app import Service, Tx, query
from crmcore.calendar import Period, PeriodKind, china_date, end_of_day
from crmcore.errors import InvalidInput
from crmcore.obligations import DutyStatus

#: How far back open duties are still shown as tasks (an unanswered inquiry stays a task).
LOOKBACK_DAYS = 92


@frozen(kw_only=True)
class Task:
    kind: str  # workflow | obligation
    ref: str  # "workflow 12" or the obligation key
    title: str
    client_code: str | None
    step: str  # the workflow step, or what the duty is about
    waiting_for: str  # the role(s) or person it waits on
    due_at: datetime | None
    overdue: bool
    paused: bool = False


class TaskService(Service):
    @query
    def waiting(
        self, tx: Tx, *, role: str | None = None, lookback_days: int = LOOKBACK_DAYS
    ) -> list[Task]:
        """Tasks of the acting user (every role they hold), or of ``role``; overdue first."""
        if role is not None:
            tx.actor.require("workflow.read")
            if role not in self.crm.roles:
                raise InvalidInput(
                    "role", f"unknown role {role!r} (known: {', '.join(sorted(self.crm.roles))})"
                )
        if lookback_days < 0:
            raise InvalidInput("since", "must not be negative")
        roles = {role} if role else set(tx.actor.roles)
        today = china_date(tx.now)
        tasks = [
            Task(
                kind="workflow",
                ref=f"workflow {instance.id}",
                title=instance.title,
                client_code=instance.client_code,
                step=instance.state_label,
                waiting_for=", ".join(mine),
                due_at=end_of_day(instance.due) if instance.due else None,
                overdue=instance.due is not None and instance.due < today,
                paused=instance.paused,
            )
            for instance, mine in self.crm.workflows.waiting_on(
                tx, roles, login=None if role else tx.actor.login
            )
        ]
        end = Period.containing(today, PeriodKind.QUARTER).end
        for duty in self.crm.obligations.due_between(
            tx, today - timedelta(days=lookback_days), end
        ):
            if duty.status not in (DutyStatus.OPEN, DutyStatus.OVERDUE):
                continue
            ours = (
                duty.role in roles
                if role
                else (duty.assignee == tx.actor.login or duty.role in roles)
            )
            if ours:
                tasks.append(
                    Task(
                        kind="obligation",
                        ref=duty.obligation,
                        title=duty.title,
                        client_code=duty.client_code,
                        step=duty.subject,
                        waiting_for=duty.assignee or duty.role or "-",
                        due_at=duty.due_at,
                        overdue=duty.status is DutyStatus.OVERDUE,
                    )
                )
        far = datetime.max.replace(tzinfo=tx.now.tzinfo)
        tasks.sort(key=lambda k: (not k.overdue, k.due_at or far, k.ref))
        return tasks
