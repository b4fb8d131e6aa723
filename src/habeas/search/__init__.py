"""Staff search: people, nominations, court orders and invoices from one box (issue 9)."""
