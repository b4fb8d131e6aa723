"""/api/v1/sentences — compute release dates over the body sent; nothing is read or stored."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from habeas.api.deps import require
from habeas.api.errors import documented
from habeas.auth.permissions import Action
from habeas.auth.principal import Principal
from habeas.errors import field_error
from habeas.sentences.release import compute_document, people_of, require_one_computed
from habeas.sentences.schemas import ComputeResponse

router = APIRouter(prefix="/sentences", tags=["sentences"])
Computer = Annotated[Principal, Depends(require(Action.COMPUTE_SENTENCES))]
MAX_PEOPLE = 1000

EXAMPLE = {"people": [{
    "id": "P1", "calendar": "US", "good_conduct": "us-federal", "good_conduct_withheld_days": 0,
    "convictions": [{"sentence": {"kind": "determinate", "years": 5, "months": 0, "days": 0},
                     "sentence_start": "2020-01-15", "credited_days": 0,
                     "relation": "concurrent"}]}]}


@router.post("/compute", responses=documented(401, 403, 422))
def compute(
    principal: Computer,
    body: Annotated[dict[str, Any], Body(description='{"people": [...]} (DESIGN.md §5)',
                                         examples=[EXAMPLE])],
) -> ComputeResponse:
    """Each person's sentence expiry, projected release and release date, with the working.

    A person with bad input comes back with `errors` (JSON paths) and null dates;
    the others are computed. When nobody can be computed: 422 naming the field.
    """
    if len(people_of(body)) > MAX_PEOPLE:
        raise field_error("people", f"at most {MAX_PEOPLE} people per request")
    response = compute_document(body)
    require_one_computed(response)
    return response
