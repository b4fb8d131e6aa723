"""ICAO 9303 MRZ parsing: the Doc 9303 specimens, the `mrz` package as an oracle, mutations.

The oracle is the PyPI package `mrz` (checker classes TD1CodeChecker, TD2CodeChecker and
TD3CodeChecker). Its overall verdict also judges things our validator deliberately does not
(country codes, name layout, expiry after birth), so we compare only what IDENTITY needs:
its check-digit results ("... hash" entries of its report) and its YYMMDD date check.
"""

from __future__ import annotations

import datetime
import string
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mrz.base.errors import DateError  # type: ignore[import-untyped]
from mrz.base.functions import hash_string  # type: ignore[import-untyped]
from mrz.base.string_checkers import date as oracle_date  # type: ignore[import-untyped]
from mrz.checker.td1 import TD1CodeChecker  # type: ignore[import-untyped]
from mrz.checker.td2 import TD2CodeChecker  # type: ignore[import-untyped]
from mrz.checker.td3 import TD3CodeChecker  # type: ignore[import-untyped]

from habeas.people.mrz import Mrz, MrzError, check_digit, is_valid, parse

ALPHABET = string.ascii_uppercase + string.digits + "<"

# Doc 9303 Part 4 (TD3), Part 5 (TD1) and Part 6 (TD2) specimens: Anna Maria Eriksson of Utopia.
TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
)
TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<\n"
    "7408122F1204159UTO<<<<<<<<<<<6\n"
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"
)
TD2 = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6"
# TD1 with a 12-character document number D23145890734 (Part 5 long-number rule): 9 principal
# characters, '<' in the check-digit position, then "734", the number's check digit 9 and a
# filler in the optional data. Constructed for this test; its check digits are verified below.
TD1_LONG = (
    "I<UTOD23145890<7349<<<<<<<<<<<\n"
    "7408122F1204159UTO<<<<<<<<<<<6\n"
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"
)
SPECIMENS = {"TD1": TD1, "TD2": TD2, "TD3": TD3}

# (line, column) of each check digit, with the field a wrong one must be reported against.
CHECK_DIGITS: dict[str, dict[tuple[int, int], str]] = {
    "TD1": {
        (0, 14): "document_number",
        (1, 6): "birth_date",
        (1, 14): "expiry_date",
        (1, 29): "composite",
    },
    "TD2": {
        (1, 9): "document_number",
        (1, 19): "birth_date",
        (1, 27): "expiry_date",
        (1, 35): "composite",
    },
    "TD3": {
        (1, 9): "document_number",
        (1, 19): "birth_date",
        (1, 27): "expiry_date",
        (1, 42): "optional_data",
        (1, 43): "composite",
    },
}

ORACLES: dict[str, Any] = {"TD1": TD1CodeChecker, "TD2": TD2CodeChecker, "TD3": TD3CodeChecker}


def fmt_of(text: str) -> str:
    lines = text.split("\n")
    return {3: "TD1", 36: "TD2", 44: "TD3"}[len(lines) if len(lines) == 3 else len(lines[0])]


def oracle_valid(text: str) -> bool:
    """The `mrz` package's verdict on check digits and on the two dates."""
    checker = ORACLES[fmt_of(text)](text)
    hashes = {name: ok for name, ok in checker.report.fields if name.endswith("hash")}
    assert {"document number hash", "birth date hash", "expiry date hash", "final hash"} <= set(
        hashes
    )
    upper = text.split("\n")[0]
    if fmt_of(text) == "TD1" and upper[14] == "<":
        # Documented edge case: mrz 0.6.2 does not implement the Doc 9303 Part 5 long-number
        # rule; it always compares '<' with the check digit of positions 6-14 and fails. Judge
        # that one check digit by the rule, still with the oracle's own check-digit function.
        extension = upper[15:30].split("<", 1)[0]
        hashes["document number hash"] = len(extension) >= 2 and hash_string(
            upper[5:14] + extension[:-1]
        ) == extension[-1]
    fields = checker.fields()
    return all(hashes.values()) and _oracle_date(fields.birth_date) and _oracle_date(
        fields.expiry_date
    )


def _oracle_date(value: str) -> bool:
    try:
        oracle_date(value)
    except DateError:
        return False
    return True


def mutate(text: str, line: int, column: int, char: str) -> str:
    lines = text.split("\n")
    lines[line] = lines[line][:column] + char + lines[line][column + 1 :]
    return "\n".join(lines)


# --- check_digit ----------------------------------------------------------------------------


def test_check_digit_examples() -> None:
    # Part 3 §4.9 worked example: 520727 -> 3; fillers count as 0.
    assert check_digit("520727") == 3
    assert check_digit("L898902C3") == 6
    assert check_digit("AB2134<<<") == 5
    assert check_digit("") == 0
    assert check_digit("<<<<<<<<<") == 0


@given(st.text(alphabet=ALPHABET, max_size=40))
@settings(max_examples=200, deadline=None)
def test_check_digit_agrees_with_the_oracle(field: str) -> None:
    assert str(check_digit(field)) == hash_string(field)


@pytest.mark.parametrize("field", ["abc", "L89 8", "L-8", "É", "1\n2"])
def test_check_digit_rejects_other_characters(field: str) -> None:
    with pytest.raises(ValueError, match="not an MRZ character"):
        check_digit(field)


# --- the specimens ------------------------------------------------------------------------


def test_specimens_check_digits_are_right_by_the_oracle() -> None:
    for text in (*SPECIMENS.values(), TD1_LONG):
        assert oracle_valid(text)
    for text in SPECIMENS.values():  # The full oracle verdict too, except for the long number.
        assert bool(ORACLES[fmt_of(text)](text))
    assert hash_string("D23145890734") == "9"


def test_td3_specimen() -> None:
    assert parse(TD3) == Mrz(
        format="TD3",
        document_code="P",
        issuing_state="UTO",
        surname="ERIKSSON",
        given_names="ANNA MARIA",
        document_number="L898902C3",
        nationality="UTO",
        birth_date="740812",
        sex="F",
        expiry_date="120415",
        optional_data="ZE184226B",
        optional_data_2="",
        problems=(),
    )


@pytest.mark.parametrize(("fmt", "text"), [("TD1", TD1), ("TD2", TD2)])
def test_td1_td2_specimens(fmt: str, text: str) -> None:
    assert parse(text) == Mrz(
        format=cast(Any, fmt),
        document_code="I",
        issuing_state="UTO",
        surname="ERIKSSON",
        given_names="ANNA MARIA",
        document_number="D23145890",
        nationality="UTO",
        birth_date="740812",
        sex="F",
        expiry_date="120415",
        optional_data="",
        optional_data_2="",
        problems=(),
    )
    assert is_valid(text)


def test_td1_long_document_number() -> None:
    mrz = parse(TD1_LONG)
    assert mrz.valid, mrz.problems
    assert mrz.document_number == "D23145890734"
    assert mrz.optional_data == ""
    # The number's check digit (9, after "734") is checked against the whole number...
    wrong = parse(mutate(TD1_LONG, 0, 18, "8"))
    assert [p.field for p in wrong.problems] == ["document_number", "composite"]
    assert wrong.problems[0].message == "document_number check digit is 8, expected 9"
    # ...and a '<' with no extension in the optional data is a problem, not a pass.
    empty = parse(mutate(TD1, 0, 14, "<"))
    assert "document_number" in {p.field for p in empty.problems}


def test_whitespace_and_crlf_are_accepted() -> None:
    assert parse("  " + TD3.replace("\n", " \r\n\t") + "\r\n\n") == parse(TD3)
    assert is_valid(TD1.replace("\n", "\r\n"))


def test_td3_personal_number_of_fillers_may_have_filler_or_zero_check_digit() -> None:
    upper = TD3.split("\n")[0]
    lower = "L898902C36UTO7408122F1204159<<<<<<<<<<<<<<"
    for personal_digit in "<0":
        line = lower + personal_digit
        line += hash_string(line[0:10] + line[13:20] + line[21:43])
        text = upper + "\n" + line
        assert oracle_valid(text)
        assert parse(text).valid
        assert parse(text).optional_data == ""
    for char in ALPHABET.replace("<", "").replace("0", ""):
        assert "optional_data" in {p.field for p in parse(mutate(text, 1, 42, char)).problems}


def test_problem_messages_name_the_field_and_the_digits() -> None:
    mrz = parse(mutate(TD3, 1, 9, "3"))
    assert mrz.problems[0].field == "document_number"
    assert mrz.problems[0].message == "document_number check digit is 3, expected 6"
    assert str(mrz.problems[0]) == mrz.problems[0].message
    assert not mrz.valid and not is_valid(mutate(TD3, 1, 9, "3"))


@pytest.mark.parametrize(
    ("date", "message"),
    [
        ("741312", "birth_date 741312 has month 13, not 01-12"),
        ("740001", "birth_date 740001 has month 00, not 01-12"),
        ("740230", "birth_date 740230 has day 30, not a day of month 2"),
        ("750229", "birth_date 750229 has day 29, not a day of month 2"),
        ("740400", "birth_date 740400 has day 00, not a day of month 4"),
        ("7408<<", "birth_date 7408<< is not a date: expected YYMMDD digits"),
    ],
)
def test_impossible_dates_are_problems_even_with_right_check_digits(
    date: str, message: str
) -> None:
    lower = f"L898902C36UTO{date}{hash_string(date)}F1204159ZE184226B<<<<<1"
    lower += hash_string(lower[0:10] + lower[13:20] + lower[21:43])
    mrz = parse(TD3.split("\n")[0] + "\n" + lower)
    assert [(p.field, p.message) for p in mrz.problems] == [("birth_date", message)]


def test_leap_days() -> None:
    for date in ("000229", "040229", "960229"):
        lower = f"L898902C36UTO{date}{hash_string(date)}F1204159ZE184226B<<<<<1"
        lower += hash_string(lower[0:10] + lower[13:20] + lower[21:43])
        assert is_valid(TD3.split("\n")[0] + "\n" + lower), date


def test_names() -> None:
    upper = "P<UTOVAN<DER<BERG<<JAN<<PIETER<<<<<<<<<<<<<<"
    mrz = parse(upper + "\n" + TD3.split("\n")[1])
    assert (mrz.surname, mrz.given_names) == ("VAN DER BERG", "JAN PIETER")
    upper = "P<UTOSINGLENAME<<<<<<<<<<<<<<<<<<<<<<<<<<<<<"
    mrz = parse(upper + "\n" + TD3.split("\n")[1])
    assert (mrz.surname, mrz.given_names) == ("SINGLENAME", "")


# --- every change to a check digit is reported against its field ---------------------------


@pytest.mark.parametrize("fmt", sorted(SPECIMENS))
def test_every_change_to_a_check_digit_names_the_field(fmt: str) -> None:
    text = SPECIMENS[fmt]
    for (line, column), field in CHECK_DIGITS[fmt].items():
        original = text.split("\n")[line][column]
        for char in ALPHABET.replace(original, ""):
            mrz = parse(mutate(text, line, column, char))
            assert field in {p.field for p in mrz.problems}, (fmt, line, column, char)
            assert not is_valid(mutate(text, line, column, char))


# --- the oracle -----------------------------------------------------------------------------


@st.composite
def mutations(draw: st.DrawFn, texts: st.SearchStrategy[str]) -> tuple[str, str]:
    """A valid MRZ and a copy with one character changed to another allowed character."""
    text = draw(texts)
    lines = text.split("\n")
    line = draw(st.integers(0, len(lines) - 1))
    column = draw(st.integers(0, len(lines[line]) - 1))
    char = draw(st.sampled_from(ALPHABET.replace(lines[line][column], "")))
    return text, mutate(text, line, column, char)


@st.composite
def valid_mrzs(draw: st.DrawFn) -> str:
    """A random MRZ of any format, check digits computed with the oracle's own function."""
    fmt = draw(st.sampled_from(["TD1", "TD2", "TD3"]))
    alnum = string.ascii_uppercase + string.digits
    number = draw(st.text(alphabet=alnum, min_size=1, max_size=9)).ljust(9, "<")
    dates = st.dates(datetime.date(1930, 1, 1), datetime.date(2099, 12, 31))
    birth, expiry = (draw(dates).strftime("%y%m%d") for _ in range(2))
    sex = draw(st.sampled_from("MF<"))
    name = draw(st.sampled_from(["ERIKSSON<<ANNA<MARIA", "DOE<<JOHN", "N<GUYEN<<VAN<AN"]))

    def optional(size: int) -> str:
        return draw(st.text(alphabet=alnum, max_size=size)).ljust(size, "<")

    def cd(value: str) -> str:
        return str(hash_string(value))

    if fmt == "TD1":
        upper = "I<UTO" + number + cd(number) + optional(15)
        middle = birth + cd(birth) + sex + expiry + cd(expiry) + "UTO" + optional(11)
        middle += cd(upper[5:30] + middle[0:7] + middle[8:15] + middle[18:29])
        return "\n".join([upper, middle, name.ljust(30, "<")])
    if fmt == "TD2":
        lower = number + cd(number) + "UTO" + birth + cd(birth) + sex + expiry + cd(expiry)
        lower += optional(7)
        lower += cd(lower[0:10] + lower[13:20] + lower[21:35])
        return ("I<UTO" + name).ljust(36, "<") + "\n" + lower
    personal = optional(14)
    personal_digit = "<" if personal == "<" * 14 and draw(st.booleans()) else cd(personal)
    lower = number + cd(number) + "UTO" + birth + cd(birth) + sex + expiry + cd(expiry)
    lower += personal + personal_digit
    lower += cd(lower[0:10] + lower[13:20] + lower[21:43])
    return ("P<UTO" + name).ljust(44, "<") + "\n" + lower


ORACLE_SETTINGS = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@given(mutations(st.sampled_from([*SPECIMENS.values(), TD1_LONG])))
@ORACLE_SETTINGS
def test_specimen_mutations_agree_with_the_oracle(pair: tuple[str, str]) -> None:
    _, mutated = pair
    assert is_valid(mutated) == oracle_valid(mutated)


@given(mutations(valid_mrzs()))
@ORACLE_SETTINGS
def test_random_mrzs_and_their_mutations_agree_with_the_oracle(pair: tuple[str, str]) -> None:
    text, mutated = pair
    assert oracle_valid(text)
    assert parse(text).problems == ()
    assert is_valid(mutated) == oracle_valid(mutated)


# --- malformed input ------------------------------------------------------------------------

TD3_UPPER, TD3_LOWER = TD3.split("\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        (" \n\r\n\t ", "empty"),
        (TD3_UPPER, "has 1 line"),
        (TD1 + "\n" + TD1, "has 6 line"),
        (TD3_UPPER + "\n\n" + TD3_LOWER, "3 lines of 30 characters; the line lengths are"),
        (TD3_UPPER + "\n" + TD3_LOWER[:-1], r"line lengths are \[44, 43\]"),
        (TD3_UPPER[:36] + "\n" + TD3_LOWER, r"line lengths are \[36, 44\]"),
        (TD2 + "<", r"line lengths are \[36, 37\]"),
        (TD1[:-1], r"line lengths are \[30, 30, 29\]"),
        (TD3.lower(), "line 1, position 1: 'p' is not allowed \\(lower case"),
        (TD3.replace("ANNA<MARIA", "ANNA MARIA"), "line 1, position 20: ' ' is not allowed"),
        (TD3.replace("ERIKSSON", "ERIKSSÖN"), "position 12: 'Ö' is not allowed"),
        (TD3.replace("<<10", "<-10"), "line 2, position 42: '-' is not allowed"),
        (TD3.replace("\n", "\r"), "'\\\\r' is not allowed"),
        (TD3.replace("7408122", "7408\x00122"), "'\\\\x00' is not allowed"),
    ],
)
def test_malformed_input_raises_mrz_error(text: str, message: str) -> None:
    with pytest.raises(MrzError, match=message):
        parse(text)
    assert not is_valid(text)


def test_non_text_raises_mrz_error() -> None:
    with pytest.raises(MrzError, match="must be text"):
        parse(cast(str, None))
    assert issubclass(MrzError, ValueError)


@given(st.text(max_size=120) | st.text(alphabet=ALPHABET + "\n\r a-", max_size=120))
@settings(max_examples=300, deadline=None)
def test_arbitrary_text_raises_only_mrz_error(text: str) -> None:
    try:
        parse(text)
    except MrzError as error:
        assert str(error)


@given(
    st.sampled_from([(3, 30), (2, 36), (2, 44)]).flatmap(
        lambda shape: st.lists(
            st.text(alphabet=ALPHABET, min_size=shape[1], max_size=shape[1]),
            min_size=shape[0],
            max_size=shape[0],
        )
    )
)
@settings(max_examples=300, deadline=None)
def test_any_well_formed_mrz_parses_without_raising(lines: list[str]) -> None:
    mrz = parse("\n".join(lines))
    assert mrz.format == {3: "TD1", 36: "TD2", 44: "TD3"}[3 if len(lines) == 3 else len(lines[0])]
    assert all(p.field and p.message for p in mrz.problems)


def test_build_td3_reproduces_the_icao_specimen() -> None:
    from habeas.people.mrz import build_td3

    built = build_td3(surname="Eriksson", given_names="Anna Maria", document_number="L898902C3",
                      issuing_state="UTO", nationality="UTO", birth_date="740812", sex="F",
                      expiry_date="120415", personal_number="ZE184226B")
    assert built == ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
                     "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
    accented = build_td3(surname="Rivera López", given_names="José", document_number="A1",
                         issuing_state="SLV", nationality="SLV", birth_date="940302", sex="M",
                         expiry_date="300101")
    assert accented.startswith("P<SLVRIVERA<LOPEZ<<JOSE<") and is_valid(accented)
