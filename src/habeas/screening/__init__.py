"""The screening engine: eligibility rules with citations (DESIGN.md §4)."""
