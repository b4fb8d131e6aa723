"""One reader for nomination files (habeas.nominations.files): the import page and
`habeas nominations import` accept the same files, line by line alike, and refuse the
same ones with the same words. Only the size differs, on purpose: an upload is held in
memory, so the page refuses what the CLI, reading from disk, is there to take."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from habeas.app import create_app
from habeas.errors import ValidationFailed
from habeas.nominations import files
from habeas.nominations.csvfile import write_nominations
from tests.conftest import log_in_as
from tests.screening.factories import nomination
from tests.test_cli import habeas

GOOD = [nomination(external_ref=f"F-{i}").model_dump(mode="json") for i in (1, 2)]
JSONL = "\n".join([json.dumps(GOOD[0]), "{broken", json.dumps({"external_ref": "F-9"}),
                   "", json.dumps(GOOD[1])]) + "\n"
BOM = b"\xef\xbb\xbf"
# name, bytes: files both faces read.
READ = {
    "plain.jsonl": JSONL.encode(),
    "bom-crlf.JSONL": BOM + JSONL.replace("\n", "\r\n").encode(),
    "lines.ndjson": JSONL.encode(),
    "bom.csv": BOM + write_nominations(GOOD).encode(),
}
# name, bytes, the refusal: files neither face reads.
REFUSED = {
    "latin1.jsonl": ('{"family_name": "Pe\u00f1a"}\n'.encode("latin-1"), files.NOT_UTF8),
    "notes.txt": (JSONL.encode(), files.NOT_JSONL_OR_CSV),
    "empty.csv": (b"", "the file is empty: a header row naming the columns is needed"),
    "header.csv": (b"family_name\nPena\n", "bad CSV header (line 1): "),
}


@pytest.fixture
def page(demo_engine: Engine) -> Iterator[tuple[TestClient, str]]:
    """page: the import page, with the United States officer logged in (and their token)."""
    with TestClient(create_app(demo_engine)) as client:
        yield client, log_in_as(client, "us.officer")


def _upload(page: tuple[TestClient, str], name: str, raw: bytes) -> tuple[int, str]:
    client, csrf = page
    response = client.post("/nominations/import", data={"csrf": csrf, "as_of": "2025-03-01"},
                           files={"file": (name, raw)})
    return response.status_code, html.unescape(response.text)


def _cli(url: str, tmp_path: Path, name: str, raw: bytes) -> tuple[int, str, str]:
    path = tmp_path / name
    path.write_bytes(raw)
    done = habeas("nominations", "import", str(path), "--as-of", "2025-03-01", "--json",
                  url=url, data_dir=tmp_path / "data")
    return done.returncode, done.stdout, done.stderr


def _web_lines(text: str) -> dict[int, tuple[bool, list[str]]]:
    """_web_lines: per line of the page's report, whether it is invalid and its errors."""
    found = {}
    for line, decision, why in re.findall(
            r'<tr><td>(\d+)</td>.*?<td class="decision-(\w+)">.*?</td>\s*<td>(.*?)</td></tr>',
            text, re.S):
        found[int(line)] = (decision == "invalid",
                            re.findall(r'<span lang="en">(.*?)</span>', why))
    return found


@pytest.mark.parametrize("name", sorted(READ))
def test_the_page_and_the_cli_read_a_file_line_by_line_alike(
        page: tuple[TestClient, str], database_url: str, tmp_path: Path, name: str) -> None:
    code, out, err = _cli(database_url, tmp_path, name, READ[name])
    assert code == 0, err
    cli = {r["line"]: (r["decision"] == "invalid", [e["message"] for e in r["errors"]])
           for r in json.loads(out)["results"]}
    status, text = _upload(page, name, READ[name])
    assert status == 200, text[:500]
    # The CLI recorded the file first: the page reads the same lines, and finds the good
    # ones unchanged.
    assert _web_lines(text) == cli
    assert sum(invalid for invalid, _ in cli.values()) == (0 if name.endswith(".csv") else 2)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_the_page_and_the_cli_refuse_the_same_file_in_the_same_words(
        page: tuple[TestClient, str], database_url: str, tmp_path: Path, name: str) -> None:
    raw, problem = REFUSED[name]
    code, _, err = _cli(database_url, tmp_path, name, raw)
    assert code != 0 and "Traceback" not in err
    assert f"{tmp_path / name}: {problem}" in " ".join(err.split())
    status, text = _upload(page, name, raw)
    assert status == 422
    assert f"file: {problem}" in text or problem in text


def test_a_file_over_the_upload_limit_is_refused_by_the_page_and_read_by_the_cli(
        page: tuple[TestClient, str], database_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    raw = READ["plain.jsonl"]
    monkeypatch.setattr(files, "MAX_UPLOAD_BYTES", len(raw) - 1)
    status, text = _upload(page, "plain.jsonl", raw)
    assert status == 413 and files.TOO_LARGE in text
    code, out, err = _cli(database_url, tmp_path, "plain.jsonl", raw)
    assert code == 0, err
    assert json.loads(out)["summary"]["rows"] == 4


def test_a_file_at_the_upload_limit_is_read_one_byte_more_is_not(
        monkeypatch: pytest.MonkeyPatch) -> None:
    raw = READ["plain.jsonl"]
    monkeypatch.setattr(files, "MAX_UPLOAD_BYTES", len(raw))
    assert len(files.read_upload("plain.jsonl", raw)) == 4
    with pytest.raises(ValidationFailed) as refused:
        files.read_upload("plain.jsonl", raw + b" ")
    assert refused.value.details == {"field": "file", "problem": files.TOO_LARGE}
