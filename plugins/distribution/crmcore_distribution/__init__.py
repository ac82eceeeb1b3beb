"""Distributor credit tiers (分销商信用等级 A/B/C/D): scores, price bounds, payment terms, credit. A crmcore plugin: see plugin.py for its hooks."""
