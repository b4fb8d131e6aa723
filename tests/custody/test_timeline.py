"""A person's timeline: their own events, the steps of the manifests that listed them and
the court orders that name them, in order, a page at a time, each marked included in the
latest signed checkpoint or not yet."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select

from habeas.custody import timeline as timelines
from habeas.db import read_session, unit_of_work
from habeas.holds import service as holds
from habeas.ledger import service as ledger
from habeas.ledger.models import Event
from habeas.ledger.note import generate_signer
from habeas.nominations.models import NominationRecord
from tests.transfers.factories import accepted_people, arrived


def _order(engine: Engine, ref: str, external_ref: str) -> None:
    with unit_of_work(engine) as s:
        holds.register(s, holds.parse_hold({
            "hold_ref": ref, "court": "S.D. Tex.", "kind": "stay", "issued": "2025-04-20",
            "expires": None, "scope": {"external_ref": external_ref},
            "bars_removal_to": "any"}), actor="user:counsel", party=None,
            as_of=date(2025, 4, 20))


def _page(engine: Engine, public_id: str, page: int = 1,
          per_page: int = timelines.PER_PAGE) -> timelines.Page:
    with read_session(engine) as s:
        data = s.get_one(NominationRecord, public_id).data
        return timelines.timeline(s, public_id, data, page=page, per_page=per_page)


class TestTimeline:
    def test_it_holds_the_flight_and_the_orders_that_name_the_person(
            self, demo_engine: Engine) -> None:
        mine, other = accepted_people(demo_engine, "T-1", "T-2")
        manifest_id = arrived(demo_engine, [mine, other])
        _order(demo_engine, "STAY-MINE", "T-1")
        _order(demo_engine, "STAY-OTHER", "T-2")
        with unit_of_work(demo_engine) as s:
            holds.lift(s, "STAY-MINE", reason="vacated", document="Order vacating the stay",
                       lifted_on=date(2025, 4, 22),
                       actor="user:counsel", party=None)
        page = _page(demo_engine, mine)
        kinds = [(e.type, str(e.via)) for e in page.entries if e.via]
        assert kinds == [("transfer.planned", f"manifest {manifest_id}"),
                         ("transfer.approved", f"manifest {manifest_id}"),
                         ("transfer.departed", f"manifest {manifest_id}"),
                         ("transfer.arrived", f"manifest {manifest_id}"),
                         ("hold.registered", "court order STAY-MINE"),
                         ("hold.lifted", "court order STAY-MINE")]
        with read_session(demo_engine) as s:
            own = list(s.scalars(select(Event.seq).where(Event.subject == mine)))
        assert {e.seq for e in page.entries if e.via is None} == set(own)
        assert [e.seq for e in page.entries] == sorted(e.seq for e in page.entries)
        assert page.total == len(page.entries) == len(own) + 6

    def test_entries_are_included_once_a_checkpoint_covers_them(
            self, demo_engine: Engine) -> None:
        [person] = accepted_people(demo_engine, "T-1")
        before = _page(demo_engine, person)
        assert before.checkpoint_size is None and not any(e.included for e in before.entries)
        with unit_of_work(demo_engine) as s:
            size = ledger.sign_checkpoint(s, generate_signer("habeas.invalid/log")).size
        _order(demo_engine, "STAY-LATE", "T-1")
        after = _page(demo_engine, person)
        assert after.checkpoint_size == size
        assert [e.included for e in after.entries] == [e.seq < size for e in after.entries]
        late = [e for e in after.entries if e.type == "hold.registered"]
        assert len(late) == 1 and late[0].seq >= size and not late[0].included

    def test_a_long_timeline_comes_a_page_at_a_time(self, demo_engine: Engine) -> None:
        [person] = accepted_people(demo_engine, "T-1")
        arrived(demo_engine, [person])
        everything = _page(demo_engine, person).entries
        assert len(everything) > 4
        first, second = _page(demo_engine, person, 1, 3), _page(demo_engine, person, 2, 3)
        assert (first.number, first.pages, first.total) == (1, -(-len(everything) // 3),
                                                           len(everything))
        assert [e.seq for e in first.entries + second.entries] == \
            [e.seq for e in everything[:6]]
        past_the_end = _page(demo_engine, person, 999, 3)
        assert past_the_end.number == past_the_end.pages
        assert past_the_end.entries[-1] == everything[-1]

    def test_pages_for_counts_at_least_one_page(self) -> None:
        assert [timelines.pages_for(n, 100) for n in (0, 1, 100, 101)] == [1, 1, 1, 2]
