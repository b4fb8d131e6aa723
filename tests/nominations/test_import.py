"""Importing nominations: screened, recorded on the ledger, idempotent, bad rows reported."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from habeas import replay
from habeas.agreements.models import Agreement
from habeas.db import read_session, unit_of_work
from habeas.holds import service as holds
from habeas.ledger.models import Event
from habeas.nominations import service
from habeas.nominations.models import NominationRecord
from tests.screening.factories import nomination

AS_OF = date(2025, 3, 1)


def rows(*records: Any) -> list[service.Row]:
    text = "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records)
    return list(service.read_jsonl(io.StringIO(text)))


def run_import(engine: Engine, *records: Any) -> service.ImportReport:
    report = service.ImportReport()
    with unit_of_work(engine) as s:
        report.results = service.import_rows(s, s.get_one(Agreement, "USA-SLV-2025"),
                                             rows(*records), as_of=AS_OF, actor="test")
    return report


def person(ref: str, **changes: Any) -> dict[str, Any]:
    return nomination(external_ref=ref, **changes).model_dump(mode="json")


class TestImport:
    def test_each_person_is_screened_and_both_facts_are_on_the_ledger(
            self, demo_engine: Engine) -> None:
        report = run_import(demo_engine, person("A-1"),
                            person("A-2", **{"person.date_of_birth": "2010-05-05"}),
                            person("A-3", **{"convictions.0.appeal_status": "unknown"}))
        assert report.summary == {"rows": 3, "eligible": 1, "ineligible": 1, "review": 1,
                                  "invalid": 0, "unchanged": 0}
        minor = report.results[1]
        assert [r["rule"] for r in minor.reasons] == ["ADULT"]
        assert minor.reasons[0]["citation"] == "CRC art. 37; Mandela Rule 11(d)"
        with read_session(demo_engine) as s:
            events = s.scalars(select(Event).where(Event.subject == minor.public_id)
                               .order_by(Event.seq)).all()
            assert [e.type for e in events] == ["nomination.received", "nomination.screened"]
            assert events[0].subject.startswith("N") and "Rivera" not in events[0].subject
            record = s.get_one(NominationRecord, minor.public_id)
            assert record.decision == "ineligible" and record.external_ref == "A-2"

    def test_a_bad_line_is_reported_and_the_others_import(self, demo_engine: Engine) -> None:
        bad_country = person("B-2")
        bad_country["person"]["nationalities"] = ["XXX"]
        missing = person("B-3")
        del missing["person"]["date_of_birth"]
        impossible = person("B-4")
        impossible["convictions"][0]["judgment_date"] = "2023-02-30"
        enum = person("B-5")
        enum["convictions"][0]["appeal_status"] = "maybe"
        report = run_import(demo_engine, person("B-1"), bad_country, missing, impossible,
                            enum, "{not json", person("B-6"))
        assert report.summary["invalid"] == 5 and report.summary["eligible"] == 2
        fields = [r.errors[0]["field"] for r in report.results if r.decision == "invalid"]
        assert fields == ["person.nationalities.0", "person.date_of_birth",
                          "convictions.0.judgment_date", "convictions.0.appeal_status", ""]
        assert "ISO 3166-1 alpha-3" in report.results[1].errors[0]["message"]
        assert report.results[5].errors[0]["message"].startswith("not JSON")
        with read_session(demo_engine) as s:
            assert s.scalar(select(func.count()).select_from(NominationRecord)) == 2

    def test_importing_the_same_file_twice_changes_nothing(self, demo_engine: Engine) -> None:
        run_import(demo_engine, person("C-1"), person("C-2"))
        with read_session(demo_engine) as s:
            before = s.scalar(select(func.count()).select_from(Event))
        again = run_import(demo_engine, person("C-1"), person("C-2"))
        assert again.summary["unchanged"] == 2
        with read_session(demo_engine) as s:
            assert s.scalar(select(func.count()).select_from(Event)) == before

    def test_different_data_under_a_used_ref_is_a_conflict(self, demo_engine: Engine) -> None:
        run_import(demo_engine, person("D-1"))
        changed = person("D-1", **{"person.given_names": "Juan"})
        report = run_import(demo_engine, changed, person("D-2"), changed)
        assert [r.decision for r in report.results] == ["invalid", "eligible", "invalid"]
        assert report.results[0].errors[0]["code"] == "conflict"

    def test_replay_rebuilds_the_nominations(self, demo_engine: Engine) -> None:
        run_import(demo_engine, person("E-1"), person("E-2", convictions=[]))
        assert replay.check(demo_engine).clean


class TestCourtOrdersRescreen:
    def test_a_class_order_registered_later_rescreens_those_it_matches(
            self, demo_engine: Engine) -> None:
        venezuelan = person("F-2", **{"person.nationalities": ["VEN"]})
        run_import(demo_engine, person("F-1"), venezuelan)
        order = holds.parse_hold({
            "hold_ref": "1:25-cv-00766-TRO", "court": "U.S. District Court for D.C.",
            "kind": "tro", "issued": "2025-02-15", "expires": None,
            "scope": {"nationality": "VEN"}, "bars_removal_to": "any"})
        with unit_of_work(demo_engine) as s:
            assert holds.register(s, order, actor="test", party=None, as_of=AS_OF) == \
                ("registered", 1)
        with read_session(demo_engine) as s:
            records = {r.external_ref: r for r in s.scalars(select(NominationRecord))}
        assert records["F-2"].decision == "ineligible"
        assert records["F-1"].decision == "eligible"
        with unit_of_work(demo_engine) as s:
            assert holds.register(s, order, actor="test", party=None, as_of=AS_OF) == \
                ("unchanged", 0)
        with unit_of_work(demo_engine) as s:
            assert holds.lift(s, order.hold_ref, reason="vacated on appeal",
                              document="Opinion vacating the TRO",
                              lifted_on=date(2025, 3, 1), actor="test", party=None) == 1
        with read_session(demo_engine) as s:
            record = s.scalars(select(NominationRecord).where(
                NominationRecord.external_ref == "F-2")).one()
        assert record.decision == "eligible"

    def test_bad_court_orders_name_the_field(self) -> None:
        with pytest.raises(Exception, match=r"scope"):
            holds.parse_hold({"hold_ref": "x", "court": "c", "kind": "tro",
                              "issued": "2025-01-01", "scope": {}, "bars_removal_to": "any"})
        with pytest.raises(Exception, match=r"kind"):
            holds.parse_hold({"hold_ref": "x", "court": "c", "kind": "memo",
                              "issued": "2025-01-01", "scope": {"nationality": "VEN"},
                              "bars_removal_to": "any"})

