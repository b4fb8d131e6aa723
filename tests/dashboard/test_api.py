"""/api/v1/dashboard: every figure recomputed here from the rows themselves, in Python, and
a sending user counting only its own state's people and money (DESIGN.md §2)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from habeas.billing import reads
from habeas.billing.models import Invoice
from habeas.custody.models import IntegrityRun, Prisoner
from habeas.dashboard import service as dashboard
from habeas.db import read_session, utcnow
from habeas.facilities import service as facilities
from habeas.nominations.models import NominationRecord
from habeas.oversight.models import Finding
from tests.api.conftest import bearer
from tests.conftest import OTHER_OFFICER as OTHER
from tests.factories import a_token

# SQL-heavy: the dashboard's aggregates by day (docs/testing.md)
pytestmark = pytest.mark.both_engines

World = tuple[TestClient, Engine]


def _get(world: World, username: str, path: str) -> dict:  # type: ignore[type-arg]
    client, engine = world
    response = client.get(f"/api/v1/dashboard/{path}", headers=bearer(a_token(engine, username)))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


class TestMonthEnds:
    def test_every_month_end_up_to_today_which_is_last(self) -> None:
        from datetime import date

        assert dashboard.month_ends(date(2025, 1, 15), date(2025, 3, 10)) == [
            date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 10)]

    def test_only_the_latest_points_are_kept(self) -> None:
        from datetime import date

        points = dashboard.month_ends(date(2020, 1, 1), date(2025, 6, 30), limit=3)
        assert points == [date(2025, 4, 30), date(2025, 5, 31), date(2025, 6, 30)]


class TestPopulation:
    def test_each_point_counts_who_was_there_at_the_end_of_that_day(self, lived: World
                                                                     ) -> None:
        body = _get(lived, "monitor", "population")
        with read_session(lived[1]) as db:
            people = list(db.scalars(select(Prisoner).where(Prisoner.facility_code == "CECOT")))
            summary = facilities.capacity(db, "CECOT")
        assert body["facility"] == "CECOT" and body["signed_capacity"] == 40_000
        assert body["compliant_capacity"] == summary.compliant
        assert body["points"][-1]["on"] == utcnow().date().isoformat()
        assert body["points"][0]["on"] == "2025-03-31"  # the agreement's first month
        for point in body["points"]:
            day = datetime.fromisoformat(point["on"]).date()
            end = datetime.combine(day + timedelta(days=1), time.min, UTC)
            there = [p for p in people if p.admitted_on <= day
                     and (p.left_at is None or p.left_at >= end)]
            assert point["population"] == len(there), point
            assert point["transferees"] == sum(p.kind == "transferee" for p in there), point
        assert max(p["transferees"] for p in body["points"]) > 150

    def test_a_sending_user_counts_only_its_own_transferees(self, lived: World) -> None:
        ours = _get(lived, "us.officer", "population")
        theirs = _get(lived, OTHER, "population")
        everyone = _get(lived, "monitor", "population")
        assert ours["transferees_of"] == "USA" and theirs["transferees_of"] == "CRI"
        assert [p["transferees"] for p in ours["points"]] == \
            [p["transferees"] for p in everyone["points"]]  # every transferee is a U.S. one
        assert {p["transferees"] for p in theirs["points"]} == {0}


class TestFunnel:
    def test_the_stages_and_the_failing_rules_are_the_rows_counted(self, lived: World
                                                                   ) -> None:
        body = _get(lived, "sv.warden", "nominations")
        with read_session(lived[1]) as db:
            noms = list(db.scalars(select(NominationRecord)))
            people = list(db.scalars(select(Prisoner).where(Prisoner.kind == "transferee")))
        accepted = [n for n in noms if n.status not in ("nominated", "rejected")]
        expected = {
            "nominated": len(noms),
            "eligible": sum(n.decision == "eligible" or n in accepted for n in noms),
            "accepted": len(accepted),
            "transferred": len(people),
            "released": sum(p.status in ("released", "returned") for p in people)}
        assert {s["stage"]: s["count"] for s in body["stages"]} == expected
        counts = [s["count"] for s in body["stages"]]
        assert counts == sorted(counts, reverse=True) and counts[-1] > 0  # a funnel
        failed: dict[str, int] = {}
        for n in noms:
            for rule in filter(None, n.failed_rules.split(",")):
                failed[rule] = failed.get(rule, 0) + 1
        top = sorted(failed.items(), key=lambda kv: (-kv[1], kv[0]))[:dashboard.TOP_RULES]
        assert [(r["rule"], r["count"]) for r in body["failing_rules"]] == top

    def test_another_sending_state_counts_none_of_ours(self, lived: World) -> None:
        body = _get(lived, OTHER, "nominations")
        assert {s["count"] for s in body["stages"]} == {0}
        assert body["failing_rules"] == []
        assert _get(lived, "us.officer", "nominations") == _get(lived, "monitor", "nominations")


class TestIntegrity:
    def test_the_latest_recorded_run_and_the_overdue_findings(self, lived: World) -> None:
        body = _get(lived, "monitor", "integrity")
        today = utcnow().date()
        with read_session(lived[1]) as db:
            run = db.scalars(select(IntegrityRun).order_by(IntegrityRun.seq.desc())).first()
            findings = list(db.scalars(select(Finding)))
        assert run is not None and body["run"]["seq"] == run.seq
        assert {c["check"]: c["count"] for c in body["checks"]} == run.counts
        assert body["breaches"] == sum(1 for n in run.counts.values() if n)
        assert body["overdue_findings"] == sum(f.overdue_on(today) for f in findings)
        assert all(c["title"] != c["check"] for c in body["checks"])

    def test_another_sending_state_counts_none_of_our_breaches(self, lived: World) -> None:
        # Issue 17: the run counts everyone's people; Costa Rica's officer, who has none
        # held, is shown the same checks counted over its own people: all zero.
        ours = {c["check"]: c["count"] for c in _get(lived, "monitor", "integrity")["checks"]}
        theirs = _get(lived, OTHER, "integrity")
        assert any(ours.values())
        assert {c["check"]: c["count"] for c in theirs["checks"]} == dict.fromkeys(ours, 0)
        assert theirs["breaches"] == 0


class TestMoney:
    def test_invoiced_paid_and_overdue_are_the_invoices_summed(self, lived: World) -> None:
        body = _get(lived, "sv.warden", "billing")
        today = utcnow().date()
        with read_session(lived[1]) as db:
            invoices = list(db.scalars(select(Invoice)))
            late = [i for i in invoices if reads.ageing(i, today) not in ("current", "paid")]
        assert invoices, "the lived demo issues invoices"
        assert body["totals"] == [{
            "currency": "USD",
            "invoiced_minor": sum(i.total_minor + i.credited_minor for i in invoices),
            "paid_minor": sum(i.paid_minor for i in invoices),
            "outstanding_minor": sum(max(0, i.balance_minor) for i in invoices),
            "overdue_minor": sum(i.balance_minor for i in late),
            "overdue_invoices": len(late)}]
        assert [(p["period"], p["invoiced_minor"], p["paid_minor"]) for p in body["periods"]] \
            == sorted((i.period, i.total_minor + i.credited_minor, i.paid_minor)
                      for i in invoices)[-dashboard.MAX_PERIODS:]

    def test_another_sending_state_sees_no_money_of_ours(self, lived: World) -> None:
        assert _get(lived, OTHER, "billing") == {"totals": [], "periods": []}
        assert _get(lived, "us.officer", "billing") == _get(lived, "sv.warden", "billing")


class TestHolds:
    def test_orders_in_force_and_ended_by_kind(self, lived: World) -> None:
        body = _get(lived, "counsel", "holds")
        from habeas.holds.models import HoldRecord

        today = utcnow().date()
        with read_session(lived[1]) as db:
            holds = list(db.scalars(select(HoldRecord)))
        in_force = [h for h in holds if h.lifted_on is None
                    and (h.expires is None or h.expires >= today)]
        assert body["in_force"] == len(in_force) > 0
        assert sum(k["in_force"] + k["ended"] for k in body["kinds"]) == len(holds)


@pytest.mark.parametrize(("username", "kinds"), [
    ("admin", ["population", "nominations", "integrity"]),
    ("us.officer", ["nominations", "billing", "population", "integrity"]),
    ("sv.warden", ["population", "nominations", "billing", "integrity"]),
    ("counsel", ["holds", "population"]),
    ("monitor", ["integrity", "population", "nominations", "billing", "holds"]),
])
def test_each_role_gets_its_charts_first_questions_first(lived: World, username: str,
                                                         kinds: list[str]) -> None:
    from tests.conftest import log_in_as as log_in

    client, _ = lived
    log_in(client, username)
    page = client.get("/").text
    shown = [k for k in ("population", "nominations", "integrity", "billing", "holds")
             if f'data-testid="panel-{k}"' in page]
    assert sorted(shown, key=lambda k: page.index(f'data-testid="panel-{k}"')) == kinds
    for kind in kinds:  # every chart fetches a route its role may read
        endpoint = page.split(f'data-chart="{kind}" data-endpoint="')[1].split('"')[0] \
            if f'data-chart="{kind}"' in page else None
        if endpoint is not None:
            assert client.get(endpoint.replace("&amp;", "&")).status_code == 200, endpoint
