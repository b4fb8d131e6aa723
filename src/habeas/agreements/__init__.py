"""Agreements between a sending and a receiving state: parties, term, quota, fees, rules."""
