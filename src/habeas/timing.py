"""Constant-time comparison of secrets (tokens, codes, CSRF values, signatures)."""

from __future__ import annotations

import hmac


def same_secret(given: str, expected: str) -> bool:
    """same_secret compares GIVEN with EXPECTED in constant time, as UTF-8 bytes.

    `hmac.compare_digest` on str raises TypeError for non-ASCII text, so a visitor's
    typed "código" would be a 500 (found by tests/api/test_fuzz.py); as bytes it is
    simply unequal.
    """
    return hmac.compare_digest(given.encode(), expected.encode())
