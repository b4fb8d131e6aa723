"""`habeas notify run|status|retry|consulates|secret`, and the worker `habeas serve` starts."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine

from habeas.config import Settings, get_settings
from habeas.console import JsonFlag, actor, emit, out
from habeas.db import default_engine, read_session, unit_of_work, utcnow
from habeas.migrate import require_current

notify_app = typer.Typer(no_args_is_help=True,
                         help="Notifications: the outbox, its worker, consulates.")


@notify_app.command("run")
def run(
    once: Annotated[bool, typer.Option("--once", help="one pass over what is due, then exit")]
    = False,
    as_json: JsonFlag = False,
) -> None:
    """Deliver the outbox: email over SMTP (HABEAS_SMTP_*), signed webhooks; retries with
    backoff, dead letters after 6 failures. Runs until interrupted unless --once."""
    from habeas.notify import worker

    settings = get_settings()
    engine = default_engine()
    require_current(engine)
    delivery = worker.Delivery.from_settings(settings)
    if once:
        result = worker.run_once(engine, delivery, limit=10_000)
        emit(as_json, result.as_dict(), [
            f"delivered {len(result.delivered)}, failed {len(result.failed)} (will retry), "
            f"dead {len(result.dead)}"])
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    out.print(f"delivering notifications (SMTP {settings.smtp_host}:{settings.smtp_port}); "
              "Ctrl-C stops")
    try:
        worker.run_forever(engine, delivery, stop=stop, poll_s=settings.notify_poll_s)
    except KeyboardInterrupt:
        stop.set()


@notify_app.command("status")
def status(as_json: JsonFlag = False) -> None:
    """The outbox by status, and the dead letters waiting for a person."""
    from habeas.notify import service

    engine = default_engine()
    require_current(engine)
    with read_session(engine) as session:
        counts = service.counts(session)
        dead = [service.shown_to_staff(r).model_dump(mode="json")
                for r in service.outbox(session, status="dead", limit=50)]
    lines = ["outbox: " + ", ".join(f"{k} {v:,}" for k, v in counts.items())]
    lines += [f"  dead {d['id']}: {d['reason']} to {d['recipient']} after {d['attempts']} "
              f"attempts: {d['last_error']}" for d in dead]
    emit(as_json, {"counts": counts, "dead": dead}, lines)


@notify_app.command("retry")
def retry(notification_id: Annotated[str, typer.Argument(help="e.g. N1234.1")],
          as_json: JsonFlag = False) -> None:
    """Put a dead letter back in the queue."""
    from habeas.notify import service

    engine = default_engine()
    require_current(engine)
    with unit_of_work(engine) as session:
        row = service.retry(session, notification_id, actor=actor(), now=utcnow())
        data = service.shown_to_staff(row).model_dump(mode="json")
    emit(as_json, data, [f"{notification_id}: pending again"])


@notify_app.command("consulates")
def consulates(file: Annotated[Path, typer.Argument(help="a consulate directory (.toml)")],
               as_json: JsonFlag = False) -> None:
    """Register the consular posts of a host country (VCCR art. 36), from a TOML file."""
    from habeas.notify import service

    directory = service.parse_consulates(file)
    engine = default_engine()
    require_current(engine)
    with unit_of_work(engine) as session:
        done = service.load_consulates(session, directory, actor=actor(),
                                       allow_private=get_settings().webhook_allow_private)
    emit(as_json, done, done)


@notify_app.command("secret")
def secret(url: Annotated[str, typer.Argument(help="a directory entry's webhook URL")]
           ) -> None:
    """Print the secret that signs webhooks to URL, to give to its receiver."""
    from habeas.notify import tokens

    out.print(tokens.webhook_secret(None, url.strip()), highlight=False)


def start_background(engine: Engine, settings: Settings, *, mail_sink: bool
                     ) -> tuple[Callable[[], None], list[str]]:
    """start_background starts what `habeas serve` runs beside the web app: the delivery
    worker (unless HABEAS_NOTIFY_WORKER=false) and, for the demo, the mail sink it then
    delivers mail to. Returns the function that stops them, and what to tell the user."""
    from habeas.notify import worker

    stops: list[Callable[[], None]] = []
    said: list[str] = []
    if mail_sink:
        from habeas.notify.sink import MailSink, sink_dir

        sink = MailSink(sink_dir(settings.data_dir), port=settings.mail_sink_port).start()
        stops.append(sink.stop)
        settings = settings.model_copy(update={"smtp_host": sink.host, "smtp_port": sink.port,
                                               "smtp_starttls": False, "smtp_username": None})
        said.append(f"mail sink on {sink.host}:{sink.port}: notifications are delivered there "
                    "and shown at /notifications/mail (demo only)")
    if settings.notify_worker:
        stops.append(worker.start(engine, worker.Delivery.from_settings(settings),
                                  poll_s=settings.notify_poll_s))
        said.append(f"notification worker: SMTP {settings.smtp_host}:{settings.smtp_port}")

    def stop_all() -> None:
        for halt in reversed(stops):
            halt()

    return stop_all, said
