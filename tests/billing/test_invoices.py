"""Monthly invoices, credit notes, payments, ageing and disputes (DESIGN.md §8)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from habeas import replay
from habeas.billing import credit_notes, disputes, drafting, issuing, payments, reads
from habeas.billing.arithmetic import Fee, custody_days, line_amount
from habeas.billing.schemas import InvoiceLine
from habeas.custody import records
from habeas.db import read_session, unit_of_work
from habeas.events import log_size
from habeas.ledger.leaf import canonical_json
from tests.api.conftest import bearer
from tests.custody.test_intake import intake, take_in
from tests.factories import refused
from tests.transfers.factories import accepted_people, arrived, hand_over_both, handover

# SQL-heavy: billing queries (custody days, money sums) (docs/testing.md)
pytestmark = pytest.mark.both_engines

REF = "USA-SLV-2025"
TZ = "America/El_Salvador"
FEES = [Fee(effective_from=date(2025, 3, 15), currency="USD", annual_rate_minor=2_000_000,
            per_diem_minor=None, proration="actual")]
# A: handed over at noon local on 10 April, dies at 21:00 local on 19 April (03:00 UTC on
# the 20th). B: handed over at 21:00 local on 10 April (03:00 UTC on the 11th), still held.
A_HANDOVER = datetime.fromisoformat("2025-04-10T18:00:00+00:00")
B_HANDOVER = datetime.fromisoformat("2025-04-11T03:00:00+00:00")
A_DIES = datetime.fromisoformat("2025-04-20T03:00:00+00:00")
ISSUED = date(2025, 5, 2)


def _held(engine: Engine) -> tuple[str, str]:
    a, b = accepted_people(engine, "T-1", "T-2")
    manifest_id = arrived(engine, [a, b])
    with unit_of_work(engine) as s:
        for person, at in ((a, A_HANDOVER), (b, B_HANDOVER)):
            hand_over_both(s, manifest_id, handover(person, handed_over_at=at.isoformat()))
    take_in(engine, a, intake())
    with unit_of_work(engine) as s:
        records.record_death(s, a, died_at=A_DIES, place="CECOT infirmary",
                             circumstances="cardiac arrest", actor="user:sv.warden", party="SLV")
    return a, b


def _issue(engine: Engine, period: str, today: date = ISSUED) -> int:
    with unit_of_work(engine) as s:
        return issuing.issue_invoice(s, REF, period, actor="user:sv.warden", party="SLV",
                                     today=today).seq


class TestInvoiceFor:
    def test_a_month_counts_local_days_arrival_billed_departure_not(
            self, demo_engine: Engine) -> None:
        a, b = _held(demo_engine)
        with read_session(demo_engine) as s:
            draft = drafting.invoice_for(s, REF, "2025-04")
        lines = [InvoiceLine.model_validate(line) for line in draft.lines]
        by_person = {line.public_id: line for line in lines}
        assert [line.kind for line in lines] == ["custody", "custody"]
        # A: 10 to 18 April (the 19th, the local departure date, is not billed).
        assert (by_person[a].first_day, by_person[a].last_day) == (date(2025, 4, 10),
                                                                   date(2025, 4, 18))
        assert by_person[a].days == 9
        # B: 10 April local although 11 April in UTC, through the month's end.
        assert (by_person[b].first_day, by_person[b].days) == (date(2025, 4, 10), 21)
        for line in lines:
            days = custody_days(A_HANDOVER if line.public_id == a else B_HANDOVER,
                                A_DIES if line.public_id == a else None,
                                date(2025, 4, 1), date(2025, 4, 30), TZ)
            assert line.amount_minor == line_amount(FEES, days)
        assert by_person[a].left_seq is not None
        assert by_person[a].handover_seq < by_person[b].handover_seq
        assert by_person[b].left_seq is None
        assert "2000000 USD" in by_person[a].rate
        assert draft.total_minor == sum(line.amount_minor for line in lines)
        with read_session(demo_engine) as s:
            may = drafting.invoice_for(s, REF, "2025-05")
        assert [(line["public_id"], line["days"]) for line in may.lines] == [(b, 31)]

    def test_a_period_without_a_fee_schedule_is_refused_naming_period(
            self, demo_engine: Engine) -> None:
        error = refused(demo_engine, lambda s: drafting.invoice_for(s, REF, "2025-02"),
                        "validation_failed")
        assert error.status == 422 and error.details["field"] == "period"
        bad = refused(demo_engine, lambda s: drafting.invoice_for(s, REF, "2025-13"),
                      "validation_failed")
        assert bad.details["field"] == "period"


class TestIssue:
    def test_numbered_without_gaps_and_a_period_once(self, demo_engine: Engine) -> None:
        _held(demo_engine)
        april = _issue(demo_engine, "2025-04")
        may = _issue(demo_engine, "2025-05", today=date(2025, 6, 1))
        with read_session(demo_engine) as s:
            first, second = reads.get_invoice(s, april), reads.get_invoice(s, may)
            draft = drafting.invoice_for(s, REF, "2025-04")
            document = {"number": first.number, **draft.as_json(),
                        "issued_on": "2025-05-02", "due_on": "2025-06-01"}
            assert first.lines == draft.lines
            assert draft.lines == [InvoiceLine.model_validate(line).model_dump(mode="json")
                                   for line in draft.lines]
        assert (first.number, second.number) == (f"{REF}/0001", f"{REF}/0002")
        assert first.due_on == ISSUED + timedelta(days=30)
        assert first.document_sha256 == hashlib.sha256(canonical_json(document)).hexdigest()
        error = refused(demo_engine, lambda s: issuing.issue_invoice(
            s, REF, "2025-04", actor="x", party="SLV", today=ISSUED), "already_invoiced")
        assert error.status == 409
        refused(demo_engine, lambda s: issuing.issue_invoice(
            s, REF, "2025-06", actor="x", party="SLV", today=date(2025, 6, 15)),
            "validation_failed")
        refused(demo_engine, lambda s: issuing.issue_invoice(
            s, REF, "2025-06", actor="x", party="USA", today=date(2025, 7, 1)), "wrong_party")


class TestPayments:
    def test_partial_payments_balance_and_ageing(self, demo_engine: Engine) -> None:
        _held(demo_engine)
        seq = _issue(demo_engine, "2025-04")
        with read_session(demo_engine) as s:
            invoice = reads.get_invoice(s, seq)
            total = invoice.total_minor
            assert reads.ageing(invoice, date(2025, 5, 20)) == "current"
            assert reads.ageing(invoice, date(2025, 7, 15)) == "31-60"
        error = refused(demo_engine, lambda s: payments.record_payment(
            s, seq, total + 1, paid_on=date(2025, 5, 10), reference="wire 1", actor="x",
            party="USA"), "validation_failed")
        assert error.details["field"] == "amount_minor"
        with unit_of_work(demo_engine) as s:
            payments.record_payment(s, seq, 1000, paid_on=date(2025, 5, 10),
                                    reference="wire 1", actor="user:us.officer", party="USA")
        with read_session(demo_engine) as s:
            invoice = reads.get_invoice(s, seq)
            assert invoice.balance_minor == total - 1000
            assert reads.ageing(invoice, date(2025, 6, 1)) == "0-30"
            assert reads.ageing(invoice, date(2025, 9, 1)) == "90+"
        refused(demo_engine, lambda s: payments.record_payment(
            s, seq, total - 999, paid_on=date(2025, 5, 10), reference="wire 2", actor="x",
            party="USA"), "validation_failed")
        with unit_of_work(demo_engine) as s:
            payments.record_payment(s, seq, total - 1000, paid_on=date(2025, 6, 3),
                                    reference="wire 2", actor="user:us.officer", party="USA")
        with read_session(demo_engine) as s:
            invoice = reads.get_invoice(s, seq)
            assert invoice.balance_minor == 0
            assert reads.ageing(invoice, date(2025, 9, 1)) == "paid"


class TestDisputes:
    def test_an_accepted_dispute_issues_a_credit_note_for_the_line(
            self, demo_engine: Engine) -> None:
        a, _ = _held(demo_engine)
        seq = _issue(demo_engine, "2025-04")
        with read_session(demo_engine) as s:
            invoice = reads.get_invoice(s, seq)
            line = next(x for x in invoice.lines if x["public_id"] == a)
            number, total = invoice.number, invoice.total_minor
        refused(demo_engine, lambda s: disputes.open_dispute(
            s, number, line["line"], "died", actor="x", party="SLV", today=ISSUED),
            "wrong_party")
        with unit_of_work(demo_engine) as s:
            dispute = disputes.open_dispute(s, number, line["line"], "he died in custody",
                                            actor="user:us.officer", party="USA",
                                            today=ISSUED).seq
        refused(demo_engine, lambda s: disputes.open_dispute(
            s, number, line["line"], "again", actor="x", party="USA", today=ISSUED),
            "not_disputable")
        with unit_of_work(demo_engine) as s:
            decided = disputes.decide_dispute(s, dispute, accept=True, reason="agreed",
                                              actor="user:sv.warden", party="SLV",
                                              today=ISSUED)
            assert decided.status == "accepted" and decided.credit_note_seq is not None
            [note] = reads.credit_notes_of(s, seq)
            assert note.number == f"{REF}/CN-0001" and note.dispute_seq == dispute
            assert note.lines == [{"line": line["line"], "amount_minor": -line["amount_minor"],
                                   "description": note.lines[0]["description"]}]
            assert reads.get_invoice(s, seq).balance_minor == total - line["amount_minor"]
            note_number = note.number
        refused(demo_engine, lambda s: disputes.decide_dispute(
            s, dispute, accept=False, reason="no", actor="x", party="SLV", today=ISSUED),
            "dispute_decided")
        error = refused(demo_engine, lambda s: disputes.open_dispute(
            s, note_number, 1, "credit-note line", actor="x", party="USA", today=ISSUED),
            "not_disputable")
        assert error.details["field"] == "document"

    def test_a_rejected_dispute_credits_nothing(self, demo_engine: Engine) -> None:
        _held(demo_engine)
        seq = _issue(demo_engine, "2025-04")
        with unit_of_work(demo_engine) as s:
            number = reads.get_invoice(s, seq).number
            dispute = disputes.open_dispute(s, number, 2, "too many days",
                                            actor="user:us.officer", party="USA",
                                            today=ISSUED)
            rejected = disputes.decide_dispute(s, dispute.seq, accept=False,
                                               reason="the count is right", actor="w",
                                               party="SLV", today=ISSUED)
            assert rejected.status == "rejected" and rejected.credit_note_seq is None
            assert reads.credit_notes_of(s, seq) == []

    def test_deciding_answers_the_last_event_it_recorded(self, demo_engine: Engine) -> None:
        # The page names this event as just recorded: the credit note when accepted.
        _held(demo_engine)
        seq = _issue(demo_engine, "2025-04")
        with unit_of_work(demo_engine) as s:
            number = reads.get_invoice(s, seq).number
            first, second = (disputes.open_dispute(
                s, number, line, "too many days", actor="user:us.officer", party="USA",
                today=ISSUED).seq for line in (1, 2))
        with unit_of_work(demo_engine) as s:
            accepted, last = disputes.decide(s, first, accept=True, reason="agreed",
                                             actor="w", party="SLV", today=ISSUED)
            assert accepted.credit_note_seq == last == log_size(s) - 1
        with unit_of_work(demo_engine) as s:
            rejected, last = disputes.decide(s, second, accept=False, reason="right",
                                             actor="w", party="SLV", today=ISSUED)
            assert rejected.status == "rejected" and last == log_size(s) - 1

    def test_credit_notes_never_credit_more_than_the_line(self, demo_engine: Engine) -> None:
        _held(demo_engine)
        seq = _issue(demo_engine, "2025-04")
        with read_session(demo_engine) as s:
            amount = reads.get_invoice(s, seq).lines[0]["amount_minor"]
        with unit_of_work(demo_engine) as s:
            credit_notes.issue_credit_note(s, seq, {1: 100}, "rounding", actor="w", party="SLV",
                                           today=ISSUED)
        error = refused(demo_engine, lambda s: credit_notes.issue_credit_note(
            s, seq, {1: amount}, "too much", actor="w", party="SLV", today=ISSUED),
            "validation_failed")
        assert error.details["field"] == "amount_minor"


class TestReplay:
    def test_billing_state_is_rebuilt_from_its_events(self, demo_engine: Engine) -> None:
        _held(demo_engine)
        seq = _issue(demo_engine, "2025-04")
        with unit_of_work(demo_engine) as s:
            number = reads.get_invoice(s, seq).number
            payments.record_payment(s, seq, 500, paid_on=ISSUED, reference="w",
                                    actor="u", party="USA")
            dispute = disputes.open_dispute(s, number, 1, "r", actor="u", party="USA",
                                            today=ISSUED)
            disputes.decide_dispute(s, dispute.seq, accept=True, reason="ok", actor="w",
                                    party="SLV", today=ISSUED)
        report = replay.check(demo_engine)
        assert report.differences == []


class TestApi:
    def test_receiving_issues_sending_may_not(self, demo_engine: Engine, client: TestClient,
                                              tokens: dict[str, str]) -> None:
        _held(demo_engine)
        body = {"agreement_ref": REF, "period": "2025-04"}
        forbidden = client.post("/api/v1/billing/invoices", json=body,
                                headers=bearer(tokens["us.officer"]))
        assert forbidden.status_code == 403
        issued = client.post("/api/v1/billing/invoices", json=body,
                             headers=bearer(tokens["sv.warden"]))
        assert issued.status_code == 201, issued.text
        assert issued.json()["number"] == f"{REF}/0001"
        again = client.post("/api/v1/billing/invoices", json=body,
                            headers=bearer(tokens["sv.warden"]))
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "already_invoiced"
        seq = issued.json()["seq"]
        paid = client.post(f"/api/v1/billing/invoices/{seq}/payments",
                           json={"amount_minor": 10**12, "paid_on": "2025-05-10",
                                 "reference": "wire"}, headers=bearer(tokens["us.officer"]))
        assert paid.status_code == 422
        detail = client.get(f"/api/v1/billing/invoices/{seq}",
                            headers=bearer(tokens["monitor"]))
        assert detail.status_code == 200 and len(detail.json()["lines"]) == 2
        none = client.get("/api/v1/billing/preview", params={"agreement": REF,
                                                             "period": "2025-02"},
                          headers=bearer(tokens["monitor"]))
        assert none.status_code == 422

    @pytest.mark.parametrize("user", ["sv.warden"])
    def test_listing(self, client: TestClient, tokens: dict[str, str], user: str) -> None:
        listed = client.get("/api/v1/billing/invoices", headers=bearer(tokens[user]))
        assert listed.status_code == 200 and listed.json() == []


class TestCli:
    def test_preview_then_issue(self, demo_engine: Engine, database_url: str,
                                tmp_path: Path) -> None:
        import json

        from habeas.migrate import upgrade
        from tests.test_cli import habeas

        upgrade(demo_engine)
        _held(demo_engine)
        preview = habeas("billing", "invoice", "--period", "2025-04", "--json",
                         "--csv", str(tmp_path / "lines.csv"), url=database_url,
                         data_dir=tmp_path / "data")
        assert preview.returncode == 0, preview.stderr
        data = json.loads(preview.stdout)
        assert data["number"] is None and len(data["lines"]) == 2
        assert (tmp_path / "lines.csv").read_text().startswith("line,kind,public_id")
        issued = habeas("billing", "invoice", "--period", "2025-04", "--issue",
                        "--today", "2025-05-02", url=database_url, data_dir=tmp_path / "data")
        assert issued.returncode == 0, issued.stderr
        assert "invoice USA-SLV-2025/0001" in issued.stdout
        again = habeas("billing", "invoice", "--period", "2025-04", "--issue",
                       url=database_url, data_dir=tmp_path / "data")
        assert again.returncode != 0 and "already invoiced" in again.stderr
