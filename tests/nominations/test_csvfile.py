"""The `.csv` nomination file: reading, merging rows, errors with lines, and the round trip."""

from __future__ import annotations

import copy
import csv
import io
from typing import Any

import pytest
from pydantic import ValidationError

from habeas.nominations.csvfile import (
    COLUMNS,
    CsvError,
    CsvFormatError,
    CsvNomination,
    read_nominations,
    write_nominations,
)
from habeas.nominations.schemas import Nomination
from tests.screening.factories import EXAMPLE

TD3_SPECIMEN = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
                "L898902C36UTO7408122F1204159ZE184226B<<<<<10")


def variant() -> dict[str, Any]:
    data = copy.deepcopy(EXAMPLE)
    data["external_ref"] = "US-2025-000124"
    data["person"]["aliases"] = ["Toño", "El Flaco"]
    data["person"]["nationalities"] = ["SLV", "GTM"]
    data["person"]["documents"] = [
        {"type": "passport", "number": "L898902C3", "country": "SLV", "mrz": TD3_SPECIMEN},
        {"type": "national_id", "number": "04567890-1", "country": "SLV", "mrz": None}]
    second = copy.deepcopy(data["convictions"][0])
    second.update(case_number="4:24-cr-00777", offense_code="21USC841",
                  offense="Possession with intent to distribute", judgment_date="2024-01-20",
                  appeal_status="pending",
                  sentence={"kind": "determinate", "years": 2, "months": 6, "days": 0},
                  sentence_start="2024-01-20", credited_days=0)
    data["convictions"].append(second)
    data["pending_charges"] = [{"offense": "Assault"}, {"offense": "Escape"}]
    data["consent"] = {"given": True, "date": "2025-01-10"}
    data["counsel"] = {"name": "María Pérez", "bar_number": None, "phone": "+15551234567",
                       "email": "mperez@example.org"}
    return data


def read(text: str) -> list[CsvNomination]:
    return read_nominations(io.StringIO(text, newline=""))


def table(*rows: dict[str, str], columns: tuple[str, ...] = COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def row(**cells: str) -> dict[str, str]:
    """row is one CSV row of the example (first conviction, document, next of kin), changed."""
    base = next(csv.DictReader(io.StringIO(write_nominations([EXAMPLE]))))
    base.update({k.replace("__", "."): v for k, v in cells.items()})
    return base


def only(results: list[CsvNomination]) -> CsvNomination:
    assert len(results) == 1
    return results[0]


class TestRoundTrip:
    @pytest.mark.parametrize("original", [EXAMPLE, variant()], ids=["example", "variant"])
    def test_read_of_write_validates_to_the_same_model(self, original: dict[str, Any]) -> None:
        result = only(read(write_nominations([original])))
        assert result.errors == ()
        assert result.data is not None
        assert Nomination.model_validate(result.data) == Nomination.model_validate(original)

    def test_several_nominations_in_one_file_keep_their_order(self) -> None:
        text = write_nominations([variant(), EXAMPLE])
        results = read(text)
        assert [r.data["external_ref"] for r in results if r.data] == [
            "US-2025-000124", "US-2025-000123"]
        assert [r.lines for r in results] == [(2, 3), (4,)]

    def test_the_variant_spreads_over_two_rows_with_the_mrz_on_one_line(self) -> None:
        text = write_nominations([variant()])
        assert len(text.splitlines()) == 3
        assert "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<|L898902C36UTO" in text
        assert "Toño;El Flaco" in text

    def test_model_dump_can_be_written(self) -> None:
        model = Nomination.model_validate(variant())
        result = only(read(write_nominations([model.model_dump(mode="json")])))
        assert result.data is not None
        assert Nomination.model_validate(result.data) == model

    @pytest.mark.parametrize(("change", "message"), [
        ({"counsel": {"name": "A", "bar_number": "TX-1"}}, "bar_number"),
        ({"pending_charges": [{"court": "X", "offense": "Y"}]}, "court"),
        ({"notes": "free text"}, "notes"),
    ])
    def test_what_no_column_carries_is_refused(self, change: dict[str, Any],
                                                message: str) -> None:
        with pytest.raises(ValueError, match=message):
            write_nominations([{**EXAMPLE, **change}])

    def test_separators_inside_values_are_refused(self) -> None:
        aliased = copy.deepcopy(EXAMPLE)
        aliased["person"]["aliases"] = ["a;b"]
        with pytest.raises(ValueError, match=r"person\.aliases"):
            write_nominations([aliased])


class TestCells:
    def test_empty_cells_leave_fields_out_and_groups_absent(self) -> None:
        text = table(row(**{"consent.given": "", "affiliation.group": "",
                            "affiliation.basis": "", "document.type": "",
                            "document.number": "", "document.country": "",
                            "next_of_kin.name": "", "next_of_kin.relationship": "",
                            "next_of_kin.phone": "", "requested_transfer_date": "",
                            "person.aliases": "", "conviction.credited_days": ""}))
        data = only(read(text)).data
        assert data is not None
        assert "documents" not in data["person"]
        assert data["person"]["aliases"] == []
        assert {"consent", "affiliation", "next_of_kin", "counsel",
                "requested_transfer_date"}.isdisjoint(data)
        assert "credited_days" not in data["convictions"][0]
        assert Nomination.model_validate(data).convictions[0].credited_days == 0

    def test_lists_are_split_on_semicolons_and_trimmed(self) -> None:
        text = table(row(**{"person.nationalities": " SLV ;GTM;; ",
                            "pending_charges.offense": "Assault; Escape"}))
        data = only(read(text)).data
        assert data is not None
        assert data["person"]["nationalities"] == ["SLV", "GTM"]
        assert data["pending_charges"] == [{"offense": "Assault"}, {"offense": "Escape"}]

    @pytest.mark.parametrize(("cell", "value"), [
        ("TRUE", True), ("yes", True), ("1", True), ("False", False), ("NO", False),
        ("0", False), ("maybe", "maybe")])
    def test_consent_given(self, cell: str, value: object) -> None:
        data = only(read(table(row(**{"consent.given": cell})))).data
        assert data is not None
        assert data["consent"]["given"] == value

    def test_a_bad_integer_passes_through_for_pydantic_to_report(self) -> None:
        data = only(read(table(row(**{"conviction.sentence.years": "eight"})))).data
        assert data is not None
        assert data["convictions"][0]["sentence"]["years"] == "eight"
        with pytest.raises(ValidationError) as caught:
            Nomination.model_validate(data)
        assert [e["loc"] for e in caught.value.errors()] == [
            ("convictions", 0, "sentence", "years")]

    def test_the_mrz_may_hold_a_real_newline(self) -> None:
        text = table(row(**{"document.mrz": TD3_SPECIMEN}))
        assert text.count("\n") == 3
        data = only(read(text)).data
        assert data is not None
        assert data["person"]["documents"][0]["mrz"] == TD3_SPECIMEN

    def test_columns_may_be_left_out_and_reordered(self) -> None:
        columns = ("person.language", "external_ref", "person.family_name",
                   "person.given_names", "person.date_of_birth", "person.sex",
                   "person.country_of_birth", "person.nationalities",
                   "person.status_in_sending_state")
        data = only(read(table(row(), columns=columns))).data
        assert data is not None
        assert data["convictions"] == []
        assert set(data) == {"external_ref", "person", "convictions"}
        assert Nomination.model_validate(data).person.language == "es"


class TestMerging:
    def test_repeated_refs_add_convictions_and_new_documents_and_kin(self) -> None:
        text = table(
            row(),
            row(**{"external_ref": "OTHER-1"}),
            row(**{"conviction.case_number": "X-2", "next_of_kin.name": "Luis López",
                   "next_of_kin.relationship": "brother"}),
            row(**{"conviction.case_number": "X-3", "document.type": "national_id",
                   "document.number": "0456"}),
        )
        first, other = read(text)
        assert first.lines == (2, 4, 5)
        assert other.lines == (3,)
        assert first.data is not None
        assert [c["case_number"] for c in first.data["convictions"]] == [
            "4:23-cr-00123", "X-2", "X-3"]
        assert [d["number"] for d in first.data["person"]["documents"]] == ["A1234567", "0456"]
        assert [k["name"] for k in first.data["next_of_kin"]] == ["Ana López", "Luis López"]
        assert first.line_of("convictions.2.sentence.years") == 5
        assert first.line_of(("person", "documents", 1, "number")) == 5
        assert first.line_of("next_of_kin.1.name") == 4
        assert first.line_of("person.family_name") == 2
        Nomination.model_validate(first.data)

    def test_a_row_without_a_conviction_adds_none(self) -> None:
        empty = {c: "" for c in COLUMNS if c.startswith("conviction.")}
        text = table(row(), row(**empty))
        data = only(read(text)).data
        assert data is not None
        assert len(data["convictions"]) == 1

    def test_conflicting_person_fields_name_the_column_and_lines(self) -> None:
        text = table(row(), row(), row(**{"person.date_of_birth": "1994-03-03",
                                          "counsel.name": "Someone"}))
        result = only(read(text))
        assert result.data is None
        assert result.lines == (2, 3, 4)
        assert [e.field for e in result.errors] == ["person.date_of_birth", "counsel.name"]
        message = result.errors[0].message
        assert "person.date_of_birth" in message
        assert "lines 2, 3 vs line 4" in message


class TestRowErrors:
    def test_a_wrong_cell_count_spoils_only_its_own_ref(self) -> None:
        lines = table(row(), row(**{"external_ref": "B-1"}),
                      row(**{"external_ref": "C-1"})).splitlines()
        lines[2] += ",extra"
        results = read("\n".join(lines) + "\n")
        assert [r.lines for r in results] == [(2,), (3,), (4,)]
        good, bad, last = results
        assert good.data is not None and last.data is not None
        assert bad.data is None
        assert bad.errors == (CsvError("", f"line 3 has {len(COLUMNS) + 1} cells but the "
                                           f"header has {len(COLUMNS)} columns"),)

    def test_a_short_row_of_a_known_ref_rejects_that_whole_nomination(self) -> None:
        lines = table(row(), row()).splitlines()
        lines[2] = lines[2].rsplit(",", 1)[0]
        result = only(read("\n".join(lines)))
        assert result.lines == (2, 3)
        assert result.data is None
        assert "line 3 has" in result.errors[0].message

    def test_an_empty_external_ref_is_an_error(self) -> None:
        results = read(table(row(**{"external_ref": " "}), row()))
        assert [r.lines for r in results] == [(2,), (3,)]
        assert results[0].data is None
        assert results[0].errors[0].field == "external_ref"
        assert results[1].data is not None

    def test_blank_lines_are_skipped_but_counted(self) -> None:
        lines = table(row(), row(**{"external_ref": "B-1"})).splitlines()
        text = "\n".join([lines[0], "", lines[1], ",,,", lines[2]]) + "\n"
        assert [r.lines for r in read(text)] == [(3,), (5,)]


class TestLines:
    def test_quoted_newlines_keep_line_numbers_right(self) -> None:
        text = table(row(**{"document.mrz": TD3_SPECIMEN}),
                     row(**{"external_ref": "B-1", "conviction.offense": "one\ntwo\nthree"}),
                     row(**{"external_ref": ""}))
        first, second, third = read(text)
        assert (first.lines, second.lines, third.lines) == ((2,), (4,), (7,))
        assert third.errors == (CsvError("external_ref", "line 7 has no external_ref"),)
        assert second.data is not None
        assert second.data["convictions"][0]["offense"] == "one\ntwo\nthree"

    def test_a_utf8_bom_is_tolerated(self) -> None:
        encoded = table(row()).encode("utf-8-sig")
        for encoding in ("utf-8-sig", "utf-8"):
            stream = io.TextIOWrapper(io.BytesIO(encoded), encoding=encoding, newline="")
            result = only(read_nominations(stream))
            assert result.data is not None
            assert result.data["external_ref"] == "US-2025-000123"


class TestHeader:
    def test_a_missing_required_column(self) -> None:
        columns = tuple(c for c in COLUMNS if c not in ("person.sex", "person.language"))
        with pytest.raises(CsvFormatError, match=r"missing required column.*person\.sex, "
                                                 r"person\.language"):
            read(table(row(), columns=columns))

    def test_an_unknown_column(self) -> None:
        with pytest.raises(CsvFormatError, match=r"unknown column.*'counsel\.bar_number'"):
            read(table(row(), columns=(*COLUMNS, "counsel.bar_number")))

    def test_a_duplicate_column(self) -> None:
        text = ",".join((*COLUMNS, "person.sex")) + "\n"
        with pytest.raises(CsvFormatError, match=r"duplicate column.*person\.sex"):
            read(text)

    def test_an_empty_file(self) -> None:
        with pytest.raises(CsvFormatError, match="empty"):
            read("")

    def test_optional_columns_may_be_absent_and_rows_may_be_none(self) -> None:
        assert read(",".join(c for c in COLUMNS if c.startswith(("external_ref", "person.")))
                    + "\n") == []

    def test_the_format_error_is_a_value_error(self) -> None:
        assert issubclass(CsvFormatError, ValueError)
