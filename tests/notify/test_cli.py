"""`habeas notify …` as an operator runs it: real processes against a database with mail owed,
a real SMTP server, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.notify.conftest import COUNSEL, MOTHER, SmtpServer, admitted, rows
from tests.test_cli import assert_one_line_error, habeas


class TestNotifyCommands:
    def test_run_once_delivers_and_status_counts(
            self, demo_engine: Engine, database_url: str, data_dir: Path,
            smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
        admitted(demo_engine, nationalities=("SLV",))
        monkeypatch.setenv("HABEAS_SMTP_PORT", str(smtp_server.port))
        ran = habeas("notify", "run", "--once", "--json", url=database_url, data_dir=data_dir)
        assert ran.returncode == 0, ran.stderr
        assert len(json.loads(ran.stdout)["delivered"]) == 3
        assert sorted(m["To"] for m in smtp_server.inbox.messages) == sorted(
            [MOTHER, COUNSEL, COUNSEL])
        status = habeas("notify", "status", "--json", url=database_url, data_dir=data_dir)
        assert json.loads(status.stdout)["counts"] == {"pending": 0, "delivered": 3,
                                                       "dead": 0, "cancelled": 0}
        assert {n.status for n in rows(demo_engine)} == {"delivered"}

    def test_consulates_load_and_bad_input_is_one_line(
            self, demo_engine: Engine, database_url: str, data_dir: Path,
            tmp_path: Path) -> None:
        good = tmp_path / "slv.toml"
        good.write_text('host_country = "SLV"\n[[consulate]]\nnationality = "HND"\n'
                        'name = "Consulado de Honduras"\naddress = "c@hnd.example"\n')
        loaded = habeas("notify", "consulates", str(good), url=database_url, data_dir=data_dir)
        assert loaded.returncode == 0, loaded.stderr
        assert "HND in SLV: registered" in loaded.stdout
        again = habeas("notify", "consulates", str(good), url=database_url, data_dir=data_dir)
        assert "HND in SLV: unchanged" in again.stdout
        bad = tmp_path / "bad.toml"
        bad.write_text('host_country = "SLV"\n[[consulate]]\nnationality = "XXX"\n'
                       'name = "x"\naddress = "c@hnd.example"\n')
        assert_one_line_error(habeas("notify", "consulates", str(bad), url=database_url,
                                     data_dir=data_dir), "consulate.0.nationality")
        assert_one_line_error(habeas("notify", "retry", "N0.1", url=database_url,
                                     data_dir=data_dir), "not found")
