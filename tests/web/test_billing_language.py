"""Scratch: render the billing pages."""
from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from habeas.api.app import create_app
from tests.billing.test_report import domestic, held, invoiced
from tests.web.test_security import log_in


def test_scratch(demo_engine: Engine) -> None:
    held(demo_engine)
    domestic(demo_engine)
    seq = invoiced(demo_engine)
    client = TestClient(create_app(demo_engine))
    assert log_in(client, "us.officer").status_code == 303
    for lang in ("en", "es"):
        for path in ("/billing/invoices", f"/billing/invoices/{seq}",
                     "/billing/sustainability?period=2025-04",
                     "/billing/sustainability?period=2025"):
            r = client.get(path + ("&" if "?" in path else "?") + f"lang={lang}")
            assert r.status_code == 200, r.text
            name = path.strip("/").replace("/", "_").replace("?", "_")
            open(f"/tmp/billing_helper/{name}.{lang}.html", "w").write(r.text)
        pdf = client.get(f"/billing/invoices/{seq}.pdf?lang={lang}")
        assert pdf.status_code == 200
        open(f"/tmp/billing_helper/invoice.{lang}.pdf", "wb").write(pdf.content)
