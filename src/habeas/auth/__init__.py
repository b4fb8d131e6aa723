"""Users, roles, API tokens, browser sessions and the read audit (DESIGN.md §2)."""
