"""`habeas ledger …`: checkpoints, proofs, export, the offline verifier, the witness tool."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from habeas.console import JsonFlag, emit, err, out
from habeas.db import default_engine, read_session, unit_of_work
from habeas.errors import DomainError, ErrorCode
from habeas.events import log_size
from habeas.ledger import service as ledger
from habeas.ledger.keys import load_log_key
from habeas.migrate import require_current

ledger_app = typer.Typer(no_args_is_help=True,
                         help="The custody ledger: checkpoints, proofs, export, verify, witness.")


@ledger_app.command("checkpoint")
def ledger_checkpoint(as_json: JsonFlag = False) -> None:
    """Sign a checkpoint of the log as it stands (refused if inconsistent with the last)."""
    engine = default_engine()
    require_current(engine)
    signer = load_log_key()
    with unit_of_work(engine) as session:
        checkpoint = ledger.sign_checkpoint(session, signer)
        note = ledger.served_note(session, checkpoint)
    emit(as_json, {"size": checkpoint.size, "root": ledger.root_b64(checkpoint.root),
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
    emit(as_json, data, [f"event {seq} in tree of size {size}: "
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
    emit(as_json, {"size": checkpoint.size, "files": files, "folder": str(folder),
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
