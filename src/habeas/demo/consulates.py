"""Chapter 4: the consular posts in El Salvador, told of their nationals' admission."""

from __future__ import annotations

import tomllib
from importlib import resources

from sqlalchemy.orm import Session

from .nominating import DEMO_ACCEPTED_ON
from .story import ACTOR, on_day, story

DEMO_CONSULATES = resources.files("habeas.notify") / "consulates" / "demo-slv.toml"


def consulates(session: Session) -> list[str]:
    """consulates registers the demo's consular posts in El Salvador (fictitious addresses),
    so that admissions of Hondurans and Guatemalans are notified (VCCR art. 36)."""
    with story(session, on_day(DEMO_ACCEPTED_ON, 16)):
        return _consulates(session)


def _consulates(session: Session) -> list[str]:
    from habeas.notify import service as notify
    from habeas.notify.schemas import ConsulateFile

    directory = ConsulateFile.model_validate(
        tomllib.loads(DEMO_CONSULATES.read_text(encoding="utf-8")))
    done = notify.load_consulates(session, directory, actor=ACTOR)
    changed = sum(1 for line in done if not line.endswith("unchanged"))
    return [f"consulates in SLV: {changed} of {len(done)} registered (fictitious .example "
            "addresses)" if changed else "consulates in SLV: unchanged"]
