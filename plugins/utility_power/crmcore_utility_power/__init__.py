"""Power-supply key accounts (业扩报装): application, supply plan and quote, acceptance, energising. A crmcore plugin: see plugin.py for its hooks."""
