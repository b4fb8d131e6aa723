"""The `habeas` command. Thin: parse, call a service in one unit of work, print.

Errors are one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import getpass
import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from habeas import demo as demo_scenario
from habeas.agreements import service as agreements
from habeas.auth import service as auth
from habeas.auth.models import Role
from habeas.config import ENVIRONMENT_HELP, get_settings
from habeas.db import default_engine, read_session, unit_of_work, utcnow
from habeas.errors import DomainError, ErrorCode
from habeas.events import log_size
from habeas.ledger import service as ledger
from habeas.ledger.keys import ensure_log_key, load_log_key
from habeas.migrate import require_current, upgrade

app = typer.Typer(
    name="habeas", no_args_is_help=True, pretty_exceptions_enable=False,
    help="habeas — custody you can prove.", epilog="\b\n" + ENVIRONMENT_HELP,  # \b: no rewrap
    rich_markup_mode=None,
)
users_app = typer.Typer(no_args_is_help=True, help="Users, roles and API tokens.")
app.add_typer(users_app, name="users")
nominations_app = typer.Typer(no_args_is_help=True, help="Nominations by the sending state.")
app.add_typer(nominations_app, name="nominations")
holds_app = typer.Typer(no_args_is_help=True, help="Court orders that bar transfers.")
app.add_typer(holds_app, name="holds")
ledger_app = typer.Typer(no_args_is_help=True,
                         help="The custody ledger: checkpoints, proofs, export, verify, witness.")
app.add_typer(ledger_app, name="ledger")

out = Console()
err = Console(stderr=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _emit(as_json: bool, data: Any, lines: list[str]) -> None:
    if as_json:
        out.print_json(json.dumps(data, default=str))
    else:
        for line in lines:
            out.print(line, highlight=False, soft_wrap=True)


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
    if doc is not None:
        with unit_of_work(engine) as session:
            outcome = agreements.register(session, doc, actor=_actor())
        result["agreement"] = {"ref": doc.agreement.ref, "outcome": outcome}
        lines.append(f"agreement {doc.agreement.ref} ({doc.profile.name}): {outcome}")
    _emit(as_json, result, lines)


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="the scenario's random seed")] = 2025,
    as_json: JsonFlag = False,
) -> None:
    """Load the demo scenario (CECOT-like facility, USA–SLV agreement, a user per role)."""
    engine = default_engine()
    upgrade(engine)
    signer, _ = ensure_log_key()
    with unit_of_work(engine) as session:
        steps = demo_scenario.load(session, seed=seed)
        steps += demo_scenario.nominate(session, seed=seed)
        steps += demo_scenario.witness(session, signer, seed=seed)
    logins = [{"username": u.username, "role": u.role.value, "password":
               demo_scenario.DEMO_PASSWORD} for u in demo_scenario.DEMO_USERS]
    lines = [*steps, "", "Demo logins (password for all: "
             f"{demo_scenario.DEMO_PASSWORD}):"]
    lines += [f"  {u['username']:<12} {u['role']}" for u in logins]
    _emit(as_json, {"steps": steps, "logins": logins}, lines)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="listen address")] = None,
    port: Annotated[int | None, typer.Option(help="listen port")] = None,
) -> None:
    """Serve the web app and API."""
    import uvicorn

    from habeas.api.app import create_app

    settings = get_settings()
    engine = default_engine()
    require_current(engine)
    out.print(f"habeas on http://{host or settings.host}:{port or settings.port}/")
    uvicorn.run(create_app(engine), host=host or settings.host, port=port or settings.port,
                log_level="info")


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
        _emit(as_json, data, [f"replay OK: {report.events} events rebuilt {report.rows} rows"
                              f" in {report.tables} tables exactly"])
        return
    _emit(as_json, data, [f"replay MISMATCH: {len(report.differences)} difference(s)"]
          + [f"  {d.describe()}" for d in report.differences[:50]])
    raise typer.Exit(1)


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
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    engine = default_engine()
    require_current(engine)
    with unit_of_work(engine) as session:
        user = auth.add_user(session, username=username, display_name=name or username,
                             role=role, party_code=party, password=password, actor=_actor())
        data = {"id": user.id, "username": user.username, "role": user.role.value,
                "party": user.party_code}
    _emit(as_json, data, [f"user {username} added ({role.value}"
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
        _emit(True, rows, [])
        return
    table = Table("username", "role", "party", "active", "name")
    for r in rows:
        table.add_row(r["username"], r["role"], r["party"] or "", str(r["active"]), r["name"])
    out.print(table)


@users_app.command("token")
def users_token(
    username: Annotated[str, typer.Argument(help="whose token")],
    name: Annotated[str, typer.Option(help="what the token is for")],
    as_json: JsonFlag = False,
) -> None:
    """Issue an API token for a user; the secret is printed once."""
    from sqlalchemy import select

    from habeas.auth.models import User

    engine = default_engine()
    require_current(engine)
    with unit_of_work(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise DomainError(f"username: no user named {username!r}", code=ErrorCode.NOT_FOUND)
        token, secret = auth.issue_token(session, user, name=name, actor=_actor())
    _emit(as_json, {"id": token.id, "token": secret},
          [f"token {token.id} for {username} (shown once):", secret])


@ledger_app.command("checkpoint")
def ledger_checkpoint(as_json: JsonFlag = False) -> None:
    """Sign a checkpoint of the log as it stands (refused if inconsistent with the last)."""
    engine = default_engine()
    require_current(engine)
    signer = load_log_key()
    with unit_of_work(engine) as session:
        checkpoint = ledger.sign_checkpoint(session, signer)
        note = ledger.served_note(session, checkpoint)
    _emit(as_json, {"size": checkpoint.size, "root": ledger.root_b64(checkpoint.root),
                    "note": note}, [note.rstrip("\n")])


@ledger_app.command("proof")
def ledger_proof(
    seq: Annotated[int, typer.Argument(help="the event's sequence number")],
    size: Annotated[int | None, typer.Option(help="tree size (default: latest checkpoint)")]
    = None,
    as_json: JsonFlag = False,
) -> None:
    """Print and check the inclusion proof of event SEQ."""
    from habeas.ledger import merkle, store

    engine = default_engine()
    require_current(engine)
    with read_session(engine) as session:
        latest = ledger.latest_checkpoint(session)
        if size is None:
            if latest is None:
                raise DomainError("ledger: no checkpoint yet; run `habeas ledger checkpoint`")
            size = latest.size
        if not 0 <= seq < size <= log_size(session):
            raise DomainError(f"seq: must be in [0, {size}) and size at most"
                              f" {log_size(session)}", code=ErrorCode.VALIDATION_FAILED)
        [leaf] = store.leaf_hashes(session, seq, seq + 1)
        proof = store.inclusion(session, seq, size)
        root = store.root_at(session, size)
    ok = merkle.verify_inclusion(seq, size, leaf, proof, root)
    hashes = [ledger.root_b64(h) for h in proof]
    data = {"seq": seq, "size": size, "leaf_hash": ledger.root_b64(leaf), "proof": hashes,
            "root": ledger.root_b64(root), "verified": ok}
    _emit(as_json, data, [f"event {seq} in tree of size {size}: "
                          f"{'verified' if ok else 'DOES NOT VERIFY'}",
                          f"leaf  {data['leaf_hash']}",
                          *[f"proof {h}" for h in hashes], f"root  {data['root']}"])
    if not ok:
        raise typer.Exit(1)


@ledger_app.command("export")
def ledger_export(
    folder: Annotated[Path, typer.Argument(help="where to write the tiles")],
    as_json: JsonFlag = False,
) -> None:
    """Sign a checkpoint and write the log as static C2SP tlog-tiles files."""
    from habeas.ledger import publish

    engine = default_engine()
    require_current(engine)
    signer = load_log_key()
    with unit_of_work(engine) as session:
        checkpoint = ledger.sign_checkpoint(session, signer)
    with read_session(engine) as session:
        files = publish.export(session, folder, checkpoint)
    _emit(as_json, {"size": checkpoint.size, "files": files, "folder": str(folder),
                    "vkey": signer.verifier.vkey},
          [f"exported {checkpoint.size} events as {files} files to {folder}",
           f"verify with: habeas ledger verify {folder} --key {signer.verifier.vkey}"])


@ledger_app.command("verify")
def ledger_verify(
    target: Annotated[str, typer.Argument(help="an exported folder or a server's /ledger URL")],
    key: Annotated[str, typer.Option(help="the log's verifier key (vkey)")],
    witness: Annotated[list[str] | None, typer.Option(help="a witness vkey (repeat)")] = None,
    min_witnesses: Annotated[int, typer.Option(help="cosignatures required")] = 0,
    state: Annotated[Path | None, typer.Option(help="file keeping the last trusted checkpoint")]
    = None,
) -> None:
    """Check a log from scratch: every leaf, the tiles, the root, signatures, consistency."""
    from habeas.ledger.note import NoteError, parse_verifier
    from habeas.ledger.verify import Discrepancy, source_for, verify

    try:
        log = parse_verifier(key)
        witnesses = [parse_verifier(w) for w in witness or []]
    except NoteError as exc:
        raise DomainError(f"--key/--witness: {exc}") from None
    with Progress(TextColumn("verifying leaves"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True,
                  disable=not err.is_terminal) as bar:
        task = bar.add_task("verify", total=None)
        try:
            result = verify(source_for(target), log, witnesses=witnesses,
                            min_witnesses=min_witnesses, state=state,
                            progress=lambda n: bar.advance(task, n),
                            on_size=lambda n: bar.update(task, total=n))
        except Discrepancy as exc:
            err.print(f"FAIL {exc}", style="bold red", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
    out.print(result.summary, highlight=False, soft_wrap=True)


@ledger_app.command("witness-key")
def ledger_witness_key(
    name: Annotated[str, typer.Argument(help="your witness name, e.g. monitor.example/w1")],
    out_file: Annotated[Path, typer.Option("--out", help="where to keep the private key")],
) -> None:
    """Create a witness (cosigner) key; prints the vkey to register with the server."""
    import os

    from habeas.ledger.note import ALG_COSIGNATURE_V1, generate_signer

    signer = generate_signer(name, ALG_COSIGNATURE_V1)
    fd = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(signer.skey + "\n")
    out.print(signer.verifier.vkey, highlight=False, soft_wrap=True)


@ledger_app.command("cosign")
def ledger_cosign(
    server: Annotated[str, typer.Option(help="the habeas server, e.g. http://127.0.0.1:8000")],
    key: Annotated[str, typer.Option(help="the log's verifier key (vkey)")],
    witness_key: Annotated[Path, typer.Option(help="your witness private key file")],
    token: Annotated[str, typer.Option(envvar="HABEAS_TOKEN", help="your API token")],
    state: Annotated[Path, typer.Option(help="file keeping the last checkpoint you cosigned")],
) -> None:
    """As a witness: check the latest checkpoint is consistent with your last, and cosign it."""
    from habeas.ledger.witness import WitnessError, cosign_latest

    try:
        message = cosign_latest(server, key, witness_key.read_text(), token, state)
    except WitnessError as exc:
        err.print(f"FAIL {exc}", style="bold red", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    out.print(message, highlight=False)


IMPORT_CHUNK = 500  # rows per transaction: a crash loses at most the chunk in flight


def _as_of(value: str | None) -> date:
    if value is None:
        return utcnow().date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"--as-of: {value!r} is not a date (YYYY-MM-DD)",
                          code=ErrorCode.VALIDATION_FAILED) from None


def _agreement_ref(session: Any, ref: str | None) -> str:
    from habeas.agreements import service as agreements_service

    if ref is not None:
        return agreements_service.get_agreement(session, ref).ref
    refs = [a.ref for a in agreements_service.list_agreements(session)]
    if len(refs) != 1:
        raise DomainError("--agreement: give one of " + (", ".join(refs) or "(none registered:"
                                                         " run habeas init --profile NAME)"))
    return refs[0]


def _read_rows(path: Path) -> list[Any]:
    from habeas.nominations import service as nominations

    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            if path.suffix.lower() == ".csv":
                from habeas.nominations.csvfile import CsvFormatError, read_nominations

                try:
                    return [nominations.Row(n.lines[0], n.data, [
                        {"field": e.field, "message": e.message} for e in n.errors])
                        for n in read_nominations(stream)]
                except CsvFormatError as exc:
                    raise DomainError(f"{path}: {exc}") from None
            return list(nominations.read_jsonl(stream))
    except OSError as exc:
        raise DomainError(f"{path}: cannot read: {exc.strerror}") from None


@nominations_app.command("import")
def nominations_import(
    file: Annotated[Path, typer.Argument(help="a .jsonl or .csv nomination file")],
    as_of: Annotated[str | None, typer.Option(help="screen as of YYYY-MM-DD (default today)")]
    = None,
    agreement: Annotated[str | None, typer.Option(help="agreement ref (if more than one)")]
    = None,
    as_json: JsonFlag = False,
) -> None:
    """Import nominations: each line validated, screened and recorded; bad lines reported."""
    from habeas.nominations import service as nominations

    day = _as_of(as_of)
    rows = _read_rows(file)
    engine = default_engine()
    require_current(engine)
    with read_session(engine) as session:
        ref = _agreement_ref(session, agreement)
    report = nominations.ImportReport()
    with Progress(TextColumn("importing nominations"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True,
                  disable=as_json or not err.is_terminal) as bar:
        task = bar.add_task("import", total=len(rows))
        for start in range(0, len(rows), IMPORT_CHUNK):
            chunk = rows[start:start + IMPORT_CHUNK]
            with unit_of_work(engine) as session:
                from habeas.agreements.models import Agreement

                report.results += nominations.import_rows(
                    session, session.get_one(Agreement, ref), chunk, as_of=day, actor=_actor())
            bar.advance(task, len(chunk))
    summary = report.summary
    lines = [", ".join(f"{k} {v}" for k, v in summary.items())]
    for result in report.results:
        if result.decision in ("invalid", "ineligible", "review"):
            why = "; ".join([f"{e['field']}: {e['message']}" for e in result.errors]
                            + [f"{r['rule']}: {r['message']}" for r in result.reasons])
            lines.append(f"  line {result.line} {result.external_ref or '?'}:"
                         f" {result.decision}: {why}")
    _emit(as_json, report.as_dict(), lines)


@holds_app.command("import")
def holds_import(
    file: Annotated[Path, typer.Argument(help="a .jsonl file of court orders")],
    as_of: Annotated[str | None, typer.Option(help="re-screen as of YYYY-MM-DD")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register court orders; everyone an order matches is screened again."""
    from habeas.holds import service as holds

    day = _as_of(as_of)
    if file.suffix.lower() == ".csv":
        raise DomainError(f"{file}: court orders come as .jsonl (DESIGN.md §4)")
    rows = _read_rows(file)
    engine = default_engine()
    require_current(engine)
    results = []
    for row in rows:
        if row.errors:
            results.append({"line": row.line, "outcome": "invalid", "errors": row.errors})
            continue
        try:
            with unit_of_work(engine) as session:
                hold = holds.parse_hold(row.data)
                outcome, changed = holds.register(session, hold, actor=_actor(), party=None,
                                                  as_of=day)
            results.append({"line": row.line, "hold_ref": hold.hold_ref, "outcome": outcome,
                            "rescreened": changed})
        except DomainError as exc:
            results.append({"line": row.line, "outcome": "invalid",
                            "errors": [{"field": exc.details.get("field", ""),
                                        "message": exc.message}]})
    lines = [f"line {r['line']}: {r.get('hold_ref', '?')}: {r['outcome']}"
             + (f" ({r['rescreened']} decision(s) changed)" if r.get("rescreened") else "")
             + ("; " + "; ".join(e["message"] for e in r["errors"]) if r.get("errors") else "")
             for r in results]
    _emit(as_json, {"results": results}, lines)


def main() -> None:
    """main runs the CLI, turning every failure into one line and an exit code."""
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
