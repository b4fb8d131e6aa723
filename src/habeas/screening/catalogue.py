"""The catalogue of eligibility rules: ids, citations, parameters, and which are *always* on.

Pure data. An agreement profile may switch optional rules on or off and set
their parameters; it can never switch off an *always* rule (DESIGN.md §4) —
a profile that tries is rejected when it is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RuleSpec:
    """RuleSpec describes one rule: what it checks, its source, and its parameters."""

    id: str
    checks: str
    citation: str
    always: bool = False
    params: dict[str, int] = field(default_factory=dict)


RULES: dict[str, RuleSpec] = {
    spec.id: spec
    for spec in (
        RuleSpec("CONVICTED", "at least one conviction with a custodial sentence",
                 "the offer's own term; ETS 112 art. 3(1)(b); US IPTP req. 3", always=True),
        RuleSpec("FINAL_JUDGMENT", "no conviction relied on is under appeal",
                 "ETS 112 art. 3(1)(b); US IPTP req. 4"),
        RuleSpec("MIN_REMAINING", "enough of the sentence left to serve",
                 "ETS 112 art. 3(1)(c)", params={"days": 183}),
        RuleSpec("NATIONALITY", "national of the receiving state", "ETS 112 art. 3(1)(a)"),
        RuleSpec("CONSENT", "the person's recorded, informed consent",
                 "ETS 112 art. 3(1)(d), art. 7"),
        RuleSpec("DUAL_CRIMINALITY", "every offence is an offence in the receiving state",
                 "ETS 112 art. 3(1)(e)"),
        RuleSpec("NO_PENDING_CHARGES", "no open charges in the sending state",
                 "US IPTP req. 7"),
        RuleSpec("ADULT", "18 or older on the as-of date", "CRC art. 37; Mandela Rule 11(d)",
                 always=True),
        RuleSpec("IDENTITY", "an identity document; MRZ check digits pass",
                 "Mandela Rule 7(a); ICAO Doc 9303", always=True),
        RuleSpec("NO_LEGAL_HOLD", "no active court order bars the transfer",
                 "J.G.G. v. Trump (D.D.C. 2025)", always=True),
        RuleSpec("NON_REFOULEMENT", "no protection order bars removal to the receiving country",
                 "Noem v. Abrego Garcia (2025); CAT art. 3", always=True),
        RuleSpec("NOTICE", "written notice served long enough before departure",
                 "Trump v. J.G.G.; A.A.R.P. v. Trump (2025)", always=True,
                 params={"days": 30}),
        RuleSpec("QUOTA", "the agreement's person cap is not exceeded", "the 2025 memo"),
        RuleSpec("CAPACITY", "forecast free places at the facility on the transfer date",
                 "DESIGN.md §7"),
    )
}
