"""Demo data for ``crm demo``: filled in below."""
