"""Counsel of record: the recorded link between a lawyer and a client (DESIGN.md §12.1)."""
