"""Dashboards: each role's first questions answered by a few SQL aggregates (issue 9)."""
