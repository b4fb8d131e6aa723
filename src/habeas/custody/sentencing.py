"""A transferee's release date under the sending state's law, from the convictions on file.

The sentence keeps running under the sending state's law (ETS 112 art. 10), so the
calendar and the good-conduct rules are the sending state's (docs/adr/0010).
"""

from __future__ import annotations

from typing import Any

import pycountry
from sqlalchemy.orm import Session

from habeas.nominations.models import NominationRecord
from habeas.sentences.release import compute_person
from habeas.sentences.schemas import PersonResult

# The good-conduct rule set each sending state's law provides (none unless known).
GOOD_CONDUCT_RULES = {"USA": "us-federal"}


def _custodial(conviction: dict[str, Any]) -> bool:
    sentence = conviction["sentence"]
    return sentence["kind"] != "determinate" or any(
        sentence.get(unit, 0) for unit in ("years", "months", "days"))


def sentence_input(record: NominationRecord) -> dict[str, Any]:
    """sentence_input: the release-date computation's input for a nominated person.

    Every custodial conviction relied on, each running from its own start
    (concurrent): a nomination states no consecutive relation.
    """
    country = pycountry.countries.get(alpha_3=record.sending_party)
    return {
        "id": record.public_id,
        "calendar": country.alpha_2 if country else record.sending_party,
        "good_conduct": GOOD_CONDUCT_RULES.get(record.sending_party, "none"),
        "good_conduct_withheld_days": 0,
        "convictions": [{"sentence": c["sentence"], "sentence_start": c["sentence_start"],
                         "credited_days": c.get("credited_days", 0), "relation": "concurrent"}
                        for c in record.data["convictions"] if _custodial(c)],
    }


def release_for(session: Session, public_id: str) -> PersonResult:
    """release_for computes a transferee's dates with their working."""
    return compute_person(sentence_input(session.get_one(NominationRecord, public_id)), 0)
