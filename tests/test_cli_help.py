"""`habeas --help` lists every setting, generated from habeas.config.Settings (in-process)."""

from __future__ import annotations

import re

import pytest
from pydantic import Field
from typer.testing import CliRunner

from habeas.cli import app
from habeas.config import Settings, environment_help


@pytest.fixture(scope="module")
def help_text() -> str:
    result = CliRunner().invoke(app, ["--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.output


def variable(name: str) -> str:
    return f"HABEAS_{name.upper()}"


class TestHelpListsTheEnvironment:
    def test_every_setting_is_listed_with_its_description(self, help_text: str) -> None:
        # Collapse the wrapping so a description split over lines still matches.
        flat = " ".join(help_text.split())
        assert len(Settings.model_fields) >= 35
        for name, field in Settings.model_fields.items():
            assert re.search(rf"^\s+{variable(name)}\b", help_text, re.MULTILINE), name
            assert field.description, f"Settings.{name} needs a description for --help"
            assert " ".join(field.description.split()) in flat, name

    def test_defaults_are_shown_as_an_operator_types_them(self, help_text: str) -> None:
        for line in ("HABEAS_DATABASE_URL  [default: sqlite:///./habeas.db]",
                     "HABEAS_PORT  [default: 8000]",
                     "HABEAS_COOKIE_SECURE  [default: false]",
                     "HABEAS_NOTIFY_WORKER  [default: true]",
                     "HABEAS_LATE_WINDOWS  [default: {}]"):
            assert line in help_text

    def test_help_shows_defaults_never_the_values_set_in_the_environment(
            self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("HABEAS_SMTP_PASSWORD", "hunter2-secret")
        monkeypatch.setenv("HABEAS_PORT", "9999")
        text = environment_help()
        assert "hunter2-secret" not in text and "9999" not in text
        assert re.search(r"^  HABEAS_SMTP_PASSWORD$", text, re.MULTILINE)  # no default shown

    def test_the_list_is_one_block_that_the_help_does_not_rewrap(self) -> None:
        # A blank line would end click's "\b" (no-rewrap) paragraph.
        assert "\n\n" not in environment_help()
        assert all(len(line) <= 76 for line in environment_help().splitlines()
                   if not line.lstrip().startswith("HABEAS_"))


class TestTheListCannotDrift:
    def test_a_new_setting_appears_without_anyone_writing_its_help(self) -> None:
        class Grown(Settings):
            frobnicate_limit: int = Field(default=7, description="how many to frobnicate")

        text = environment_help(Grown)
        assert "  HABEAS_FROBNICATE_LIMIT  [default: 7]\n      how many to frobnicate" in text
        assert "HABEAS_FROBNICATE_LIMIT" not in environment_help()

    def test_a_setting_without_a_description_is_refused_by_name(self) -> None:
        class Careless(Settings):
            mystery: int = 3

        with pytest.raises(ValueError, match=r"^Careless\.mystery has no description"):
            environment_help(Careless)
