"""People: persons, identity documents (MRZ) and convictions."""
