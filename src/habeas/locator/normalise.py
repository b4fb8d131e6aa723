"""Search keys for the public locator: pure functions, no database.

A name is compared by its key — Unicode compatibility decomposition (NFKD),
combining marks dropped, case folded, anything that is not a letter or a digit
turned into a space, runs of spaces collapsed — so "JOSE ANTONIO  RIVERA-LOPEZ"
and "José Antonio Rivera López" have the same key (Unicode Standard Annex #15
for the decomposition; Unicode §3.13 for case folding). An identifier (the
sending state's reference, a document number) is compared by its upper-case
letters and digits only: "a-123 4567" and "A1234567" are one identifier.
"""

from __future__ import annotations

import unicodedata


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _fold(text: str) -> str:
    return _strip_marks(text.casefold())


def name_key(text: str) -> str:
    """name_key is TEXT with accents, case, punctuation and spacing taken away.

    The key of a key is the key itself (idempotent), so stored keys and query
    keys compare equal whichever was typed.
    """
    # Folding twice reaches the fixed point: case folding can leave characters that
    # decompose (and decomposing can leave characters that fold), but never a third time.
    folded = _fold(_fold(text))
    return " ".join("".join(c if c.isalnum() else " " for c in folded).split())


def letters(key: str) -> int:
    """letters counts the letters and digits of a name key (its spaces aside)."""
    return sum(1 for c in key if c != " ")


def identifier_key(text: str) -> str:
    """identifier_key is TEXT's letters and digits, upper case, accents dropped (idempotent)."""
    upper = _strip_marks(_strip_marks(text).upper())
    return "".join(c for c in upper if c.isalnum())
