"""ICAO Doc 9303 machine-readable zones (MRZ): parse the three formats and check them.

The screening rule IDENTITY needs "at least one identity document; an MRZ, when present,
passes ICAO 9303 check digits". In a nomination a document's `mrz` is its MRZ lines joined
by "\\n". This module is pure (stdlib only) and knows the three formats of Doc 9303:

- TD1 (Part 5, identity cards): 3 lines of 30 characters;
- TD2 (Part 6, official travel documents): 2 lines of 36 characters;
- TD3 (Part 4, passports): 2 lines of 44 characters.

`parse` raises `MrzError` only for a structurally malformed MRZ (line count, line length,
characters outside A-Z, 0-9 and '<'). Everything that can be wrong inside a well-formed MRZ
(check digits, impossible dates) is reported as `Mrz.problems`, so a caller can show every
fault at once; `is_valid` is true when there is none.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "FILLER",
    "Mrz",
    "MrzError",
    "MrzFormat",
    "MrzProblem",
    "check_digit",
    "is_valid",
    "parse",
]

MrzFormat = Literal["TD1", "TD2", "TD3"]

FILLER = "<"

# Part 3 §4.9: digits keep their value, A-Z are 10-35, the filler '<' is 0.
_VALUES: dict[str, int] = {
    **{str(digit): digit for digit in range(10)},
    **{chr(ord("A") + offset): 10 + offset for offset in range(26)},
    FILLER: 0,
}
_WEIGHTS = (7, 3, 1)

_SHAPES = "3 lines of 30 characters (TD1), 2 lines of 36 (TD2) or 2 lines of 44 (TD3)"


class MrzError(ValueError):
    """MrzError: the text is not a structurally well-formed ICAO 9303 MRZ (Part 3 §4)."""


@dataclass(frozen=True)
class MrzProblem:
    """MrzProblem names one fault in a well-formed MRZ: the field and a readable message."""

    field: str
    message: str

    def __str__(self) -> str:
        """__str__ returns the message."""
        return self.message


@dataclass(frozen=True)
class Mrz:
    """Mrz is a parsed ICAO 9303 MRZ (Parts 4, 5 and 6) with the problems found in it.

    Codes, the document number and optional data have their trailing fillers removed;
    dates are YYMMDD as printed; `sex` is as printed ('F', 'M' or '<' for unspecified).
    For TD1, `optional_data` is the upper line's field and `optional_data_2` the middle
    line's; for TD3, `optional_data` is the personal number; `optional_data_2` is "" for
    TD2 and TD3.
    """

    format: MrzFormat
    document_code: str
    issuing_state: str
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: str
    sex: str
    expiry_date: str
    optional_data: str
    optional_data_2: str
    problems: tuple[MrzProblem, ...] = ()

    @property
    def valid(self) -> bool:
        """valid is true when no problem was found (every check digit and date is right)."""
        return not self.problems


def check_digit(field: str) -> int:
    """check_digit computes the ICAO 9303 Part 3 §4.9 check digit of `field`.

    Each character's value (0-9 as is, A-Z as 10-35, '<' as 0) is multiplied by the
    repeating weights 7, 3, 1; the check digit is the sum modulo 10. Any other character
    (including lower case) raises ValueError.
    """
    total = 0
    for index, char in enumerate(field):
        value = _VALUES.get(char)
        if value is None:
            raise ValueError(
                f"{char!r} at position {index + 1} of {field!r} is not an MRZ character "
                "(only A-Z, 0-9 and '<')"
            )
        total += value * _WEIGHTS[index % 3]
    return total % 10


def is_valid(text: str) -> bool:
    """is_valid tells whether `text` is a well-formed ICAO 9303 MRZ (Parts 4-6) with no problem.

    A malformed MRZ is not valid; this never raises for a string argument.
    """
    try:
        return parse(text).valid
    except MrzError:
        return False


def parse(text: str) -> Mrz:
    """parse reads an ICAO 9303 MRZ (TD1: Part 5 §4.2.2, TD2: Part 6 §4.2.2, TD3: Part 4 §4.2.2).

    Lines are separated by "\\n" or "\\r\\n"; whitespace around the whole text and around
    each line is ignored. The format follows from the line count and length. Raises
    MrzError if the MRZ is malformed; otherwise returns an `Mrz` whose `problems` list every
    wrong check digit (Part 3 §4.9) and every impossible date.
    """
    fmt, lines = _split(text)
    if fmt == "TD1":
        return _parse_td1(*lines)
    return _parse_td2_td3(fmt, lines[0], lines[1])


def _split(text: str) -> tuple[MrzFormat, list[str]]:
    """_split checks the MRZ structure (Part 3 §4: lines, lengths, character set)."""
    if not isinstance(text, str):
        raise MrzError(f"an MRZ must be text, not {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise MrzError(f"the MRZ is empty; expected {_SHAPES}")
    lines = [line.strip() for line in stripped.split("\n")]
    for number, line in enumerate(lines, start=1):
        for position, char in enumerate(line, start=1):
            if char not in _VALUES:
                hint = " (lower case is not allowed)" if char.islower() else ""
                raise MrzError(
                    f"MRZ line {number}, position {position}: {char!r} is not allowed{hint}; "
                    "an MRZ holds only A-Z, 0-9 and the filler '<'"
                )
    if len(lines) not in (2, 3):
        raise MrzError(f"the MRZ has {len(lines)} line(s); expected {_SHAPES}")
    lengths = [len(line) for line in lines]
    if len(lines) == 3:
        if lengths != [30, 30, 30]:
            raise MrzError(
                f"a 3-line MRZ (TD1) needs 3 lines of 30 characters; the line lengths are {lengths}"
            )
        return "TD1", lines
    if lengths == [36, 36]:
        return "TD2", lines
    if lengths == [44, 44]:
        return "TD3", lines
    raise MrzError(
        "a 2-line MRZ needs 2 lines of 36 characters (TD2) or 2 lines of 44 (TD3); "
        f"the line lengths are {lengths}"
    )


def _parse_td1(upper: str, middle: str, lower: str) -> Mrz:
    """_parse_td1 reads a TD1 MRZ (Doc 9303 Part 5 §4.2.2), long document numbers included.

    Part 5 §4.2.2, note on the document number: a number longer than 9 characters has its
    9 principal characters in positions 6-14, a filler instead of the check digit in position
    15, and its remaining characters at the start of the optional data (position 16 on),
    followed by the check digit of the whole number and a filler.
    """
    problems: list[MrzProblem] = []
    number_field, number_digit, optional = upper[5:14], upper[14], upper[15:30]
    if number_digit == FILLER:
        extension = optional.split(FILLER, 1)[0]
        if len(extension) < 2:
            problems.append(
                MrzProblem(
                    "document_number",
                    "document_number check digit is <, which marks a document number longer "
                    "than 9 characters, but the optional data does not begin with the rest of "
                    "the number and its check digit",
                )
            )
            document_number = number_field.rstrip(FILLER)
            optional_data = optional.rstrip(FILLER)
        else:
            document_number = number_field + extension[:-1]
            _check(problems, "document_number", document_number, extension[-1])
            # Skip the extension, its check digit and the filler that follows them.
            optional_data = optional[len(extension) + 1 :].rstrip(FILLER)
    else:
        document_number = number_field.rstrip(FILLER)
        _check(problems, "document_number", number_field, number_digit)
        optional_data = optional.rstrip(FILLER)

    birth_date, expiry_date = middle[0:6], middle[8:14]
    _check(problems, "birth_date", birth_date, middle[6])
    _date(problems, "birth_date", birth_date)
    _check(problems, "expiry_date", expiry_date, middle[14])
    _date(problems, "expiry_date", expiry_date)
    # Composite: upper line positions 6-30, middle line 1-7, 9-15 and 19-29.
    composite = upper[5:30] + middle[0:7] + middle[8:15] + middle[18:29]
    _check(problems, "composite", composite, middle[29])

    surname, given_names = _names(lower)
    return Mrz(
        format="TD1",
        document_code=upper[0:2].rstrip(FILLER),
        issuing_state=upper[2:5].rstrip(FILLER),
        surname=surname,
        given_names=given_names,
        document_number=document_number,
        nationality=middle[15:18].rstrip(FILLER),
        birth_date=birth_date,
        sex=middle[7],
        expiry_date=expiry_date,
        optional_data=optional_data,
        optional_data_2=middle[18:29].rstrip(FILLER),
        problems=tuple(problems),
    )


def _parse_td2_td3(fmt: MrzFormat, upper: str, lower: str) -> Mrz:
    """_parse_td2_td3 reads a TD2 (Part 6 §4.2.2) or TD3 (Part 4 §4.2.2) MRZ.

    Both share the lower line up to position 28. TD2 then has 7 characters of optional
    data and the composite check digit; TD3 has a 14-character personal number, its own
    check digit (which may be '<' when the personal number is all fillers) and the composite.
    """
    problems: list[MrzProblem] = []
    number_field = lower[0:9]
    birth_date, expiry_date = lower[13:19], lower[21:27]
    _check(problems, "document_number", number_field, lower[9])
    _check(problems, "birth_date", birth_date, lower[19])
    _date(problems, "birth_date", birth_date)
    _check(problems, "expiry_date", expiry_date, lower[27])
    _date(problems, "expiry_date", expiry_date)
    if fmt == "TD3":
        personal, personal_digit = lower[28:42], lower[42]
        if not (personal_digit == FILLER and personal == FILLER * len(personal)):
            _check(problems, "optional_data", personal, personal_digit, "personal number")
        # Composite: positions 1-10, 14-20 and 22-43.
        _check(problems, "composite", lower[0:10] + lower[13:20] + lower[21:43], lower[43])
        optional_data = personal.rstrip(FILLER)
    else:
        # Composite: positions 1-10, 14-20 and 22-35.
        _check(problems, "composite", lower[0:10] + lower[13:20] + lower[21:35], lower[35])
        optional_data = lower[28:35].rstrip(FILLER)

    surname, given_names = _names(upper[5:])
    return Mrz(
        format=fmt,
        document_code=upper[0:2].rstrip(FILLER),
        issuing_state=upper[2:5].rstrip(FILLER),
        surname=surname,
        given_names=given_names,
        document_number=number_field.rstrip(FILLER),
        nationality=lower[10:13].rstrip(FILLER),
        birth_date=birth_date,
        sex=lower[20],
        expiry_date=expiry_date,
        optional_data=optional_data,
        optional_data_2="",
        problems=tuple(problems),
    )


def _check(
    problems: list[MrzProblem], field: str, data: str, printed: str, label: str = ""
) -> None:
    """_check records a problem when `printed` is not the Part 3 §4.9 check digit of `data`."""
    expected = check_digit(data)
    if printed != str(expected):
        what = f"{field} ({label})" if label else field
        problems.append(MrzProblem(field, f"{what} check digit is {printed}, expected {expected}"))


def _date(problems: list[MrzProblem], field: str, value: str) -> None:
    """_date records a problem unless `value` is a calendar date YYMMDD (Part 3 §3.8).

    The century is not printed, so 29 February is accepted when YY is divisible by 4 (a leap
    year in 19YY or 20YY; 00 is 2000).
    """
    if not value.isdigit():
        problems.append(MrzProblem(field, f"{field} {value} is not a date: expected YYMMDD digits"))
        return
    year, month, day = 2000 + int(value[0:2]), int(value[2:4]), int(value[4:6])
    if not 1 <= month <= 12:
        problems.append(MrzProblem(field, f"{field} {value} has month {value[2:4]}, not 01-12"))
    elif not 1 <= day <= calendar.monthrange(year, month)[1]:
        problems.append(
            MrzProblem(field, f"{field} {value} has day {value[4:6]}, not a day of month {month}")
        )


def _names(field: str) -> tuple[str, str]:
    """_names splits the name field into primary and secondary identifiers (Part 3 §3.4).

    The identifiers are separated by '<<'; within each, fillers become spaces.
    """
    primary, _, secondary = field.rstrip(FILLER).partition(FILLER * 2)
    return _words(primary), _words(secondary)


def _words(part: str) -> str:
    """_words turns fillers into single spaces."""
    return " ".join(part.replace(FILLER, " ").split())


def _mrz_text(value: str) -> str:
    """_mrz_text transliterates a name to MRZ characters (ICAO 9303 Part 3 §6: A–Z and '<')."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().upper()
    return "".join(c if "A" <= c <= "Z" or c.isdigit() else FILLER for c in plain)


def build_td3(*, surname: str, given_names: str, document_number: str, issuing_state: str,
              nationality: str, birth_date: str, sex: str, expiry_date: str,
              personal_number: str = "") -> str:
    """build_td3 writes a passport MRZ with its check digits (ICAO 9303 Part 4 §4.2.2)."""
    names = f"{_mrz_text(surname)}<<{_mrz_text(given_names)}"
    upper = f"P<{issuing_state}{names}"[:44].ljust(44, FILLER)
    number = document_number.upper().ljust(9, FILLER)[:9]
    personal = personal_number.upper().ljust(14, FILLER)[:14]
    personal_check = "<" if personal == FILLER * 14 else str(check_digit(personal))
    parts = [number + str(check_digit(number)), nationality,
             birth_date + str(check_digit(birth_date)), sex if sex in "MF" else FILLER,
             expiry_date + str(check_digit(expiry_date)), personal + personal_check]
    composite = parts[0] + parts[2] + parts[4] + parts[5]
    lower = "".join(parts) + str(check_digit(composite))
    return upper + "\n" + lower
