"""The `habeas` command. Thin: parse, call a service in one unit of work, print.

Errors are one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from habeas import demo as demo_scenario
from habeas import projections
from habeas.agreements import service as agreements
from habeas.auth import service as auth
from habeas.auth import throttle, tokens
from habeas.auth.models import Role
from habeas.billing.cli import billing_app
from habeas.config import ENVIRONMENT_HELP, get_settings
from habeas.console import JsonFlag, actor, day_option, emit, err, out
from habeas.custody.cli import integrity as custody_integrity
from habeas.db import default_engine, read_session, unit_of_work
from habeas.errors import DomainError
from habeas.events import log_size
from habeas.facilities.cli import facilities_app, population_app
from habeas.ledger.cli import ledger_app
from habeas.ledger.keys import ensure_log_key
from habeas.migrate import require_current, upgrade
from habeas.nominations.cli import holds_app, nominations_app
from habeas.notify.cli import notify_app
from habeas.sentences.cli import sentence_app

app = typer.Typer(
    name="habeas", no_args_is_help=True, pretty_exceptions_enable=False,
    # The epilog lists every setting, generated from config.Settings; \b: no rewrap.
    help="habeas — custody you can prove.", epilog="\b\n" + ENVIRONMENT_HELP,
    rich_markup_mode=None,
)
users_app = typer.Typer(no_args_is_help=True, help="Users, roles and API tokens.")
app.add_typer(users_app, name="users")
app.add_typer(nominations_app, name="nominations")
app.add_typer(holds_app, name="holds")
app.add_typer(ledger_app, name="ledger")
app.add_typer(facilities_app, name="facilities")
app.add_typer(population_app, name="population")
app.add_typer(sentence_app, name="sentence")
app.add_typer(billing_app, name="billing")
app.add_typer(notify_app, name="notify")
app.command("integrity")(custody_integrity)

@app.command()
def init(
    profile: Annotated[str | None, typer.Option(help="a shipped profile, e.g. bilateral-fee-2025")]
    = None,
    agreement: Annotated[Path | None, typer.Option(help="an agreement TOML file")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create or upgrade the schema and, optionally, register an agreement. Idempotent."""
    if profile and agreement:
        raise DomainError("give --profile or --agreement, not both")
    doc = None
    if profile:
        doc = agreements.load_profile(profile)
    elif agreement:
        doc = agreements.load_agreement_file(agreement)
    engine = default_engine()
    before, after = upgrade(engine)
    result: dict[str, Any] = {"schema_before": before, "schema": after}
    lines = [f"schema: {'up to date' if before == after else 'upgraded'} at revision {after}"]
    signer, created = ensure_log_key()
    result["log_key"] = signer.verifier.vkey
    lines.append(f"log key: {'created' if created else 'present'}: {signer.verifier.vkey}")
    from habeas.notify.tokens import ensure_key as ensure_notify_key

    _, notify_key_created = ensure_notify_key()
    lines.append(f"notification key: {'created' if notify_key_created else 'present'}")
    if doc is not None:
        with unit_of_work(engine) as session:
            outcome = agreements.register(session, doc, actor=actor())
        result["agreement"] = {"ref": doc.agreement.ref, "outcome": outcome}
        lines.append(f"agreement {doc.agreement.ref} ({doc.profile.name}): {outcome}")
    emit(as_json, result, lines)


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="the scenario's random seed")] = 2025,
    population: Annotated[int, typer.Option(
        min=0, max=40_000, help="domestic prisoners to admit (CECOT held 14,532 in June 2024)")]
    = 14_532,
    until: Annotated[str | None, typer.Option(
        help="live custody up to YYYY-MM-DD (default today; the flights were in April 2025)")]
    = None,
    as_json: JsonFlag = False,
) -> None:
    """Load the demo scenario: CECOT-like facility and population, the USA–SLV agreement,
    400 nominations, two flights, a year of custody, a user per role."""
    engine = default_engine()
    upgrade(engine)
    signer, _ = ensure_log_key()
    with unit_of_work(engine) as session:
        steps = demo_scenario.tell(session, signer, seed=seed, population=population,
                                   until=day_option("--until", until))
    logins = [{"username": u.username, "role": u.role.value, "password":
               demo_scenario.DEMO_PASSWORD} for u in demo_scenario.DEMO_USERS]
    lines = [*steps, "", "Demo logins (password for all: "
             f"{demo_scenario.DEMO_PASSWORD}):"]
    lines += [f"  {u['username']:<12} {u['role']}" for u in logins]
    emit(as_json, {"steps": steps, "logins": logins}, lines)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="listen address")] = None,
    port: Annotated[int | None, typer.Option(help="listen port")] = None,
    mail_sink: Annotated[bool | None, typer.Option(
        "--mail-sink/--no-mail-sink",
        help="run a local mail sink and deliver notifications there (the demo; default "
             "HABEAS_MAIL_SINK)")] = None,
    accept_rollback: AcceptRollback = None,
) -> None:
    """Serve the web app and API, and deliver notifications in the background.

    Refuses a database whose ledger is older than a checkpoint already signed
    (a restored old backup) unless --accept-rollback records why (ADR 0017)."""
    import uvicorn

    from habeas.app import create_app, server_config
    from habeas.backup import guard
    from habeas.notify.cli import start_background

    settings = get_settings()
    if host or port:
        settings = settings.model_copy(update={"host": host or settings.host,
                                               "port": port or settings.port})
    engine = default_engine()
    require_current(engine)
    guarded = guard(settings.database_url, accept=_reason(accept_rollback), actor=actor(),
                    what="serve:")
    if guarded.nothing_to_accept:
        # A flag left in a service's unit file would silently accept the next rollback.
        raise DomainError(f"--accept-rollback: nothing to accept (the log extends checkpoint"
                          f" {guarded.mark_size}); remove the flag")
    for line in guarded.lines():
        out.print(line, highlight=False)
    stop_background, said = start_background(
        engine, settings, mail_sink=settings.mail_sink if mail_sink is None else mail_sink)
    for line in said:
        out.print(line, highlight=False)
    out.print(f"habeas on http://{settings.host}:{settings.port}/")
    try:
        uvicorn.Server(server_config(create_app(engine), settings)).run()
    finally:
        stop_background()


AcceptRollback = Annotated[str | None, typer.Option(
    "--accept-rollback", metavar="REASON",
    help="accept a ledger older than a checkpoint already signed; REASON is recorded on the"
         " ledger as ledger.rollback_accepted")]


def _reason(accept_rollback: str | None) -> str | None:
    if accept_rollback is not None and not accept_rollback.strip():
        raise DomainError("--accept-rollback: give the reason, e.g. --accept-rollback"
                          " \"disk lost; restored the nightly backup\"")
    return accept_rollback.strip() if accept_rollback is not None else None


def _spinner(description: str, quiet: bool) -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                    console=err, transient=True, disable=quiet or not err.is_terminal)


@app.command("backup")
def backup_command(
    path: Annotated[Path, typer.Argument(help="a new folder to write the backup to")],
    as_json: JsonFlag = False,
) -> None:
    """Write a consistent snapshot of the live database, with a manifest, to a new folder.

    SQLite: the online backup API (writers carry on); PostgreSQL: pg_dump."""
    from habeas import backup as backups
    from habeas.db import utcnow

    settings = get_settings()
    backups.engine_kind(settings.database_url)
    engine = default_engine()
    require_current(engine)
    with _spinner(f"backing up to {path}", as_json) as bar:
        bar.add_task(f"backing up to {path}", total=None)
        made = backups.backup(settings.database_url, path, now=utcnow())
    m = made.manifest
    emit(as_json, {"path": str(path), "manifest": m.model_dump(mode="json"),
                   "manifest_sha256": made.digest},
         [f"backup written to {path}: {m.engine}, {m.log_size} events (root {m.root}),"
          f" latest checkpoint {m.checkpoint_size if m.checkpoint_size is not None else 'none'}",
          f"{m.file}: {m.bytes} bytes, SHA-256 {m.sha256}"])


@app.command("restore")
def restore_command(
    path: Annotated[Path, typer.Argument(help="a folder written by `habeas backup`")],
    accept_rollback: AcceptRollback = None,
    as_json: JsonFlag = False,
) -> None:
    """Replace the database with a backup, then check and verify the ledger.

    Stop `habeas serve` first. A backup older than a checkpoint the log already
    signed is refused (nothing is changed) unless --accept-rollback records why."""
    from habeas import backup as backups
    from habeas.ledger import highwater
    from habeas.ledger import service as ledger_service

    settings = get_settings()
    reason = _reason(accept_rollback)
    backups.engine_kind(settings.database_url)
    with _spinner("checking the backup", as_json) as bar:
        task = bar.add_task("checking the backup", total=None)
        found = backups.open_backup(path)
        problem = backups.backup_shortfall(found, highwater.load(None, backups.log_verifier()))
        if problem is not None and reason is None:
            raise highwater.RolledBack(
                f"restore: {problem}; nothing was changed: restore a newer backup, or pass"
                " --accept-rollback REASON to restore it anyway and record the loss on the"
                " ledger")
        bar.update(task, description=f"restoring {path}")
        backups.restore(settings.database_url, found)
        _, schema = upgrade(default_engine())
        guarded = backups.guard(settings.database_url, accept=reason, actor=actor(),
                                what="restore: the database was restored, but",
                                restored_from=found.digest)
        bar.update(task, description="verifying the ledger")
        verified = backups.verify_restored(settings.database_url)
    m = found.manifest
    checked = verified if isinstance(verified, str) else f"ledger verified: {verified.summary}"
    emit(as_json, {"path": str(path), "manifest": m.model_dump(mode="json"),
                   "manifest_sha256": found.digest, "schema": schema,
                   "rollback_accepted_seq": guarded.accepted_seq,
                   "checkpoint_signed": guarded.checkpoint_size,
                   "verified": None if isinstance(verified, str) else
                   {"size": verified.size, "root": ledger_service.root_b64(verified.root)},
                   "note": verified if isinstance(verified, str) else None},
         [f"restored {path} ({m.engine}, {m.log_size} events, made"
          f" {m.created_at:%Y-%m-%d %H:%M:%S} UTC); schema at {schema}",
          *guarded.lines(), checked])


@app.command()
def replay(
    check: Annotated[bool, typer.Option("--check", help="compare with the live tables")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Rebuild the current state from the events in a scratch database; --check compares."""
    from habeas import replay as replayer

    if not check:
        raise DomainError("replay only runs as `habeas replay --check` (it never writes live)")
    engine = default_engine()
    require_current(engine)
    with read_session(engine) as session:
        total = log_size(session)
    with Progress(TextColumn("replaying events"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True,
                  disable=as_json or not err.is_terminal) as bar:
        task = bar.add_task("replay", total=total)
        report = replayer.check(engine, progress=lambda n: bar.advance(task, n))
    data = {"events": report.events, "tables": report.tables, "rows": report.rows,
            "clean": report.clean,
            "differences": [d.describe() for d in report.differences]}
    if report.clean:
        emit(as_json, data, [f"replay OK: {report.events} events rebuilt {report.rows} rows"
                              f" in {report.tables} tables exactly"])
        return
    emit(as_json, data, [f"replay MISMATCH: {len(report.differences)} difference(s)"]
          + [f"  {d.describe()}" for d in report.differences[:50]])
    raise typer.Exit(1)


def _read_password(from_stdin: bool, prompt: str) -> str:
    # A script pipes it in on one line; a person types it twice, unseen.
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[Role, typer.Option(help="the user's one role")],
    party: Annotated[str | None, typer.Option(help="ISO alpha-3 party, for state roles")] = None,
    name: Annotated[str | None, typer.Option(help="display name")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                 help="read the password from stdin")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Add a user with one role (sending and receiving users need --party)."""
    password = _read_password(password_stdin, "Password")
    engine = default_engine()
    require_current(engine)
    with unit_of_work(engine) as session:
        user = auth.add_user(session, username=username, display_name=name or username,
                             role=role, party_code=party, password=password, actor=actor())
        data = {"id": user.id, "username": user.username, "role": user.role.value,
                "party": user.party_code}
    emit(as_json, data, [f"user {username} added ({role.value}"
                          f"{' for ' + party if party else ''})"])


@users_app.command("list")
def users_list(as_json: JsonFlag = False) -> None:
    """List users."""
    engine = default_engine()
    require_current(engine)
    with read_session(engine) as session:
        rows: list[dict[str, Any]] = [
            {"username": u.username, "role": u.role.value, "party": u.party_code,
             "active": u.active, "name": u.display_name} for u in auth.list_users(session)]
    if as_json:
        emit(True, rows, [])
        return
    table = Table("username", "role", "party", "active", "name")
    for r in rows:
        table.add_row(r["username"], r["role"], r["party"] or "", str(r["active"]), r["name"])
    out.print(table)


@users_app.command("unlock")
def users_unlock(
    username: Annotated[str, typer.Argument(help="whose login lockout to lift")],
    as_json: JsonFlag = False,
) -> None:
    """Lift a user's login lockout (a `user.unlocked` event); earlier failures stop counting."""
    engine = default_engine()
    require_current(engine)
    with unit_of_work(engine) as session:
        user = auth.user_named(session, username)
        throttle.unlock_user(session, user, actor=actor())
    emit(as_json, {"username": user.username, "unlocked": True},
         [f"user {user.username} unlocked"])


@users_app.command("password")
def users_password(
    username: Annotated[str, typer.Argument(help="whose password to set")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                 help="read the password from stdin")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Set a user's password (the password policy applies); their browser sessions end."""
    password = _read_password(password_stdin, "New password")
    engine = default_engine()
    require_current(engine)
    with unit_of_work(engine) as session:
        user = auth.user_named(session, username)
        auth.change_password(session, user, password, actor=actor())
    emit(as_json, {"username": user.username, "password_changed": True},
         [f"password of {user.username} changed; their browser sessions ended"])


@users_app.command("token")
def users_token(
    username: Annotated[str, typer.Argument(help="whose token")],
    name: Annotated[str, typer.Option(help="what the token is for")],
    as_json: JsonFlag = False,
) -> None:
    """Issue an API token for a user; the secret is printed once."""
    engine = default_engine()
    require_current(engine)
    with unit_of_work(engine) as session:
        user = auth.user_named(session, username)
        token, secret = tokens.issue_token(session, user, name=name, actor=actor())
    emit(as_json, {"id": token.id, "token": secret},
          [f"token {token.id} for {username} (shown once):", secret])


def main() -> None:
    """main runs the CLI, turning every failure into one line and an exit code."""
    projections.install()
    try:
        app()
    except DomainError as exc:
        err.print(f"error: {exc.message}", style="bold red", highlight=False, soft_wrap=True)
        sys.exit(2 if exc.status == 422 else 1)
    except OperationalError as exc:
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        err.print(f"error: database: {first}", style="bold red", highlight=False)
        sys.exit(1)
    except SQLAlchemyError as exc:
        err.print(f"error: database: {exc.__class__.__name__}: {exc}".splitlines()[0],
                  style="bold red", highlight=False)
        sys.exit(1)
