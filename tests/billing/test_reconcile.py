"""habeas billing reconcile: an invoice recomputed from a verified ledger export alone."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from habeas.billing import reads, reconcile
from habeas.db import read_session, unit_of_work
from habeas.ledger import publish, service
from habeas.transfers.models import ManifestPerson
from tests.billing.test_invoices import REF, _held, _issue
from tests.billing.test_unbillable import _return_order
from tests.conftest import Ledger


def _export(ledger: Ledger, folder: Path) -> str:
    with unit_of_work(ledger.engine) as s:
        checkpoint = service.sign_checkpoint(s, ledger.signer)
    with read_session(ledger.engine) as s:
        publish.export(s, folder, checkpoint)
    return str(folder)


def _document(ledger: Ledger, seq: int) -> dict[str, Any]:
    with read_session(ledger.engine) as s:
        return reads.invoice_document(s, reads.get_invoice(s, seq))


def _reconcile(ledger: Ledger, folder: str, period: str, *docs: dict[str, Any]
               ) -> reconcile.Report:
    documents = [reconcile.parse_document(d, "invoice") for d in docs]
    report, _ = reconcile.from_export(folder, ledger.signer.verifier, documents, period)
    return report


class TestReconcile:
    def test_an_honest_invoice_agrees_day_for_day(self, ledger: Ledger, tmp_path: Path
                                                  ) -> None:
        _held(ledger.engine)
        april = _issue(ledger.engine, "2025-04")
        folder = _export(ledger, tmp_path / "tiles")
        report = _reconcile(ledger, folder, "2025-04", _document(ledger, april))
        assert report.agrees, [str(d) for d in report.differences]
        assert report.days == 9 + 21
        assert report.recomputed_total == report.invoiced_total > 0

    def test_credits_are_recomputed_from_the_earlier_invoices(
            self, ledger: Ledger, tmp_path: Path) -> None:
        _held(ledger.engine)
        april = _issue(ledger.engine, "2025-04")
        _return_order(ledger.engine, "T-2", date(2025, 4, 25))
        may = _issue(ledger.engine, "2025-05", today=date(2025, 6, 2))
        folder = _export(ledger, tmp_path / "tiles")
        both = _reconcile(ledger, folder, "2025-05", _document(ledger, april),
                          _document(ledger, may))
        assert both.agrees, [str(d) for d in both.differences]
        assert both.invoiced_total < 0  # May is all credit
        alone = _reconcile(ledger, folder, "2025-05", _document(ledger, may))
        assert [(d.kind, d.what) for d in alone.differences] == [("credit", "line")]

    def test_a_database_that_drifted_from_the_ledger_is_caught(
            self, ledger: Ledger, tmp_path: Path) -> None:
        _, b = _held(ledger.engine)
        # The operator's database says B arrived five days earlier than the ledger does.
        with unit_of_work(ledger.engine) as s:
            entry = s.query(ManifestPerson).filter_by(public_id=b).one()
            s.execute(update(ManifestPerson).where(ManifestPerson.public_id == b).values(
                handed_over_at=entry.handed_over_at - timedelta(days=5)))
        april = _issue(ledger.engine, "2025-04")
        folder = _export(ledger, tmp_path / "tiles")
        report = _reconcile(ledger, folder, "2025-04", _document(ledger, april))
        assert not report.agrees
        days = next(d for d in report.differences if d.what == "days")
        assert (days.public_id, days.invoiced, days.recomputed) == (b, 26, 21)
        assert report.invoiced_total > report.recomputed_total

    def test_a_document_that_is_not_the_one_issued_is_refused(
            self, ledger: Ledger, tmp_path: Path) -> None:
        _held(ledger.engine)
        april = _issue(ledger.engine, "2025-04")
        folder = _export(ledger, tmp_path / "tiles")
        forged = copy.deepcopy(_document(ledger, april))
        forged["payload"]["lines"][0]["amount_minor"] -= 1
        with pytest.raises(reconcile.ReconcileError, match="does not open"):
            _reconcile(ledger, folder, "2025-04", forged)
        with pytest.raises(reconcile.ReconcileError, match="give exactly one"):
            _reconcile(ledger, folder, "2025-05", _document(ledger, april))

    def test_the_cli_reports_differences_and_exits_non_zero(
            self, ledger: Ledger, tmp_path: Path, database_url: str) -> None:
        from tests.test_cli import habeas

        _held(ledger.engine)
        april = _issue(ledger.engine, "2025-04")
        folder = _export(ledger, tmp_path / "tiles")
        good = tmp_path / "april.json"
        good.write_text(json.dumps(_document(ledger, april)))
        key = ledger.signer.verifier.vkey
        ok = habeas("billing", "reconcile", "--period", "2025-04", "--ledger", folder,
                    "--key", key, "--invoice", str(good), url=database_url,
                    data_dir=ledger.data_dir)
        assert ok.returncode == 0, ok.stderr
        assert "agrees" in ok.stdout
        bad = tmp_path / "forged.json"
        forged = _document(ledger, april)
        forged["salt"] = "00" * 16
        bad.write_text(json.dumps(forged))
        refused = habeas("billing", "reconcile", "--period", "2025-04", "--ledger", folder,
                         "--key", key, "--invoice", str(bad), url=database_url,
                         data_dir=ledger.data_dir)
        assert refused.returncode == 1
        assert "invoice:" in refused.stderr and "Traceback" not in refused.stderr
        assert REF in refused.stderr
