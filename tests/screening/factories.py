"""Nominations for tests, built from the DESIGN.md §4 example with changes."""

from __future__ import annotations

import copy
from typing import Any

from habeas.nominations.schemas import Nomination

# The example nomination of DESIGN.md §4, with a valid ICAO 9303 specimen passport MRZ.
EXAMPLE: dict[str, Any] = {
    "external_ref": "US-2025-000123",
    "person": {"family_name": "Rivera López", "given_names": "José Antonio", "aliases": [],
               "date_of_birth": "1994-03-02", "sex": "M", "country_of_birth": "SLV",
               "nationalities": ["SLV"], "status_in_sending_state": "foreign_national",
               "language": "es",
               "documents": [{"type": "passport", "number": "A1234567", "country": "SLV",
                              "mrz": None}]},
    "convictions": [{"court": "U.S. District Court, S.D. Tex.", "case_number": "4:23-cr-00123",
                     "offense_code": "18USC1951", "offense": "Hobbs Act robbery",
                     "judgment_date": "2023-05-10", "appeal_status": "none",
                     "sentence": {"kind": "determinate", "years": 8, "months": 0, "days": 0},
                     "sentence_start": "2022-11-01", "credited_days": 190}],
    "pending_charges": [],
    "affiliation": {"group": "MS-13", "basis": "conviction"},
    "consent": {"given": False, "date": None},
    "next_of_kin": [{"name": "Ana López", "relationship": "mother", "phone": "+50370000000",
                     "email": None}],
    "counsel": None,
    "requested_transfer_date": "2025-03-15",
}


def nomination(**changes: Any) -> Nomination:
    """nomination is the example with dotted-path changes: nomination(**{"person.sex": "F"})."""
    data = copy.deepcopy(EXAMPLE)
    ref = changes.get("external_ref")
    if ref is not None and ref != EXAMPLE["external_ref"]:
        # Another reference is another person: the same name, birthday *and* conviction
        # would be the same person nominated twice, refused at acceptance (issue 17).
        data["convictions"][0]["case_number"] = f"4:23-cr-{ref}"
    for path, value in changes.items():
        target = data
        *parents, last = path.split(".")
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return Nomination.model_validate(data)
