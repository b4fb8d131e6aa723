"""The `.csv` form of the nomination bulk file (DESIGN.md §4): the JSON fields, flattened.

Every column is a dotted JSON path (``person.date_of_birth``, ``conviction.sentence.years``).
One row carries at most one conviction, one identity document and one next of kin; rows that
repeat an ``external_ref`` add theirs to the same nomination, and must repeat its other fields
(person, affiliation, consent, counsel, pending charges, requested transfer date) unchanged.

Multi-valued cells (``person.aliases``, ``person.nationalities``, ``pending_charges.offense``)
are separated by ``;``. A document's MRZ lines are separated by ``|`` (a real newline inside a
quoted cell works too). An empty cell leaves its field out, so the schema's defaults apply.

This module only reshapes text into nomination dicts: it does not validate them. The importer
validates each dict with :class:`habeas.nominations.schemas.Nomination` and reports the errors
by JSON path; :meth:`CsvNomination.line_of` turns such a path back into a line of the file.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "COLUMNS",
    "REQUIRED_COLUMNS",
    "CsvError",
    "CsvFormatError",
    "CsvNomination",
    "read_nominations",
    "write_nominations",
]

# Nomination-level columns: the same on every row of one external_ref.
PERSON_COLUMNS = (
    "person.family_name", "person.given_names", "person.aliases", "person.date_of_birth",
    "person.sex", "person.country_of_birth", "person.nationalities",
    "person.status_in_sending_state", "person.language",
)
DOCUMENT_COLUMNS = ("document.type", "document.number", "document.country", "document.mrz")
CONVICTION_COLUMNS = (
    "conviction.court", "conviction.case_number", "conviction.offense_code",
    "conviction.offense", "conviction.judgment_date", "conviction.appeal_status",
    "conviction.sentence.kind", "conviction.sentence.years", "conviction.sentence.months",
    "conviction.sentence.days", "conviction.sentence_start", "conviction.credited_days",
)
NEXT_OF_KIN_COLUMNS = (
    "next_of_kin.name", "next_of_kin.relationship", "next_of_kin.phone", "next_of_kin.email",
)
SHARED_COLUMNS = (
    *PERSON_COLUMNS, "pending_charges.offense", "affiliation.group", "affiliation.basis",
    "consent.given", "consent.date", "counsel.name", "counsel.email", "counsel.phone",
    "requested_transfer_date",
)

COLUMNS: tuple[str, ...] = (
    "external_ref", *PERSON_COLUMNS, *DOCUMENT_COLUMNS, *CONVICTION_COLUMNS,
    "pending_charges.offense", "affiliation.group", "affiliation.basis",
    "consent.given", "consent.date", *NEXT_OF_KIN_COLUMNS,
    "counsel.name", "counsel.email", "counsel.phone", "requested_transfer_date",
)
"""COLUMNS is every column the format knows, in the order write_nominations writes them."""

REQUIRED_COLUMNS: tuple[str, ...] = (
    "external_ref", *(c for c in PERSON_COLUMNS if c != "person.aliases"),
)
"""REQUIRED_COLUMNS must be in every header; the others may be left out."""

LIST_COLUMNS = frozenset({"person.aliases", "person.nationalities", "pending_charges.offense"})
INT_COLUMNS = frozenset({
    "conviction.sentence.years", "conviction.sentence.months", "conviction.sentence.days",
    "conviction.credited_days",
})
BOOL_COLUMNS = frozenset({"consent.given"})
MRZ_COLUMN = "document.mrz"
LIST_SEPARATOR = ";"
MRZ_SEPARATOR = "|"

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


class CsvFormatError(ValueError):
    """CsvFormatError: the file as a whole cannot be read (its header is wrong or missing)."""


@dataclass(frozen=True)
class CsvError:
    """CsvError is one problem: ``field`` is a JSON path or column name, ``message`` says what."""

    field: str
    message: str


@dataclass(frozen=True)
class CsvNomination:
    """CsvNomination is one external_ref's rows: its dict, or the errors that stopped it.

    ``lines`` are the 1-based physical lines where its rows start (the header is line 1).
    ``data`` is None exactly when ``errors`` is not empty. ``item_lines`` maps the JSON path of
    each list item a row contributed (``convictions.1``, ``person.documents.0``,
    ``next_of_kin.0``) to that row's line.
    """

    lines: tuple[int, ...]
    data: dict[str, Any] | None
    errors: tuple[CsvError, ...] = ()
    item_lines: Mapping[str, int] = field(default_factory=dict)

    def line_of(self, path: str | Iterable[str | int]) -> int:
        """line_of is the line a JSON path (``"convictions.1.sentence.years"`` or a Pydantic loc
        tuple) comes from: the row of that list item, else the nomination's first row."""
        parts = path.split(".") if isinstance(path, str) else [str(p) for p in path]
        for end in range(len(parts), 0, -1):
            line = self.item_lines.get(".".join(parts[:end]))
            if line is not None:
                return line
        return self.lines[0]


@dataclass
class _Row:
    line: int
    ref: str
    values: dict[str, Any]  # column -> parsed value; None for an empty cell
    error: CsvError | None = None


def read_nominations(text_stream: Iterable[str]) -> list[CsvNomination]:
    """read_nominations reads a CSV nomination file into one CsvNomination per external_ref.

    ``text_stream`` is a text file (opened with ``newline=""``, ideally ``utf-8-sig``), a
    ``io.StringIO`` or any iterable of lines; a byte order mark before the header is ignored.
    The results keep the order in which each external_ref first appears. A wrong header
    raises CsvFormatError; a bad row only spoils its own nomination.
    """
    reader = csv.reader(text_stream)
    header = _read_header(reader)
    rows: list[_Row] = []
    last_line = reader.line_num
    for cells in reader:
        line = last_line + 1
        last_line = reader.line_num
        if all(not cell.strip() for cell in cells):
            continue  # blank line, or a spreadsheet's empty row
        rows.append(_parse_row(header, cells, line))
    return _group(rows)


def _read_header(reader: Iterator[list[str]]) -> list[str]:
    try:
        raw = next(reader)
    except StopIteration:
        raise CsvFormatError("the file is empty: a header row naming the columns is needed") \
            from None
    header = [name.strip() for name in raw]
    if header:
        header[0] = header[0].lstrip("\ufeff").strip()
    problems: list[str] = []
    duplicates = [name for name, count in Counter(header).items() if count > 1]
    if duplicates:
        problems.append("duplicate column(s): " + ", ".join(duplicates))
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        problems.append("unknown column(s): " + ", ".join(repr(n) for n in dict.fromkeys(unknown)))
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        problems.append("missing required column(s): " + ", ".join(missing))
    if problems:
        raise CsvFormatError("bad CSV header (line 1): " + "; ".join(problems))
    return header


def _parse_row(header: list[str], cells: list[str], line: int) -> _Row:
    ref_at = header.index("external_ref")
    ref = cells[ref_at].strip() if ref_at < len(cells) else ""
    if len(cells) != len(header):
        return _Row(line, ref, {}, CsvError(
            "", f"line {line} has {len(cells)} cells but the header has {len(header)} columns"))
    if not ref:
        return _Row(line, "", {}, CsvError("external_ref", f"line {line} has no external_ref"))
    values = {name: _parse_cell(name, cell) for name, cell in zip(header, cells, strict=True)}
    return _Row(line, ref, values)


def _parse_cell(column: str, cell: str) -> Any:
    text = cell.strip()
    if column in LIST_COLUMNS:
        return [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]
    if not text:
        return None
    if column in INT_COLUMNS:
        return int(text) if text.isascii() and text.isdigit() else text
    if column in BOOL_COLUMNS:
        lowered = text.lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else text
    if column == MRZ_COLUMN:
        mrz_lines = text.replace(MRZ_SEPARATOR, "\n").splitlines()
        return "\n".join(part.strip() for part in mrz_lines if part.strip())
    return text


def _group(rows: list[_Row]) -> list[CsvNomination]:
    by_ref: dict[str, list[_Row]] = {}
    order: list[list[_Row]] = []
    for row in rows:
        if not row.ref:
            order.append([row])  # no external_ref to join it to anything
        elif row.ref in by_ref:
            by_ref[row.ref].append(row)
        else:
            by_ref[row.ref] = [row]
            order.append(by_ref[row.ref])
    return [_merge(group) for group in order]


def _merge(rows: list[_Row]) -> CsvNomination:
    lines = tuple(row.line for row in rows)
    errors = [row.error for row in rows if row.error is not None]
    if errors:
        # One broken row spoils its whole external_ref: importing the others would record a
        # nomination with a conviction missing.
        return CsvNomination(lines, None, tuple(errors))
    first = rows[0]
    for column in SHARED_COLUMNS:
        if column not in first.values:
            continue
        by_value: dict[str, list[int]] = {}
        for row in rows:
            by_value.setdefault(repr(row.values[column]), []).append(row.line)
        if len(by_value) > 1:
            groups = " vs ".join(_lines_text(group) for group in by_value.values())
            errors.append(CsvError(column, (
                f"the rows of {first.ref} differ in column {column} ({groups}); "
                "rows of one external_ref must repeat its person and other shared fields")))
    if errors:
        return CsvNomination(lines, None, tuple(errors))

    data = _shared_fields(first)
    person: dict[str, Any] = data["person"]
    documents: list[dict[str, Any]] = []
    convictions: list[dict[str, Any]] = []
    kin: list[dict[str, Any]] = []
    item_lines: dict[str, int] = {}
    for row in rows:
        conviction = _group_fields(row.values, "conviction.")
        if conviction:
            sentence = {k.removeprefix("sentence."): conviction.pop(k)
                        for k in list(conviction) if k.startswith("sentence.")}
            if sentence:
                conviction["sentence"] = sentence
            item_lines[f"convictions.{len(convictions)}"] = row.line
            convictions.append(conviction)
        for items, prefix, path in ((documents, "document.", "person.documents"),
                                    (kin, "next_of_kin.", "next_of_kin")):
            item = _group_fields(row.values, prefix)
            if item and item not in items:
                item_lines[f"{path}.{len(items)}"] = row.line
                items.append(item)
    if documents:
        person["documents"] = documents
    data["convictions"] = convictions
    if kin:
        data["next_of_kin"] = kin
    return CsvNomination(lines, data, (), item_lines)


def _shared_fields(row: _Row) -> dict[str, Any]:
    values = row.values
    data: dict[str, Any] = {"external_ref": row.ref, "person": _group_fields(values, "person.")}
    if "pending_charges.offense" in values:
        data["pending_charges"] = [{"offense": o} for o in values["pending_charges.offense"]]
    for group in ("affiliation", "consent", "counsel"):
        fields = _group_fields(values, group + ".")
        if fields:
            data[group] = fields
    if values.get("requested_transfer_date") is not None:
        data["requested_transfer_date"] = values["requested_transfer_date"]
    return data


def _group_fields(values: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {column.removeprefix(prefix): value for column, value in values.items()
            if column.startswith(prefix) and value is not None}


def _lines_text(lines: list[int]) -> str:
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(map(str, lines))


def write_nominations(nominations: Iterable[Mapping[str, Any]]) -> str:
    """write_nominations is the CSV text (header included) for nomination dicts in the §4 shape.

    Dicts from ``Nomination.model_dump(mode="json")`` or the JSON file both do. A nomination
    takes as many rows as its longest list of convictions, documents and next of kin. Raises
    ValueError for what the columns cannot carry: an unknown key, a counsel bar number, a
    pending charge's court or case number, a ``;`` inside a list item, a ``|`` in an MRZ.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for nomination in nominations:
        for row in _rows_of(nomination):
            writer.writerow([row.get(column, "") for column in COLUMNS])
    return out.getvalue()


def _rows_of(nomination: Mapping[str, Any]) -> list[dict[str, str]]:
    ref = str(nomination.get("external_ref") or "")
    where = f"nomination {ref or '(no external_ref)'}"
    _check_keys(nomination, {"external_ref", "person", "convictions", "pending_charges",
                             "affiliation", "consent", "next_of_kin", "counsel",
                             "requested_transfer_date"}, where)
    person = dict(nomination.get("person") or {})
    documents = list(person.pop("documents", None) or [])
    convictions = list(nomination.get("convictions") or [])
    kin = list(nomination.get("next_of_kin") or [])

    shared: dict[str, str] = {"external_ref": ref}
    shared |= _flatten(person, "person.", PERSON_COLUMNS, where)
    charges = []
    for i, charge in enumerate(nomination.get("pending_charges") or []):
        _check_keys(charge, {"offense"}, f"{where}, pending_charges.{i}", allow_none=True)
        charges.append(charge.get("offense"))
    shared["pending_charges.offense"] = _cell(
        [c for c in charges if c is not None], "pending_charges.offense", where)
    for group in ("affiliation", "consent", "counsel"):
        columns = tuple(c for c in SHARED_COLUMNS if c.startswith(group + "."))
        shared |= _flatten(nomination.get(group) or {}, group + ".", columns, where)
    shared["requested_transfer_date"] = _cell(
        nomination.get("requested_transfer_date"), "requested_transfer_date", where)

    rows = []
    for i in range(max(1, len(convictions), len(documents), len(kin))):
        row = dict(shared)
        if i < len(convictions):
            conviction = dict(convictions[i])
            sentence = conviction.pop("sentence", None) or {}
            row |= _flatten(conviction, "conviction.", CONVICTION_COLUMNS, where)
            row |= _flatten(sentence, "conviction.sentence.", CONVICTION_COLUMNS, where)
        if i < len(documents):
            row |= _flatten(documents[i], "document.", DOCUMENT_COLUMNS, where)
        if i < len(kin):
            row |= _flatten(kin[i], "next_of_kin.", NEXT_OF_KIN_COLUMNS, where)
        rows.append(row)
    return rows


def _flatten(obj: Mapping[str, Any], prefix: str, columns: tuple[str, ...],
             where: str) -> dict[str, str]:
    known = {c.removeprefix(prefix) for c in columns if c.startswith(prefix)}
    _check_keys(obj, known, f"{where}, {prefix.rstrip('.')}", allow_none=True)
    return {prefix + key: _cell(value, prefix + key, where) for key, value in obj.items()}


def _check_keys(obj: Mapping[str, Any], known: set[str], where: str,
                allow_none: bool = False) -> None:
    extra = [k for k in obj if k not in known and not (allow_none and obj[k] is None)]
    if extra:
        raise ValueError(f"{where}: the CSV format has no column for {', '.join(extra)}")


def _cell(value: Any, column: str, where: str) -> str:
    if value is None:
        return ""
    if column in LIST_COLUMNS:
        items = [str(item) for item in value]
        if any(LIST_SEPARATOR in item for item in items):
            raise ValueError(f"{where}: an item of {column} contains {LIST_SEPARATOR!r}")
        return LIST_SEPARATOR.join(items)
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if column == MRZ_COLUMN:
        if MRZ_SEPARATOR in text:
            raise ValueError(f"{where}: the MRZ contains {MRZ_SEPARATOR!r}")
        return MRZ_SEPARATOR.join(text.splitlines())
    return text
