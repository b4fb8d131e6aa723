"""The custody ledger: every event as a leaf of an RFC 9162 Merkle log."""
