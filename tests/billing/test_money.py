"""Amounts as people write them (habeas.billing.money): strict in each language, so a
misplaced separator is refused rather than read as another amount."""

from __future__ import annotations

import pytest

from habeas.billing.money import major, to_minor, whole_number
from habeas.errors import ValidationFailed


@pytest.mark.parametrize(("minor", "currency", "locale", "written"), [
    (123456, "USD", "en", "1234.56"),
    (123456, "USD", "es", "1234,56"),
    (5, "USD", "en", "0.05"),
    (1500, "JPY", "en", "1500"),  # no minor units
])
def test_major_writes_the_plain_decimal_a_form_takes(minor: int, currency: str, locale: str,
                                                     written: str) -> None:
    assert major(minor, currency, locale) == written


@pytest.mark.parametrize(("text", "currency", "locale", "minor"), [
    ("1234.56", "USD", "en", 123456),
    ("1,234.56", "USD", "en", 123456),
    (" 1.234,56 ", "USD", "es", 123456),
    ("1\u00a0234,5", "USD", "es", 123450),
    ("12", "USD", "en", 1200),
    ("1500", "JPY", "en", 1500),
])
def test_to_minor_reads_an_amount_as_the_language_writes_it(text: str, currency: str,
                                                            locale: str, minor: int) -> None:
    assert to_minor(text, currency, locale) == minor


@pytest.mark.parametrize(("text", "currency", "locale"), [
    ("1000,50", "USD", "en"),  # a comma where English puts a point: not 100050.00
    ("1.005", "USD", "en"),  # more decimals than the currency has
    ("10.5", "JPY", "en"),
    ("0", "USD", "en"),
    ("-3", "USD", "en"),
    ("", "USD", "en"),
    ("ten", "USD", "en"),
])
def test_to_minor_refuses_what_is_not_an_amount_naming_the_field(text: str, currency: str,
                                                                 locale: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        to_minor(text, currency, locale)
    assert refused.value.details == {
        "field": "amount", "problem": "write an amount more than 0, like 1234.56, with no "
                                      "more decimals than the currency has"}


def test_major_and_to_minor_round_trip_in_each_language() -> None:
    for locale in ("en", "es"):
        assert to_minor(major(98765432, "USD", locale), "USD", locale) == 98765432


@pytest.mark.parametrize(("text", "locale", "value"), [
    ("110,000", "en", 110000),
    ("110.000", "es", 110000),
    ("110 000", "es", 110000),
    ("", "en", 7),  # empty: the default
    ("0", "en", 0),
])
def test_whole_number_reads_the_grouping_of_the_language(text: str, locale: str,
                                                         value: int) -> None:
    assert whole_number("count", text, 7, 0, locale) == value


@pytest.mark.parametrize(("text", "least", "problem"), [
    ("-1", 0, "must be a whole number, 0 or more"),
    ("1.5", 0, "must be a whole number, 0 or more"),
    ("0", 1, "must be a whole number, 1 or more"),
])
def test_whole_number_refuses_naming_the_field(text: str, least: int, problem: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        whole_number("system_population", text, 1, least, "en")
    assert refused.value.details == {"field": "system_population", "problem": problem}
