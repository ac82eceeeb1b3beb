"""Use cases, one module per capability. Each public method runs in one transaction.

``Crm`` creates a service the first time it is used (``crm.clients``), so a command imports
only the modules it needs; extend :data:`SERVICES` when adding a capability.
"""

#: attribute of Crm -> "module:class"
SERVICES: dict[str, str] = {
    "users": "crmcore.services.users:UserService",
    "clients": "crmcore.services.clients:ClientService",
    "contacts": "crmcore.services.contacts:ContactService",
    "logs": "crmcore.services.logs:LogService",
    "memos": "crmcore.services.memos:MemoService",
    "plugins": "crmcore.services.plugins:PluginService",
    "demo": "crmcore.services.demo:DemoService",
    # issue 4: confidentiality, organisation, audit, archives, handover
    "access": "crmcore.services.access:AccessService",
    "org": "crmcore.services.org:OrgService",
    "audit": "crmcore.services.audit:AuditService",
    "archives": "crmcore.services.archives:ArchiveService",
    "handover": "crmcore.services.handover:HandoverService",
    "personal": "crmcore.services.personal:PersonalDataService",
    "calendar": "crmcore.services.calendar:CalendarService",
    "policies": "crmcore.services.policies:PolicyService",
    "workflows": "crmcore.services.workflows:WorkflowService",
    "obligations": "crmcore.services.obligations:ObligationService",
    "tasks": "crmcore.services.tasks:TaskService",
    "reports": "crmcore.services.reports:ReportService",
    "imports": "crmcore.services.imports:ImportService",
    "exports": "crmcore.services.exports:ExportService",
}
