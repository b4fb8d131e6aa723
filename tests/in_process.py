"""The `habeas` command run in the test's own process: what a process would print and exit
with, without a process's ~1 s start (and its coverage start-up). A real process only where
the test is about one (a kill, the real entry point): tests/test_cli.py::habeas_process and
the crash tests."""

from __future__ import annotations

import subprocess
import sys


def run_cli(*args: str, env: dict[str, str], stdin: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    """run_cli runs `habeas ARGS` through habeas.cli.main, as the `habeas` script does, with
    ENV set for the call alone; returns what a process would have printed and exited with."""
    from click.testing import CliRunner

    from habeas import cli, console
    from habeas.config import get_settings
    from habeas.db import engine_for

    widths = console.out.width, console.err.width
    argv = sys.argv
    code: int = 0
    with CliRunner().isolation(input=stdin, env={"COLUMNS": "200", **env}) as (
            stdout, stderr, _):
        sys.argv = ["habeas", *args]
        console.out.width = console.err.width = 200
        get_settings.cache_clear()
        try:
            cli.main()
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
        finally:
            sys.argv = argv
            console.out.width, console.err.width = widths
            url = env.get("HABEAS_DATABASE_URL")
            if url is not None:
                engine_for(url).dispose()
            engine_for.cache_clear()
            get_settings.cache_clear()
        return subprocess.CompletedProcess(["habeas", *args], code,
                                           stdout.getvalue().decode(),
                                           stderr.getvalue().decode())
