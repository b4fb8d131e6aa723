"""Transfers: manifests, departure gates and the person-by-person handover (DESIGN.md §3)."""
