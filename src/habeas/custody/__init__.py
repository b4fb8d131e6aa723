"""Custody: people held at a facility, their intake (Mandela Rule 7), alerts to the states."""
