"""Court orders (legal holds) that bar transfers (DESIGN.md §4)."""
