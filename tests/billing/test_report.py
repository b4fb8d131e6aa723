"""The sustainability report: fee revenue against the operating cost of the facility's whole
population (DESIGN.md §1, §8; docs/adr/0013-sustainability-report.md).

The scenario, at CECOT (America/El_Salvador, UTC-6), April 2025 (30 days):
- A, a transferee handed over at noon local on 10 April, dies at 21:00 local on 19 April:
  10–18 April, 9 days (the departure day is not counted);
- B, handed over at 21:00 local on 10 April (03:00 UTC on the 11th), still held: 21 days;
- D-1, a domestic prisoner admitted 11 June 2024, still held: 30 days;
- D-2, admitted 20 April 2025: 20–30 April, 11 days.
So 71 person-days, 30 of them under the agreement, by 2 transferees. April's invoice bills A
9 × 2,000,000 / 365 = 49,315.07 → 49,315 and B 21 × 2,000,000 / 365 = 115,068.49 → 115,068
cents: 164,383; a credit note of 10,000 on A's line leaves 154,383 cents of revenue.
"""

from __future__ import annotations

import json
import subprocess
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from habeas.billing import credit_notes, issuing, report, sustain
from habeas.billing.arithmetic import BillingError
from habeas.custody import records
from habeas.custody import service as custody
from habeas.db import read_session, unit_of_work
from habeas.nominations.service import Row
from tests.api.conftest import bearer
from tests.custody.test_intake import intake, take_in
from tests.factories import refused
from tests.test_cli import habeas
from tests.transfers.factories import accepted_people, arrived, hand_over_both, handover

# SQL-heavy: billing reports (sums and date ranges) (docs/testing.md)
pytestmark = pytest.mark.both_engines

REF = "USA-SLV-2025"
A_HANDOVER = datetime.fromisoformat("2025-04-10T18:00:00+00:00")
B_HANDOVER = datetime.fromisoformat("2025-04-11T03:00:00+00:00")
A_DIES = datetime.fromisoformat("2025-04-20T03:00:00+00:00")
ISSUED = date(2025, 5, 2)
A_AMOUNT, B_AMOUNT = 49_315, 115_068
CREDIT = 10_000
REVENUE = A_AMOUNT + B_AMOUNT - CREDIT  # 154,383
# 200,000,000.00 USD / (365 × 110,000): 400,000 / 803 cents a person-day (≈ US$4.98).
RATE = Fraction(400_000, 803)


def held(engine: Engine) -> tuple[str, str]:
    """held: A and B handed over on 10 April (local), A dead on the 19th (local)."""
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


def domestic(engine: Engine) -> list[str]:
    """domestic: two domestic prisoners, admitted 11 June 2024 and 20 April 2025."""
    rows = [Row(i + 1, {"local_ref": ref, "family_name": "Doméstico", "given_names": given,
                        "sex": "M", "date_of_birth": "1985-01-01", "legal_status": "convicted",
                        "security_level": "medium", "admitted_on": admitted})
            for i, (ref, given, admitted) in enumerate((("D-1", "Uno", "2024-06-11"),
                                                        ("D-2", "Dos", "2025-04-20")))]
    with unit_of_work(engine) as s:
        results = custody.import_population(s, "CECOT", rows, actor="user:sv.warden",
                                            on=date(2025, 4, 20))
    ids = [r.public_id for r in results]
    assert all(ids), [r.errors for r in results]
    return [i for i in ids if i is not None]


def invoiced(engine: Engine) -> int:
    """invoiced: April's invoice issued on 2 May, and a credit note of 10,000 on line 1."""
    with unit_of_work(engine) as s:
        seq = issuing.issue_invoice(s, REF, "2025-04", actor="user:sv.warden", party="SLV",
                                    today=ISSUED).seq
        credit_notes.issue_credit_note(s, seq, {1: CREDIT}, "rounding agreed", actor="w",
                                       party="SLV", today=ISSUED)
    return seq


@pytest.fixture
def scenario(demo_engine: Engine) -> Engine:
    held(demo_engine)
    domestic(demo_engine)
    invoiced(demo_engine)
    return demo_engine


def measure(engine: Engine, period: str, today: date = ISSUED, **options: int
            ) -> report.SustainabilityReport:
    with read_session(engine) as s:
        return report.sustainability_report(s, period, today=today, **options)


class TestTheMonth:
    def test_revenue_person_days_and_cost_are_counted_by_hand(self, scenario: Engine
                                                              ) -> None:
        r = measure(scenario, "2025-04")
        t = r.total
        assert (r.facility_code, r.agreements, r.currency) == ("CECOT", [REF], "USD")
        assert not r.partial and (t.start, t.through, t.days) == (
            date(2025, 4, 1), date(2025, 4, 30), 30)
        assert (t.invoiced_minor, t.credited_minor, t.revenue_minor) == (
            A_AMOUNT + B_AMOUNT, -CREDIT, REVENUE)
        assert t.invoices == [f"{REF}/0001"]
        assert (t.person_days, t.agreement_person_days, t.agreement_people) == (71, 30, 2)
        assert r.cost_per_person_day_minor == RATE
        # 71 × 400,000 / 803 = 35,367.37 → 35,367 cents.
        assert t.operating_cost_minor == 35_367
        assert t.share_covered == Fraction(REVENUE * 803, 71 * 400_000)
        # The system's 200 million a year for 30 days: 1,643,835,616.44 → 1,643,835,616.
        assert t.system_cost_minor == 1_643_835_616
        assert t.share_of_system_cost == Fraction(REVENUE, 1_643_835_616)

    def test_per_person_year_figures_beside_the_reported_price(self, scenario: Engine
                                                               ) -> None:
        r = measure(scenario, "2025-04")
        # ~US$6 million / ~300 people = US$20,000 a person-year.
        assert r.reported_price_per_person_year_minor == 2_000_000
        # 400,000 / 803 × 365 = 181,818.18 → US$1,818.18 to hold one person for a year.
        assert r.cost_per_person_year_minor == 181_818
        # 154,383 × 365 / 30 = 1,878,326.5 → 1,878,327 (half up).
        assert r.total.revenue_per_agreement_person_year_minor == 1_878_327
        # Over everyone held: 154,383 × 365 / 71 = 793,659.08 → 793,659.
        assert r.total.revenue_per_person_year_minor == 793_659
        assert r.total.revenue_per_agreement_person_minor == 77_192  # 154,383 / 2, half up

    def test_the_parameters_are_the_callers(self, scenario: Engine) -> None:
        r = measure(scenario, "2025-04", annual_cost_minor=365_000, system_population=10)
        assert r.cost_per_person_day_minor == 100  # 365,000 / (365 × 10)
        assert r.total.operating_cost_minor == 7_100
        assert "annual_cost_minor" not in r.sources and "reported_price" in r.sources

    def test_a_month_in_progress_counts_the_days_before_today(self, scenario: Engine
                                                              ) -> None:
        r = measure(scenario, "2025-04", today=date(2025, 4, 15))
        # 1–14 April: A 10–14 (5), B 10–14 (5), D-1 14, D-2 not yet.
        assert r.partial and r.total.through == date(2025, 4, 14)
        assert (r.total.days, r.total.person_days, r.total.agreement_person_days) == (14, 24, 10)
        assert r.total.system_cost_minor == 767_123_288  # 200M × 14 / 365 = 767,123,287.67

    def test_json_carries_exact_shares(self, scenario: Engine) -> None:
        data = measure(scenario, "2025-04").as_json()
        share = Fraction(REVENUE * 803, 71 * 400_000)
        assert data["share_covered_exact"] == f"{share.numerator}/{share.denominator}"
        assert data["share_covered"] == round(float(share), 6)
        assert data["assumptions"]["cost_per_person_day_minor_exact"] == "400000/803"
        assert [m["label"] for m in data["months"]] == ["2025-04"]


class TestTheYear:
    def test_a_year_adds_its_months(self, scenario: Engine) -> None:
        r = measure(scenario, "2025")
        # Through 1 May: D-1 alone Jan–Mar (31 + 28 + 31), April 71, 1 May B, D-1, D-2.
        assert [m.person_days for m in r.months[:5]] == [31, 28, 31, 71, 3]
        assert all(m.person_days == 0 and m.days == 0 for m in r.months[5:])
        assert r.partial and (r.total.days, r.total.person_days) == (121, 164)
        assert r.total.revenue_minor == REVENUE
        assert [m.revenue_minor for m in r.months if m.revenue_minor] == [REVENUE]
        assert r.months_not_invoiced == []  # May is not over on 2 May
        later = measure(scenario, "2025", today=date(2025, 6, 5))
        assert later.months_not_invoiced == ["2025-05"]


class TestRefusals:
    def test_a_malformed_period_names_the_field(self, scenario: Engine) -> None:
        for period in ("2025-13", "25-04", "2025-4", "april"):
            error = refused(scenario, lambda s, p=period: report.sustainability_report(
                s, p, today=ISSUED), "validation_failed")
            assert error.details["field"] == "period", period

    def test_bad_parameters_name_their_field(self, scenario: Engine) -> None:
        error = refused(scenario, lambda s: report.sustainability_report(
            s, "2025-04", today=ISSUED, system_population=0), "validation_failed")
        assert error.details["field"] == "system_population"
        error = refused(scenario, lambda s: report.sustainability_report(
            s, "2025-04", today=ISSUED, annual_cost_minor=-1), "validation_failed")
        assert error.details["field"] == "annual_cost_minor"
        refused(scenario, lambda s: report.sustainability_report(
            s, "2025-04", today=ISSUED, facility="NOWHERE"), "not_found")


class TestSustainArithmetic:
    @pytest.mark.parametrize(("arrived", "departed", "days"), [
        (date(2025, 4, 10), date(2025, 4, 19), 9),   # departure not counted
        (date(2025, 4, 10), date(2025, 4, 10), 1),   # a same-day stay is one day
        (date(2025, 3, 1), None, 30),                # still held: the whole month
        (date(2025, 3, 1), date(2025, 4, 1), 0),     # left on the 1st: nothing in April
        (date(2025, 5, 1), None, 0),
    ])
    def test_stay_days(self, arrived: date, departed: date | None, days: int) -> None:
        assert sustain.stay_days(arrived, departed, date(2025, 4, 1), date(2025, 4, 30)) == days

    def test_periods(self) -> None:
        year = sustain.parse_period("2024")
        assert (year.start, year.end, year.days, len(year.months)) == (
            date(2024, 1, 1), date(2024, 12, 31), 366, 12)
        feb = sustain.parse_period("2024-02")
        assert (feb.days, feb.months) == (29, ["2024-02"])
        with pytest.raises(BillingError):
            sustain.parse_period("2024-00")

    def test_prorating_and_per_person_year(self) -> None:
        assert sustain.prorated(365, 30) == 30
        assert sustain.prorated(200_000_000_00, 1) == 54_794_521  # 54,794,520.55
        assert sustain.per_person_year(100, 0) is None
        assert sustain.per_person_year(100, 730) == 50
        assert sustain.share(1, 0) is None


class TestCli:
    def test_the_command_prints_the_report_and_takes_the_parameters(
            self, scenario: Engine, tmp_path: Path) -> None:
        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return habeas("billing", "sustainability", *args,
                          url=scenario.url.render_as_string(hide_password=False),
                          data_dir=tmp_path / "data")

        text = run("--period", "2025-04", "--today", "2025-05-02")
        assert text.returncode == 0, text.stderr
        assert "fee revenue        USD 1,543.83" in text.stdout
        assert "71 (whole population)" in text.stdout
        data = json.loads(run("--period", "2025-04", "--today", "2025-05-02", "--json",
                              "--annual-cost-minor", "365000", "--system-population", "10"
                              ).stdout)
        assert (data["person_days"], data["operating_cost_minor"]) == (71, 7_100)
        bad = run("--period", "2025-4")
        assert bad.returncode != 0 and "period" in bad.stderr


class TestApi:
    def test_the_report_over_http(self, scenario: Engine, client: TestClient,
                                  tokens: dict[str, str]) -> None:
        response = client.get("/api/v1/billing/sustainability", params={
            "period": "2025-04", "system_population": 10, "annual_cost_minor": 365_000},
            headers=bearer(tokens["monitor"]))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["person_days"] == 71 and body["operating_cost_minor"] == 7_100
        assert body["revenue_minor"] == REVENUE
        assert body["assumptions"]["system_population"] == 10
        assert body["months"][0]["label"] == "2025-04"

    def test_a_malformed_period_is_422_naming_the_field(self, demo_engine: Engine,
                                                        client: TestClient,
                                                        tokens: dict[str, str]) -> None:
        for period in ("2025-4", "2025-13", "last month"):
            response = client.get("/api/v1/billing/sustainability", params={"period": period},
                                  headers=bearer(tokens["monitor"]))
            assert response.status_code == 422, period
            error = response.json()["error"]
            assert error["code"] == "validation_failed"
            assert error["details"]["field"].endswith("period"), error
        response = client.get("/api/v1/billing/sustainability",
                              params={"period": "2025-04", "system_population": 0},
                              headers=bearer(tokens["monitor"]))
        assert response.status_code == 422
        assert response.json()["error"]["details"]["field"].endswith("system_population")

    def test_counsel_may_not_read_it(self, demo_engine: Engine, client: TestClient,
                                     tokens: dict[str, str]) -> None:
        response = client.get("/api/v1/billing/sustainability", params={"period": "2025-04"},
                              headers=bearer(tokens["counsel"]))
        assert response.status_code == 403
