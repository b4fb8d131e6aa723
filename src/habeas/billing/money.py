"""Amounts as people write them: a form's money and whole numbers in the reader's language.

Pure (no database, no web framework): the billing and agreement pages read what a person
typed through these, and write an amount back into a form the same way. Strict on purpose:
a separator in the wrong place is refused rather than read as a hundred times the amount.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import (
    NumberFormatError,
    format_decimal,
    get_currency_precision,
    get_group_symbol,
    parse_decimal,
)

from habeas.errors import field_error
from habeas.i18n import DEFAULT, N_


def major(minor: int, currency: str, locale: str = DEFAULT) -> str:
    """major writes MINOR units as the plain decimal a form takes in LOCALE, without
    grouping: 123456 USD → "1234.56" (en), "1234,56" (es)."""
    digits = get_currency_precision(currency)
    pattern = "0." + "0" * digits if digits else "0"
    return format_decimal(Decimal(minor).scaleb(-digits), format=pattern, locale=locale,
                          decimal_quantization=False)


def to_minor(text: str, currency: str, locale: str = DEFAULT) -> int:
    """to_minor reads a form's amount as LOCALE writes it ("1,234.56" en, "1.234,56" es) as
    minor units of CURRENCY. Strictly: a separator in the wrong place ("1000,50" in English)
    is refused rather than read as a hundred times the amount."""
    digits = get_currency_precision(currency)
    cleaned = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    try:
        value = parse_decimal(cleaned, locale=locale, strict=True)
    except NumberFormatError:
        value = Decimal("NaN")
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or value <= 0 or exponent < -digits:
        raise field_error("amount", N_("write an amount more than 0, like 1234.56, with no "
                                       "more decimals than the currency has"))
    return int(value.scaleb(digits))


# What a whole-number field must be, by its least value.
WHOLE_PROBLEMS = {0: N_("must be a whole number, 0 or more"),
                  1: N_("must be a whole number, 1 or more")}


def whole_number(name: str, text: str, default: int, least: int, locale: str) -> int:
    """whole_number reads field NAME's whole number as LOCALE groups it ("110,000" en,
    "110.000" es); DEFAULT when empty; at least LEAST (0 or 1), else the field's error."""
    cleaned = text.strip()
    for group in (",", "_", " ", "\u00a0", "\u202f", get_group_symbol(locale=locale)):
        cleaned = cleaned.replace(group, "")
    if not cleaned:
        return default
    if not cleaned.isdigit() or int(cleaned) < least:
        raise field_error(name, WHOLE_PROBLEMS[least])
    return int(cleaned)
