"""Railway freight key accounts (铁路运输大客户): qualification, certificate, annual volume approval. A crmcore plugin: see plugin.py for its hooks."""
