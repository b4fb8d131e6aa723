"""Billing: fees, invoices, credit notes, payments and the sustainability report (DESIGN.md §8)."""
