"""Days that are not billable, pass-through charges and fee versions (DESIGN.md §8)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from habeas import replay
from habeas.agreements import service as agreements
from habeas.agreements.schemas import FeeSchedule as FeeScheduleIn
from habeas.billing import credit_notes, drafting, lines, reads
from habeas.billing.arithmetic import Fee, line_amount
from habeas.billing.schemas import InvoiceLine
from habeas.custody import records
from habeas.custody.models import Prisoner
from habeas.db import read_session, unit_of_work
from habeas.holds import service as holds
from tests.api.conftest import bearer
from tests.billing.test_invoices import FEES, REF, _held, _issue
from tests.factories import refused

APRIL_1 = date(2025, 4, 1)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _lines(engine: Engine, period: str) -> list[dict[str, object]]:
    with read_session(engine) as s:
        return [InvoiceLine.model_validate(line).model_dump()
                for line in drafting.invoice_for(s, REF, period).lines]


def _new_fees(engine: Engine, **fees: object) -> list[Fee]:
    body = FeeScheduleIn.model_validate({"effective_from": APRIL_1,
                                         "annual_rate_minor": 2_000_000, **fees})
    with unit_of_work(engine) as s:
        proposal = agreements.propose_fees(s, REF, body, basis="exchange of notes, 28 March "
                                           "2025", actor="user:sv.warden", party="SLV")
        agreements.accept_change(s, REF, proposal.seq, actor="user:us.officer", party="USA")
        return drafting.fees_of(s, REF)


def _return_order(engine: Engine, external_ref: str, issued: date) -> None:
    with unit_of_work(engine) as s:
        holds.register(s, holds.parse_hold({
            "hold_ref": "RET-1", "court": "D. Md.", "kind": "return_order",
            "issued": issued.isoformat(), "expires": None,
            "scope": {"external_ref": external_ref}, "bars_removal_to": "any"}),
            actor="user:us.officer", party="USA", as_of=issued + timedelta(days=8))


class TestReturnRequired:
    def test_days_after_the_order_are_not_billed_and_invoiced_ones_are_credited(
            self, demo_engine: Engine) -> None:
        _, b = _held(demo_engine)
        april = _issue(demo_engine, "2025-04")
        with read_session(demo_engine) as s:
            billed = next(x for x in reads.get_invoice(s, april).lines
                          if x["public_id"] == b)
        assert billed["days"] == 21
        # The court orders the return on 25 April; it reaches the system in May.
        _return_order(demo_engine, "T-2", date(2025, 4, 25))
        may = _lines(demo_engine, "2025-05")
        assert [x["kind"] for x in may] == ["credit"]
        credit = may[0]
        assert credit["public_id"] == b
        assert (credit["credits_invoice"], credit["credits_line"]) == (f"{REF}/0001",
                                                                       billed["line"])
        # Billed to the 25th (the order's own day); the 26th to the 30th come back.
        assert credit["ranges"] == [(date(2025, 4, 26), date(2025, 4, 30))]
        assert credit["days"] == 5
        assert credit["amount_minor"] == -line_amount(
            FEES, _days(date(2025, 4, 26), date(2025, 4, 30)))
        _issue(demo_engine, "2025-05", today=date(2025, 6, 2))
        assert _lines(demo_engine, "2025-06") == []  # credited once, never again
        with read_session(demo_engine) as s:
            invoice = reads.get_invoice(s, april)
            assert lines.uncredited(s, invoice, billed["line"]) == \
                billed["amount_minor"] + credit["amount_minor"]
        assert replay.check(demo_engine).differences == []

    def test_a_credit_never_exceeds_what_a_credit_note_left(self, demo_engine: Engine) -> None:
        _, b = _held(demo_engine)
        april = _issue(demo_engine, "2025-04")
        with unit_of_work(demo_engine) as s:
            invoice = reads.get_invoice(s, april)
            line = next(x for x in invoice.lines if x["public_id"] == b)
            credit_notes.issue_credit_note(s, april, {line["line"]: line["amount_minor"] - 100},
                                           "goodwill", actor="w", party="SLV",
                                           today=date(2025, 5, 3))
        _return_order(demo_engine, "T-2", date(2025, 4, 25))
        assert [x["amount_minor"] for x in _lines(demo_engine, "2025-05")] == [-100]


class TestErroneousTransfer:
    def test_nothing_is_billable_and_the_intake_fee_comes_back(
            self, demo_engine: Engine, client: TestClient, tokens: dict[str, str]) -> None:
        fees = _new_fees(demo_engine, intake_fee_minor=25_000)
        a, b = _held(demo_engine)
        april = _issue(demo_engine, "2025-04")
        with read_session(demo_engine) as s:
            kinds = [(x["kind"], x["public_id"]) for x in reads.get_invoice(s, april).lines]
        assert kinds == [("custody", a), ("custody", b), ("intake", a), ("intake", b)]
        path = f"/api/v1/people/{b}/erroneous-transfer"
        body = {"reason": "withholding of removal (2019) barred return to El Salvador"}
        assert client.post(path, json=body,
                           headers=bearer(tokens["sv.warden"])).status_code == 403
        assert client.post(path, json={"reason": ""},
                           headers=bearer(tokens["us.officer"])).status_code == 422
        done = client.post(path, json=body, headers=bearer(tokens["us.officer"]))
        assert done.status_code == 201, done.text
        again = client.post(path, json=body, headers=bearer(tokens["us.officer"]))
        assert again.status_code == 409
        with read_session(demo_engine) as s:
            assert s.get_one(Prisoner, b).status == "return_required"
        may = _lines(demo_engine, "2025-05")
        assert [(x["kind"], x["public_id"]) for x in may] == [("credit", b), ("credit", b)]
        days, fee = may
        assert days["ranges"] == [(date(2025, 4, 10), date(2025, 4, 30))]
        assert days["amount_minor"] == -line_amount(fees, _days(date(2025, 4, 10),
                                                                date(2025, 4, 30)))
        assert fee["amount_minor"] == -25_000 and fee["days"] == 0


class TestEscape:
    def test_days_away_are_not_custody_days(self, demo_engine: Engine) -> None:
        _, b = _held(demo_engine)
        with unit_of_work(demo_engine) as s:
            records.record_escape(s, b, at=datetime.fromisoformat("2025-04-15T18:00:00+00:00"),
                                  circumstances="work detail", actor="w", party="SLV")
            records.record_recapture(
                s, b, at=datetime.fromisoformat("2025-04-20T18:00:00+00:00"),
                circumstances="found in Tecoluca", actor="w", party="SLV")
        line = next(x for x in _lines(demo_engine, "2025-04") if x["public_id"] == b)
        assert line["ranges"] == [(date(2025, 4, 10), date(2025, 4, 14)),
                                  (date(2025, 4, 20), date(2025, 4, 30))]
        assert line["days"] == 16
        assert line["amount_minor"] == line_amount(
            FEES, _days(date(2025, 4, 10), date(2025, 4, 14))
            + _days(date(2025, 4, 20), date(2025, 4, 30)))


class TestCharges:
    def test_medical_is_capped_per_person_and_month_repatriation_is_not(
            self, demo_engine: Engine, client: TestClient, tokens: dict[str, str]) -> None:
        _new_fees(demo_engine, medical_cap_minor=50_000)
        _, b = _held(demo_engine)
        warden = bearer(tokens["sv.warden"])

        def charge(**changes: object) -> dict[str, object]:
            return {"agreement_ref": REF, "public_id": b, "kind": "medical",
                    "incurred_on": "2025-04-12", "amount_minor": 30_000,
                    "description": "X-ray, Hospital Rosales", **changes}

        seqs = []
        for body in (charge(), charge(amount_minor=40_000, incurred_on="2025-04-22"),
                     charge(kind="repatriation", amount_minor=10_000)):
            made = client.post("/api/v1/billing/charges", json=body, headers=warden)
            assert made.status_code == 201, made.text
            seqs.append(made.json()["seq"])
        for body, field in ((charge(amount_minor=-5), "amount_minor"),
                            (charge(kind="dental"), "kind"),
                            (charge(incurred_on="2025-04-02"), "incurred_on")):
            bad = client.post("/api/v1/billing/charges", json=body, headers=warden)
            assert bad.status_code == 422, bad.text
            assert field in bad.json()["error"]["details"]["field"]
        assert client.post("/api/v1/billing/charges", json=charge(),
                           headers=bearer(tokens["us.officer"])).status_code == 403
        lines = {x["kind"]: x for x in _lines(demo_engine, "2025-04")}
        assert lines["medical"]["amount_minor"] == 50_000
        assert lines["medical"]["charges"] == seqs[:2]
        assert "capped at 50000" in str(lines["medical"]["rate"])
        assert lines["repatriation"]["amount_minor"] == 10_000
        listed = client.get("/api/v1/billing/charges", params={"agreement": REF},
                            headers=bearer(tokens["us.officer"]))
        assert [c["seq"] for c in listed.json()] == seqs
        _issue(demo_engine, "2025-04")
        late = client.post("/api/v1/billing/charges", json=charge(), headers=warden)
        assert late.status_code == 409
        assert late.json()["error"]["code"] == "already_invoiced"


class TestFeeVersions:
    def test_a_new_version_prices_the_days_from_its_date(self, demo_engine: Engine) -> None:
        fees = _new_fees(demo_engine, per_diem_minor=7_000, annual_rate_minor=None)
        _, b = _held(demo_engine)
        line = next(x for x in _lines(demo_engine, "2025-04") if x["public_id"] == b)
        assert line["amount_minor"] == 21 * 7_000 == line_amount(
            fees, _days(date(2025, 4, 10), date(2025, 4, 30)))
        assert "per diem 7000" in str(line["rate"])

    def test_bad_versions_are_refused_naming_the_field(
            self, demo_engine: Engine, client: TestClient, tokens: dict[str, str]) -> None:
        path = f"/api/v1/agreements/{REF}/fees"
        warden = bearer(tokens["sv.warden"])

        def post(fees: dict[str, object], **extra: object) -> tuple[int, dict[str, object]]:
            r = client.post(path, json={"fees": {"effective_from": "2025-06-01", **fees},
                                        "basis": "note verbale 12/2025", **extra},
                            headers=warden)
            return r.status_code, r.json().get("error", {})

        status, error = post({"per_diem_minor": -1})
        assert status == 422 and error["details"]["field"] == "body.fees.per_diem_minor"
        status, error = post({"per_diem_minor": 5_000}, currency="XYZ")
        assert status == 422 and error["details"]["field"] == "body.currency"
        assert "ISO 4217" in error["message"]
        status, error = post({"per_diem_minor": 5_000}, currency="EUR")
        assert status == 422 and error["details"]["field"] == "currency"
        status, error = post({"per_diem_minor": 5_000, "annual_rate_minor": 1})
        assert status == 422
        status, error = post({"per_diem_minor": 5_000, "convention": "noon"})
        assert status == 422 and error["details"]["field"] == "body.fees.convention"
        assert client.post(path, json={"fees": {"effective_from": "2025-06-01",
                                                "per_diem_minor": 5_000}, "basis": "n"},
                           headers=bearer(tokens["monitor"])).status_code == 403
        _held(demo_engine)
        _issue(demo_engine, "2025-04")
        status, error = post({"per_diem_minor": 5_000, "effective_from": "2025-04-20"})
        assert status == 409 and error["code"] == "already_invoiced"
        proposed = client.post(path, json={"fees": {"effective_from": "2025-06-01",
                                                    "per_diem_minor": 5_000},
                                           "currency": "USD", "basis": "note verbale 12/2025"},
                               headers=warden)
        assert proposed.status_code == 201 and proposed.json()["status"] == "proposed"
        accepted = client.post(f"/api/v1/agreements/{REF}/changes/{proposed.json()['seq']}"
                               "/accept", headers=bearer(tokens["us.officer"]))
        assert accepted.json()["status"] == "accepted", accepted.text
        status, _ = post({"per_diem_minor": 6_000})
        assert status == 409  # a version already takes effect that day

    def test_a_month_before_any_schedule_is_refused(self, demo_engine: Engine) -> None:
        error = refused(demo_engine, lambda s: drafting.invoice_for(s, REF, "2024-12"),
                        "validation_failed")
        assert error.details["field"] == "period"
        assert "no fee schedule is in force" in error.message
