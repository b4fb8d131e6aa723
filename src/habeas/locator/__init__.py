"""The public locator (DESIGN.md §9): families and anyone can find where a transferee is."""
