"""The words the pages show for the codes the records store, here once for every page.

Each map gives a stored code's label, marked with N_ for the catalogue and translated
where shown (`{{ _(labels.x[code]) }}`; habeas.i18n). A code with no label is shown as it
is (`Labels.__missing__`): a code added to the domain before its words still shows.
Page-specific maps stay in their page's module; a family of codes more than one page shows
lives here.
"""

from __future__ import annotations

from habeas.holds.schemas import HoldKind
from habeas.i18n import N_, gettext


class Labels(dict[str, str]):
    """Labels: the label of each stored code; a code without a label shows as it is."""

    def __missing__(self, code: str) -> str:
        return code


# A person in custody (habeas.custody.models.Prisoner.status), as the file and lists say it.
PRISONER_STATUS = Labels({
    "handed_over": N_("handed over, awaiting intake"),
    "taken_in": N_("taken in, awaiting a cell"), "in_custody": N_("in custody"),
    "return_required": N_("return ordered"), "returning": N_("being returned"),
    "released": N_("released"), "returned": N_("returned"), "escaped": N_("escaped"),
    "died": N_("died in custody")})
PRISONER_KIND = Labels({"transferee": N_("transferee"), "domestic": N_("domestic prisoner")})
LEGAL_STATUS = Labels({"convicted": N_("convicted"), "untried": N_("untried")})
SEX = Labels({"M": N_("male"), "F": N_("female"), "X": N_("unspecified")})
SECURITY_LEVEL = Labels({"low": N_("low"), "medium": N_("medium"), "high": N_("high"),
                         "maximum": N_("maximum")})
# An alleged affiliation always with its basis; tattoos alone are unverified (DESIGN.md §4, §7).
AFFILIATION_BASIS = Labels({
    "conviction": N_("conviction"), "self_declared": N_("self-declared"),
    "intelligence": N_("intelligence"), "tattoo": N_("tattoos only (unverified)"),
    "none": N_("none")})
# How far apart a non-association keeps two people.
SEPARATION_LEVEL = Labels({"CELL": N_("cell"), "BUILDING": N_("building"),
                           "FACILITY": N_("facility")})
# A nominee's standing in the sending state, as the nomination file says it.
STANDING = Labels({"citizen": N_("citizen"), "permanent_resident": N_("permanent resident"),
                   "foreign_national": N_("foreign national"), "stateless": N_("stateless")})
HOLD_KIND = Labels({HoldKind.TRO: N_("temporary restraining order"),
                    HoldKind.INJUNCTION: N_("injunction"), HoldKind.STAY: N_("stay"),
                    HoldKind.WITHHOLDING_OF_REMOVAL: N_("withholding of removal"),
                    HoldKind.CAT_PROTECTION: N_("protection under the Convention against"
                                                " Torture"),
                    HoldKind.RETURN_ORDER: N_("return order")})
# What a state is alerted to (habeas.custody.projections.raise_alerts).
ALERT_KIND = Labels({"return_required": N_("return required"),
                     "return_ordered": N_("return ordered by a court"),
                     "erroneous_transfer": N_("transferred in error"), "death": N_("death"),
                     "escape": N_("escape"), "medical_emergency": N_("medical emergency")})
# A screening rule's or a departure gate's outcome.
OUTCOME = Labels({"pass": N_("pass"), "fail": N_("fail"), "review": N_("review")})
GRIEVANCE_STATUS = Labels({"open": N_("open"), "routed_to_monitor": N_("sent to the monitor"),
                           "responded": N_("answered"), "closed": N_("closed")})
GRIEVANCE_CATEGORY = Labels({
    "living_conditions": N_("living conditions"), "food": N_("food"),
    "health_care": N_("health care"), "treatment_by_staff": N_("treatment by staff"),
    "safety": N_("safety"), "contact": N_("contact with the outside world"),
    "legal_access": N_("access to a lawyer"), "property": N_("property"),
    "discipline": N_("discipline"), "other": N_("other")})


def orders_text(lang: str, orders: str) -> str:
    """orders_text: court orders as the rules list them ("tro H-1, stay H-2"), each kind of
    order named in LANG."""
    named = []
    for order in orders.split(", "):
        kind, _, ref = order.partition(" ")
        said = gettext(lang, HOLD_KIND[kind]) if kind in HOLD_KIND else kind
        named.append(f"{said} {ref}".strip())
    return ", ".join(named)


# What a proposed change of an agreement changes, and where it stands (DESIGN.md §12.1).
CHANGE_KINDS = Labels({"renewal": N_("renewal of the agreement"), "fees": N_("new fees"),
                       "quota": N_("new quota"),
                       "person_term": N_("one person held past the term")})
CHANGE_STATUS = Labels({"proposed": N_("awaiting the other state"),
                        "accepted": N_("accepted by the other state"),
                        "rejected": N_("rejected"), "withdrawn": N_("withdrawn")})
