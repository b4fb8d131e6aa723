"""Release-date calculation (pure; DESIGN.md §5)."""
