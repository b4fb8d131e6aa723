"""Reading a nomination bulk file (DESIGN.md §4): the one reader behind every face.

The import page and `habeas nominations import` read the same files the same way: UTF-8
(a byte-order mark is skipped), `.csv` (habeas.nominations.csvfile) or JSON Lines
(`.jsonl`, `.json`, `.ndjson`), one Row per nomination with its line's own errors. A file
that cannot be read at all is refused naming the form's `file` field.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from habeas.errors import DomainError, ValidationFailed, field_error
from habeas.i18n import N_
from habeas.nominations.csvfile import CsvFormatError, read_nominations
from habeas.nominations.service import Row, read_jsonl

# An upload is held in memory whole; a larger file goes through the CLI, read from disk.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")

# What the reader says of a file it cannot read (translated where shown).
TOO_LARGE = N_("larger than 50 MB; use `habeas nominations import`")
NOT_UTF8 = N_("not UTF-8 text")
NOT_JSONL_OR_CSV = N_("choose a .jsonl or .csv file")


def read_rows(name: str, raw: bytes) -> list[Row]:
    """read_rows: the nominations of file NAME (.csv or JSON Lines, by its suffix) whose
    bytes are RAW, or the refusal naming the field `file`."""
    stream = _text_of(raw)
    name = name.lower()
    if name.endswith(".csv"):
        try:
            return [Row(n.lines[0], n.data, [{"field": e.field, "message": e.message}
                                             for e in n.errors])
                    for n in read_nominations(stream)]
        except CsvFormatError as exc:
            raise field_error("file", str(exc)) from None
    if name.endswith(JSONL_SUFFIXES):
        return list(read_jsonl(stream))
    raise field_error("file", NOT_JSONL_OR_CSV)


def read_upload(name: str, raw: bytes) -> list[Row]:
    """read_upload: read_rows for a file uploaded through a page, at most MAX_UPLOAD_BYTES
    (RAW may hold one byte more, to tell a file at the limit from a larger one)."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise field_error("file", TOO_LARGE)
    return read_rows(name, raw)


def read_path(path: Path) -> list[Row]:
    """read_path: read_rows for a file on the operator's disk, of any size (the way round
    the upload's limit); a refusal names the file."""
    return _named(path, lambda: read_rows(path.name, _bytes_of(path)))


def read_jsonl_path(path: Path) -> list[Row]:
    """read_jsonl_path: the lines of a JSON Lines file on the operator's disk, whatever its
    name says (court orders come only as JSON Lines); a refusal names the file."""
    return _named(path, lambda: list(read_jsonl(_text_of(_bytes_of(path)))))


def _text_of(raw: bytes) -> io.StringIO:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise field_error("file", NOT_UTF8) from None
    # newline="": a line ends at \n, \r\n or \r alike, and a quoted CSV cell keeps its own.
    return io.StringIO(text, newline="")


def _bytes_of(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DomainError(f"{path}: cannot read: {exc.strerror}") from None


def _named(path: Path, read: Callable[[], list[Row]]) -> list[Row]:
    """_named: READ's rows, a refusal of the file said of PATH (the CLI has no form)."""
    try:
        return read()
    except ValidationFailed as exc:
        raise DomainError(f"{path}: {exc.details.get('problem', exc.message)}") from None
