"""Notifications (DESIGN.md §9): mandatory notices to family, consulates and counsel, public
subscriptions, and the outbox a worker delivers by email and signed webhook."""
