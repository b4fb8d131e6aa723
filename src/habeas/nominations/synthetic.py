"""Synthetic nominations for the demo and tests: realistic, deterministic for a seed.

The mix mirrors what went wrong in 2025 (DESIGN.md §1): most people are
properly convicted, but some were sent on alleged membership alone, some had
appeals pending, some were minors or had charges pending, a class of one
nationality was under a court order, and one man was protected from removal
to the receiving state.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from habeas.people.mrz import build_td3

GIVEN = ("José", "Juan", "Carlos", "Luis", "Miguel", "Jorge", "Kilmar", "Andrés", "Óscar",
         "Wilmer", "Edwin", "Franklin", "Jesús", "Yorbis", "Neri", "Mauricio", "Henry",
         "Daniel", "Ángel", "Kevin")
FAMILY = ("Hernández", "García", "Martínez", "López", "González", "Rodríguez", "Pérez",
          "Ramírez", "Flores", "Rivera", "Cruz", "Reyes", "Morales", "Abrego", "Mejía",
          "Guzmán", "Castillo", "Ortiz", "Vásquez", "Rojas")
OFFENCES = (("18USC1951", "Hobbs Act robbery"), ("21USC841", "Drug trafficking"),
            ("18USC924c", "Firearm in a crime of violence"), ("18USC1962", "Racketeering"),
            ("18USC2113", "Bank robbery"), ("8USC1326", "Illegal re-entry"))
NATIONALITIES = ("SLV", "SLV", "SLV", "HND", "GTM")  # Venezuelans are their own case below
LANGUAGE = {"SLV": "es", "VEN": "es", "HND": "es", "GTM": "es"}


@dataclass(frozen=True)
class Profile:
    """Profile is the kind of case a synthetic person is, by share of the whole."""

    name: str
    share: float


MIX = (
    Profile("no_conviction", 0.06),     # sent on alleged membership (tattoos)
    Profile("appeal_pending", 0.05),
    Profile("appeal_unknown", 0.03),
    Profile("minor", 0.025),
    Profile("pending_charges", 0.04),
    Profile("bad_mrz", 0.025),
    Profile("venezuelan", 0.08),        # a class-wide court order will cover them
)


def _kind(rng: random.Random) -> str:
    roll = rng.random()
    for profile in MIX:
        if roll < profile.share:
            return profile.name
        roll -= profile.share
    return "ordinary"


def person(rng: random.Random, index: int, as_of: date) -> dict[str, Any]:
    """person is one synthetic nomination (DESIGN.md §4 format) for position INDEX."""
    kind = _kind(rng)
    nationality = "VEN" if kind == "venezuelan" else rng.choice(NATIONALITIES)
    age = rng.randint(14, 17) if kind == "minor" else rng.randint(20, 55)
    born = as_of - timedelta(days=age * 365 + rng.randint(0, 364))
    given, family = rng.choice(GIVEN), f"{rng.choice(FAMILY)} {rng.choice(FAMILY)}"
    number = f"{chr(65 + rng.randint(0, 25))}{rng.randint(1_000_000, 9_999_999)}"
    mrz = build_td3(surname=family, given_names=given, document_number=number,
                    issuing_state=nationality, nationality=nationality,
                    birth_date=born.strftime("%y%m%d"), sex="M",
                    expiry_date=(as_of + timedelta(days=1500)).strftime("%y%m%d"))
    if kind == "bad_mrz":
        mrz = mrz[:-1] + str((int(mrz[-1]) + 1) % 10)
    start = as_of - timedelta(days=rng.randint(200, 2500))
    offence = rng.choice(OFFENCES)
    convictions = [] if kind == "no_conviction" else [{
        "court": "U.S. District Court, S.D. Tex.", "case_number": f"4:2{index % 5}-cr-{index:05d}",
        "offense_code": offence[0], "offense": offence[1],
        "judgment_date": (start - timedelta(days=rng.randint(30, 200))).isoformat(),
        "appeal_status": {"appeal_pending": "pending", "appeal_unknown": "unknown"}.get(
            kind, rng.choice(("none", "exhausted"))),
        "sentence": {"kind": "determinate", "years": rng.randint(3, 25), "months": 0,
                     "days": 0},
        "sentence_start": start.isoformat(), "credited_days": rng.randint(0, 300)}]
    return {
        "external_ref": f"US-2025-{index:06d}",
        "person": {"family_name": family, "given_names": given, "aliases": [],
                   "date_of_birth": born.isoformat(), "sex": "M",
                   "country_of_birth": nationality, "nationalities": [nationality],
                   "status_in_sending_state": "foreign_national",
                   "language": LANGUAGE[nationality],
                   "documents": [{"type": "passport", "number": number, "country": nationality,
                                  "mrz": mrz}]},
        "convictions": convictions,
        "pending_charges": [{"offense": "assault"}] if kind == "pending_charges" else [],
        "affiliation": {"group": rng.choice(("MS-13", "Tren de Aragua", "Barrio 18")),
                        "basis": "tattoo" if kind == "no_conviction" else "conviction"},
        "consent": {"given": None, "date": None},
        "next_of_kin": [{"name": f"{rng.choice(GIVEN)} {family}", "relationship": "mother",
                         "phone": f"+503{rng.randint(60_000_000, 79_999_999)}", "email": None}],
        "counsel": None,
        "requested_transfer_date": (as_of + timedelta(days=45)).isoformat(),
    }


def protected_man(as_of: date) -> dict[str, Any]:
    """protected_man is the Abrego Garcia case: a Salvadoran whom a 2019
    withholding-of-removal order protects from removal to El Salvador."""
    born = date(1995, 7, 26)
    return {
        "external_ref": "US-2025-PROTECTED",
        "person": {"family_name": "Abrego García", "given_names": "Kilmar Armando",
                   "aliases": [], "date_of_birth": born.isoformat(), "sex": "M",
                   "country_of_birth": "SLV", "nationalities": ["SLV"],
                   "status_in_sending_state": "foreign_national", "language": "es",
                   "documents": [{"type": "passport", "number": "B7654321", "country": "SLV",
                                  "mrz": build_td3(
                                      surname="Abrego Garcia", given_names="Kilmar Armando",
                                      document_number="B7654321", issuing_state="SLV",
                                      nationality="SLV", birth_date=born.strftime("%y%m%d"),
                                      sex="M", expiry_date="300101")}]},
        "convictions": [{"court": "U.S. District Court, D. Md.", "case_number": "8:24-cr-00001",
                         "offense_code": "8USC1326", "offense": "Illegal re-entry",
                         "judgment_date": "2024-06-03", "appeal_status": "none",
                         "sentence": {"kind": "determinate", "years": 2, "months": 0,
                                      "days": 0},
                         "sentence_start": "2024-06-03", "credited_days": 0}],
        "pending_charges": [], "affiliation": {"group": "MS-13", "basis": "intelligence"},
        "consent": {"given": None, "date": None}, "next_of_kin": [], "counsel": None,
        "requested_transfer_date": (as_of + timedelta(days=45)).isoformat(),
    }


def nominations(count: int, *, seed: int, as_of: date) -> list[dict[str, Any]]:
    """nominations is COUNT synthetic people, the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not secrets
    return [person(rng, i + 1, as_of) for i in range(count)]
