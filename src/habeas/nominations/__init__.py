"""Nominations by the sending state: the people proposed for transfer (DESIGN.md §4)."""
