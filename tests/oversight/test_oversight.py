"""Oversight: inspections, findings and the answers due (Mandela Rules 83–85); grievances
and the safeguarded channel for allegations of ill-treatment (Rules 56–57)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from habeas import replay
from habeas.auth.models import ReadAudit, Role, User
from habeas.auth.principal import Principal, principal_for
from habeas.db import read_session, unit_of_work
from habeas.errors import DomainError
from habeas.ledger.models import Event
from habeas.oversight import service
from habeas.oversight.models import Finding, Grievance, Inspection
from habeas.oversight.schemas import FindingIn, FindingResponseIn, GrievanceIn, InspectionIn
from tests.api.conftest import bearer
from tests.custody.test_population import admit, row
from tests.factories import a_user, counsel_of_record
from tests.transfers.factories import accepted_people, handed_over

pytestmark = pytest.mark.both_engines  # SQL-heavy: oversight reports (aggregates) (docs/testing.md)

VISIT = date(2025, 3, 10)
TODAY = date(2025, 6, 1)
WARDEN_NAME = "Carlos Menjívar"  # sv.warden's display name, without its affiliation


# --- builders -------------------------------------------------------------------------------

def events(engine: Engine) -> int:
    with read_session(engine) as s:
        return s.scalar(select(func.count()).select_from(Event)) or 0


def refused(engine: Engine, action: Callable[[Session], object], code: str) -> DomainError:
    """refused runs ACTION, expects a DomainError with CODE, and checks nothing was recorded."""
    before = events(engine)
    with pytest.raises(DomainError) as caught, unit_of_work(engine) as s:
        action(s)
    assert caught.value.code == code, caught.value.message
    assert events(engine) == before
    return caught.value


def who(engine: Engine, username: str) -> Principal:
    with read_session(engine) as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        return principal_for(user, "token")


def inspection(**changes: Any) -> InspectionIn:
    return InspectionIn.model_validate({
        "facility_code": "CECOT", "visited_on": VISIT.isoformat(), "announced": False,
        "areas": ["M1", "kitchen"], "inspectors": ["Inés Duarte", "Tomás Ríos"],
        "summary": "Cells in M1 hold 57 people on 100 m²; no daylight.", **changes})


def finding(**changes: Any) -> FindingIn:
    return FindingIn.model_validate({
        "text": "Cell 1-01 holds 57 people on 100 m².",
        "recommendation": "Reduce occupancy to the ICRC standard of 3.4 m² per person.",
        "severity": "critical", "response_due": "2025-04-10", **changes})


def answer(**changes: Any) -> FindingResponseIn:
    return FindingResponseIn.model_validate({
        "text": "Module M1 will be decongested.", "decision": "partially",
        "actions": ["move 20 people per cell to M8"], "responded_on": "2025-04-01", **changes})


def grievance(public_id: str, **changes: Any) -> GrievanceIn:
    return GrievanceIn.model_validate({
        "public_id": public_id, "filed_by": {"role": "detained_person", "name": "Juan Pérez"},
        "category": "health_care", "text": "No doctor has seen me in three weeks.",
        "alleges_ill_treatment": False, **changes})


def inspected(engine: Engine, **changes: Any) -> int:
    with unit_of_work(engine) as s:
        return service.record_inspection(s, inspection(**changes), actor="user:monitor",
                                         today=TODAY).seq


def found(engine: Engine, inspection_seq: int, **changes: Any) -> int:
    with unit_of_work(engine) as s:
        return service.record_finding(s, inspection_seq, finding(**changes),
                                      actor="user:monitor").seq


def filed(engine: Engine, public_id: str, by: str = "sv.warden", **changes: Any) -> int:
    principal = who(engine, by)
    with unit_of_work(engine) as s:
        return service.file_grievance(s, grievance(public_id, **changes), by=principal).seq


def answered(engine: Engine, seq: int, by: str = "sv.warden") -> None:
    principal = who(engine, by)
    with unit_of_work(engine) as s:
        service.respond_to_grievance(s, seq, "A doctor will see him on Monday.", by=principal)


def a_prisoner(engine: Engine, ref: str = "D-1") -> str:
    [admitted] = admit(engine, row(ref))
    assert admitted.public_id is not None
    return admitted.public_id


# --- inspections and findings ---------------------------------------------------------------

class TestInspections:
    def test_a_visit_is_recorded_under_the_seq_of_its_event(self, demo_engine: Engine) -> None:
        before = events(demo_engine)
        seq = inspected(demo_engine)
        assert seq == before
        with read_session(demo_engine) as s:
            visit = s.get_one(Inspection, seq)
            event = s.get_one(Event, seq)
        assert (visit.facility_code, visit.visited_on, visit.announced) == ("CECOT", VISIT, False)
        assert visit.areas == ["M1", "kitchen"] and visit.recorded_by == "user:monitor"
        assert (event.type, event.facility, event.party) == ("inspection.recorded", "CECOT",
                                                             "SLV")

    def test_an_unknown_facility_or_a_visit_still_to_come_is_refused(
            self, demo_engine: Engine) -> None:
        for body, field in ((inspection(facility_code="NOWHERE"), "facility_code"),
                            (inspection(visited_on="2025-06-02"), "visited_on")):
            error = refused(demo_engine, partial(
                service.record_inspection, inspection=body, actor="user:monitor", today=TODAY),
                "validation_failed")
            assert error.details["field"] == field


class TestFindings:
    def test_a_finding_is_open_until_answered_and_overdue_after_its_due_date(
            self, demo_engine: Engine) -> None:
        visit = inspected(demo_engine)
        seq = found(demo_engine, visit, response_due="2025-04-10")
        with read_session(demo_engine) as s:
            assert s.get_one(Finding, seq).status == "open"
            assert service.overdue_findings(s, date(2025, 4, 10)) == []  # due that day
            assert [f.seq for f in service.overdue_findings(s, date(2025, 4, 11))] == [seq]
        with unit_of_work(demo_engine) as s:
            service.respond_to_finding(s, seq, answer(responded_on="2025-04-12"),
                                       by=who(demo_engine, "sv.warden"), today=TODAY)
        with read_session(demo_engine) as s:
            answered_finding = s.get_one(Finding, seq)
            assert service.overdue_findings(s, TODAY) == []
        assert (answered_finding.status, answered_finding.decision) == ("responded", "partially")
        assert answered_finding.actions == ["move 20 people per cell to M8"]
        assert answered_finding.late and answered_finding.responded_by == "user:sv.warden"

    def test_the_answer_may_not_be_due_before_the_visit(self, demo_engine: Engine) -> None:
        visit = inspected(demo_engine)
        error = refused(demo_engine, lambda s: service.record_finding(
            s, visit, finding(response_due="2025-03-09"), actor="m"), "validation_failed")
        assert error.details["field"] == "response_due"
        found(demo_engine, visit, response_due=VISIT.isoformat())  # the same day is allowed

    def test_the_people_concerned_must_be_known(self, demo_engine: Engine) -> None:
        person = a_prisoner(demo_engine)
        visit = inspected(demo_engine)
        error = refused(demo_engine, lambda s: service.record_finding(
            s, visit, finding(people_concerned=[person, "PNOBODY"]), actor="m"),
            "validation_failed")
        assert error.details["field"] == "people_concerned" and "PNOBODY" in error.message
        seq = found(demo_engine, visit, people_concerned=[person, person])
        with read_session(demo_engine) as s:
            assert s.get_one(Finding, seq).people_concerned == [person]

    def test_a_finding_is_answered_once_by_the_state_that_runs_the_facility(
            self, demo_engine: Engine) -> None:
        seq = found(demo_engine, inspected(demo_engine))
        warden = who(demo_engine, "sv.warden")
        a_user(demo_engine, "us.guard", Role.RECEIVING, "USA")
        stranger = who(demo_engine, "us.guard")
        refused(demo_engine, lambda s: service.respond_to_finding(
            s, seq, answer(), by=stranger, today=TODAY), "wrong_party")
        for bad, field in ((answer(responded_on="2025-03-09"), "responded_on"),
                           (answer(responded_on="2025-06-02"), "responded_on")):
            error = refused(demo_engine, partial(
                service.respond_to_finding, seq=seq, response=bad, by=warden, today=TODAY),
                "validation_failed")
            assert error.details["field"] == field
        with unit_of_work(demo_engine) as s:
            service.respond_to_finding(s, seq, answer(), by=warden, today=TODAY)
        refused(demo_engine, lambda s: service.respond_to_finding(
            s, seq, answer(), by=warden, today=TODAY), "already_responded")

    def test_accepting_a_recommendation_says_what_will_be_done(self) -> None:
        with pytest.raises(ValueError, match="actions"):
            answer(decision="accepted", actions=[])
        assert answer(decision="rejected", actions=[]).actions == []


# --- grievances -----------------------------------------------------------------------------

class TestFilingGrievances:
    def test_a_grievance_is_filed_for_a_person_in_custody(self, demo_engine: Engine) -> None:
        person = a_prisoner(demo_engine)
        seq = filed(demo_engine, person, concerns_staff=["Guard Ruiz", "Guard Ruiz"])
        with read_session(demo_engine) as s:
            row_ = s.get_one(Grievance, seq)
            event = s.get_one(Event, seq)
        assert (row_.status, row_.facility_code, row_.concerns_staff) == (
            "open", "CECOT", ["Guard Ruiz"])
        assert (event.type, event.subject, event.party) == ("grievance.filed", person, "SLV")

    def test_an_unknown_person_is_refused(self, demo_engine: Engine) -> None:
        # 404, as for a person counsel does not represent: existence is not revealed.
        principal = who(demo_engine, "sv.warden")
        error = refused(demo_engine, lambda s: service.file_grievance(
            s, grievance("PNOBODY"), by=principal), "not_found")
        assert error.details["field"] == "public_id"

    def test_an_allegation_of_ill_treatment_is_routed_to_the_monitors(
            self, demo_engine: Engine) -> None:
        person = a_prisoner(demo_engine)
        plain = filed(demo_engine, person)
        alleged = filed(demo_engine, person, alleges_ill_treatment=True,
                        category="treatment_by_staff")
        with read_session(demo_engine) as s:
            assert s.get_one(Grievance, alleged).status == "routed_to_monitor"
            routed = service.list_grievances(s, scope=None, routed_to_monitor=True)
            others = service.list_grievances(s, scope=None, routed_to_monitor=False)
        assert [g.seq for g in routed] == [alleged]
        assert [g.seq for g in others] == [plain]


class TestHandlingGrievances:
    def test_open_then_answered_then_closed(self, demo_engine: Engine) -> None:
        seq = filed(demo_engine, a_prisoner(demo_engine))
        warden = who(demo_engine, "sv.warden")
        refused(demo_engine, lambda s: service.close_grievance(s, seq, "done", by=warden),
                "grievance_not_answered")
        answered(demo_engine, seq)
        refused(demo_engine, lambda s: service.respond_to_grievance(s, seq, "again", by=warden),
                "already_responded")
        with unit_of_work(demo_engine) as s:
            service.close_grievance(s, seq, "seen by the doctor on 2 June", by=warden)
        refused(demo_engine, lambda s: service.close_grievance(s, seq, "again", by=warden),
                "already_closed")
        refused(demo_engine, lambda s: service.respond_to_grievance(s, seq, "late", by=warden),
                "already_closed")
        with read_session(demo_engine) as s:
            closed = s.get_one(Grievance, seq)
        assert (closed.status, closed.closed_by, closed.close_reason) == (
            "closed", "user:sv.warden", "seen by the doctor on 2 June")

    @pytest.mark.parametrize("name", [WARDEN_NAME, "carlos  menjívar", "sv.warden"])
    def test_the_staff_it_names_neither_answer_nor_close_it(self, demo_engine: Engine,
                                                            name: str) -> None:
        seq = filed(demo_engine, a_prisoner(demo_engine), concerns_staff=[name])
        warden = who(demo_engine, "sv.warden")
        refused(demo_engine, lambda s: service.respond_to_grievance(s, seq, "no", by=warden),
                "grievance_answered_by_concerned_staff")
        answered(demo_engine, seq, by="monitor")
        refused(demo_engine, lambda s: service.close_grievance(s, seq, "done", by=warden),
                "grievance_closed_by_concerned_staff")

    def test_only_a_monitor_closes_an_allegation_of_ill_treatment(self, demo_engine: Engine
                                                                  ) -> None:
        seq = filed(demo_engine, a_prisoner(demo_engine), alleges_ill_treatment=True)
        answered(demo_engine, seq)  # the administration answers; it does not close
        warden = who(demo_engine, "sv.warden")
        refused(demo_engine, lambda s: service.close_grievance(s, seq, "unfounded", by=warden),
                "ill_treatment_closed_by_monitor_only")
        with unit_of_work(demo_engine) as s:
            service.close_grievance(s, seq, "referred to the Fiscalía; investigation opened",
                                    by=who(demo_engine, "monitor"))
        with read_session(demo_engine) as s:
            assert s.get_one(Grievance, seq).closed_by == "user:monitor"


class TestScopeAndReplay:
    def test_a_sending_state_sees_only_its_own_people_s_grievances(
            self, demo_engine: Engine) -> None:
        [transferee] = accepted_people(demo_engine, "T-1")
        handed_over(demo_engine, [transferee])
        domestic = filed(demo_engine, a_prisoner(demo_engine))
        ours = filed(demo_engine, transferee, by="monitor",
                     filed_by={"role": "monitor", "name": "Inés Duarte"})
        with read_session(demo_engine) as s:
            assert [g.seq for g in service.list_grievances(s, scope="USA")] == [ours]
            assert [g.seq for g in service.list_grievances(s, scope=None)] == [ours, domestic]
            assert service.get_grievance(s, ours, "USA").public_id == transferee
            with pytest.raises(DomainError) as caught:
                service.get_grievance(s, domestic, "USA")
        assert caught.value.code == "not_found"

    def test_the_events_alone_rebuild_oversight(self, demo_engine: Engine) -> None:
        person = a_prisoner(demo_engine)
        visit = inspected(demo_engine)
        seq = found(demo_engine, visit, people_concerned=[person])
        with unit_of_work(demo_engine) as s:
            service.respond_to_finding(s, seq, answer(), by=who(demo_engine, "sv.warden"),
                                       today=TODAY)
        grievance_seq = filed(demo_engine, person, alleges_ill_treatment=True)
        answered(demo_engine, grievance_seq)
        with unit_of_work(demo_engine) as s:
            service.close_grievance(s, grievance_seq, "investigated",
                                    by=who(demo_engine, "monitor"))
        report = replay.check(demo_engine)
        assert report.clean, [d.describe() for d in report.differences]


# --- over HTTP ------------------------------------------------------------------------------

API = "/api/v1"


def _error(response: Any) -> tuple[int, str, str | None]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["details"].get("field")


class TestInspectionsApi:
    def test_a_monitor_records_a_visit_and_its_findings_and_the_prison_answers(
            self, client: TestClient, tokens: dict[str, str], engine: Engine) -> None:
        monitor, warden = bearer(tokens["monitor"]), bearer(tokens["sv.warden"])
        officer = bearer(tokens["us.officer"])
        visit = client.post(f"{API}/inspections", headers=monitor,
                            json=inspection().model_dump(mode="json"))
        assert visit.status_code == 201, visit.text
        seq = visit.json()["seq"]
        assert client.post(f"{API}/inspections", headers=warden,
                           json=inspection().model_dump(mode="json")).status_code == 403
        made = client.post(f"{API}/inspections/{seq}/findings", headers=monitor,
                           json=finding().model_dump(mode="json"))
        assert made.status_code == 201, made.text
        finding_seq = made.json()["seq"]
        assert made.json()["status"] == "open" and made.json()["overdue"]  # due 2025-04-10
        overdue = client.get(f"{API}/findings", headers=officer,
                             params={"overdue": "true", "on": "2025-04-11"})
        assert [f["seq"] for f in overdue.json()] == [finding_seq]
        assert client.get(f"{API}/findings", headers=officer,
                          params={"overdue": "true", "on": "2025-04-10"}).json() == []
        replied = client.post(f"{API}/findings/{finding_seq}/response", headers=warden,
                              json=answer().model_dump(mode="json"))
        assert replied.status_code == 200, replied.text
        assert (replied.json()["status"], replied.json()["late"]) == ("responded", False)
        again = client.post(f"{API}/findings/{finding_seq}/response", headers=warden,
                            json=answer().model_dump(mode="json"))
        assert _error(again)[:2] == (409, "already_responded")
        detail = client.get(f"{API}/inspections/{seq}", headers=officer).json()
        assert detail["areas"] == ["M1", "kitchen"]
        assert [(f["seq"], f["decision"]) for f in detail["findings"]] == [
            (finding_seq, "partially")]
        listed = client.get(f"{API}/inspections", headers=officer,
                            params={"facility": "CECOT"}).json()
        assert [i["seq"] for i in listed] == [seq]

    @pytest.mark.parametrize(("changes", "field"), [
        ({"summary": "   "}, "body.summary"),
        ({"areas": []}, "body.areas"),
        ({"inspectors": [""]}, "body.inspectors.0"),
        ({"announced": None}, "body.announced"),
        ({"facility_code": "NOWHERE"}, "facility_code"),
        ({"visited_on": "2999-01-01"}, "visited_on"),
    ])
    def test_a_bad_visit_names_the_field_and_records_nothing(
            self, client: TestClient, tokens: dict[str, str], engine: Engine,
            changes: dict[str, Any], field: str) -> None:
        before = events(engine)
        response = client.post(f"{API}/inspections", headers=bearer(tokens["monitor"]),
                               json={**inspection().model_dump(mode="json"), **changes})
        assert _error(response) == (422, "validation_failed", field)
        assert events(engine) == before

    @pytest.mark.parametrize(("changes", "field"), [
        ({"text": ""}, "body.text"),
        ({"severity": "grave"}, "body.severity"),
        ({"response_due": "2025-03-01"}, "response_due"),
        ({"people_concerned": ["PNOBODY"]}, "people_concerned"),
    ])
    def test_a_bad_finding_names_the_field_and_records_nothing(
            self, client: TestClient, tokens: dict[str, str], engine: Engine,
            changes: dict[str, Any], field: str) -> None:
        seq = inspected(engine)
        before = events(engine)
        response = client.post(f"{API}/inspections/{seq}/findings",
                               headers=bearer(tokens["monitor"]),
                               json={**finding().model_dump(mode="json"), **changes})
        assert _error(response) == (422, "validation_failed", field)
        assert events(engine) == before

    def test_unknown_inspections_and_findings_are_not_found(
            self, client: TestClient, tokens: dict[str, str]) -> None:
        monitor, warden = bearer(tokens["monitor"]), bearer(tokens["sv.warden"])
        assert client.get(f"{API}/inspections/999", headers=monitor).status_code == 404
        assert client.post(f"{API}/inspections/999/findings", headers=monitor,
                           json=finding().model_dump(mode="json")).status_code == 404
        assert client.post(f"{API}/findings/999/response", headers=warden,
                           json=answer().model_dump(mode="json")).status_code == 404


class TestGrievancesApi:
    def test_filed_routed_answered_and_closed_by_a_monitor_with_reads_logged(
            self, client: TestClient, tokens: dict[str, str], engine: Engine) -> None:
        monitor, warden = bearer(tokens["monitor"]), bearer(tokens["sv.warden"])
        person = a_prisoner(engine)
        counsel_of_record(engine, person)  # counsel files only for a client (§12.1)
        body = grievance(person, alleges_ill_treatment=True, category="treatment_by_staff",
                         concerns_staff=["Guard Ruiz"]).model_dump(mode="json")
        made = client.post(f"{API}/grievances", headers=bearer(tokens["counsel"]), json=body)
        assert made.status_code == 201, made.text
        seq = made.json()["seq"]
        assert (made.json()["status"], made.json()["routed_to_monitor"]) == (
            "routed_to_monitor", True)
        assert "text" not in made.json()
        routed = client.get(f"{API}/grievances", headers=monitor,
                            params={"routed_to_monitor": "true"}).json()
        assert [g["seq"] for g in routed] == [seq] and "text" not in routed[0]
        full = client.get(f"{API}/grievances/{seq}", headers=monitor)
        assert full.status_code == 200 and full.json()["concerns_staff"] == ["Guard Ruiz"]
        replied = client.post(f"{API}/grievances/{seq}/response", headers=warden,
                              json={"text": "Guard Ruiz is moved to another module."})
        assert replied.json()["status"] == "responded"
        closing = client.post(f"{API}/grievances/{seq}/close", headers=warden,
                              json={"reason": "unfounded"})
        assert _error(closing)[:2] == (403, "ill_treatment_closed_by_monitor_only")
        closed = client.post(f"{API}/grievances/{seq}/close", headers=monitor,
                             json={"reason": "referred for independent investigation"})
        assert closed.json()["status"] == "closed"
        with read_session(engine) as s:
            reads = list(s.scalars(select(ReadAudit).where(
                ReadAudit.record_kind == "grievance")))
        assert [(r.username, r.record_id) for r in reads] == [("monitor", str(seq))]

    def test_the_named_warden_may_not_close_a_grievance_about_him(
            self, client: TestClient, tokens: dict[str, str], engine: Engine) -> None:
        warden = bearer(tokens["sv.warden"])
        seq = filed(engine, a_prisoner(engine), by="monitor", concerns_staff=[WARDEN_NAME])
        answered(engine, seq, by="monitor")
        closing = client.post(f"{API}/grievances/{seq}/close", headers=warden,
                              json={"reason": "resolved"})
        assert _error(closing)[:2] == (403, "grievance_closed_by_concerned_staff")

    def test_a_sending_officer_sees_only_grievances_of_its_own_people(
            self, client: TestClient, tokens: dict[str, str], engine: Engine) -> None:
        officer = bearer(tokens["us.officer"])
        seq = filed(engine, a_prisoner(engine))
        assert client.get(f"{API}/grievances", headers=officer).json() == []
        assert client.get(f"{API}/grievances/{seq}", headers=officer).status_code == 404
        with read_session(engine) as s:
            assert s.scalar(select(func.count()).select_from(ReadAudit).where(
                ReadAudit.record_kind == "grievance")) == 0

    @pytest.mark.parametrize(("changes", "field"), [
        ({"public_id": "PNOBODY"}, "public_id"),
        ({"text": " "}, "body.text"),
        ({"category": "complaint"}, "body.category"),
        ({"filed_by": {"role": "warden", "name": "X"}}, "body.filed_by.role"),
        ({"alleges_ill_treatment": None}, "body.alleges_ill_treatment"),
    ])
    def test_a_bad_grievance_names_the_field_and_records_nothing(
            self, client: TestClient, tokens: dict[str, str], engine: Engine,
            changes: dict[str, Any], field: str) -> None:
        body = {**grievance(a_prisoner(engine)).model_dump(mode="json"), **changes}
        before = events(engine)
        response = client.post(f"{API}/grievances", headers=bearer(tokens["sv.warden"]),
                               json=body)
        # An unknown person is 404 (as one counsel does not represent); the rest are 422.
        assert _error(response) == ((404, "not_found", field) if field == "public_id"
                                    else (422, "validation_failed", field))
        assert events(engine) == before

    def test_closing_needs_an_answer_and_a_reason(
            self, client: TestClient, tokens: dict[str, str], engine: Engine) -> None:
        warden = bearer(tokens["sv.warden"])
        seq = filed(engine, a_prisoner(engine))
        early = client.post(f"{API}/grievances/{seq}/close", headers=warden,
                            json={"reason": "resolved"})
        assert _error(early)[:2] == (409, "grievance_not_answered")
        blank = client.post(f"{API}/grievances/{seq}/response", headers=warden,
                            json={"text": ""})
        assert _error(blank) == (422, "validation_failed", "body.text")
        answered(engine, seq)
        no_reason = client.post(f"{API}/grievances/{seq}/close", headers=warden,
                                json={"reason": "  "})
        assert _error(no_reason) == (422, "validation_failed", "body.reason")
        assert client.post(f"{API}/grievances/999/close", headers=warden,
                           json={"reason": "x"}).status_code == 404
