"""Use cases, one module per capability. Each public method runs in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crmcore.app import Crm


def register_services(crm: Crm) -> None:
    from crmcore.services.clients import ClientService
    from crmcore.services.contacts import ContactService
    from crmcore.services.demo import DemoService
    from crmcore.services.logs import LogService
    from crmcore.services.memos import MemoService
    from crmcore.services.plugins import PluginService
    from crmcore.services.users import UserService

    crm.users = UserService(crm)
    crm.clients = ClientService(crm)
    crm.contacts = ContactService(crm)
    crm.logs = LogService(crm)
    crm.memos = MemoService(crm)
    crm.plugins = PluginService(crm)
    crm.demo = DemoService(crm)
