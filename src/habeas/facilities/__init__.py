"""Facilities: buildings, cells, capacity and housing (DESIGN.md §7)."""
