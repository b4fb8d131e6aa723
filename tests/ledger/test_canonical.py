"""The fast canonical JSON is exactly RFC 8785 (checked against the rfc8785 package)."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from habeas.ledger.leaf import canonical_envelope, canonical_json

value = st.one_of(st.none(), st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
                  st.text())
envelopes = st.fixed_dictionaries({k: value for k in (
    "v", "seq", "type", "occurred_at", "recorded_at", "actor", "party", "subject", "facility",
    "payload_sha256")})


@settings(max_examples=500, deadline=None)
@given(envelopes)
def test_fast_path_equals_rfc8785(env: dict[str, object]) -> None:
    assert canonical_envelope(env) == rfc8785.dumps(env)


def test_control_characters_and_non_ascii() -> None:
    env = {"actor": "J\u00f3se\n\t\x01\x7f\u2028\"\\", "seq": 0, "party": None}
    assert canonical_envelope(env) == rfc8785.dumps(env)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**60), max_value=2**60),
              st.floats(allow_nan=False, allow_infinity=False), st.text()),
    lambda inner: st.one_of(st.lists(inner, max_size=5),
                            st.dictionaries(st.text(max_size=8), inner, max_size=5)),
    max_leaves=20)


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_payload_canonicalisation_equals_rfc8785(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        return  # out of JCS's range (e.g. integers beyond 2**53): the package refuses too
    assert canonical_json(value) == expected
