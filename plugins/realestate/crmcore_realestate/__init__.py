"""Commissioned-build real estate (大客户委托建房): inventory, pricing approval, eligible buyers, selection tickets, money trail. A crmcore plugin: see plugin.py for its hooks."""
