"""Standard codes used across domains: ISO 3166-1 alpha-3, ISO 4217, ISO 639-1."""

from __future__ import annotations

from typing import Annotated

import pycountry
from pydantic import AfterValidator


def check_country(code: str) -> str:
    """check_country accepts an ISO 3166-1 alpha-3 code (upper case) and returns it."""
    if len(code) != 3 or not code.isupper() or pycountry.countries.get(alpha_3=code) is None:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-3 country code (e.g. 'USA')")
    return code


def check_currency(code: str) -> str:
    """check_currency accepts an ISO 4217 alphabetic currency code."""
    if len(code) != 3 or not code.isupper() or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code (e.g. 'USD')")
    return code


def check_language(code: str) -> str:
    """check_language accepts an ISO 639-1 two-letter language code."""
    if len(code) != 2 or pycountry.languages.get(alpha_2=code) is None:
        raise ValueError(f"{code!r} is not an ISO 639-1 language code (e.g. 'es')")
    return code


def country_name(code: str) -> str:
    """country_name is the ISO short name of an alpha-3 code."""
    country = pycountry.countries.get(alpha_3=code)
    return str(country.name) if country is not None else code


CountryCode = Annotated[str, AfterValidator(check_country)]
CurrencyCode = Annotated[str, AfterValidator(check_currency)]
LanguageCode = Annotated[str, AfterValidator(check_language)]
