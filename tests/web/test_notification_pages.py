"""In a real browser: staff see the outbox and its dead letters and put one back in the
queue; the demo's mail sink shows what a family received; anyone subscribes to a person's
status changes and confirms with the code sent, in Spanish, without logging in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine

from habeas.config import get_settings
from habeas.notify import tokens, worker
from habeas.notify.sink import MailSink, sink_dir
from tests.notify.conftest import Clock, admitted, delivery, rows
from tests.servers import running_server
from tests.web.conftest import log_in

pytestmark = pytest.mark.browser

DEAD_WEBHOOK = "http://127.0.0.1:9/closed"  # nothing listens on the discard port


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "data"
    monkeypatch.setenv("HABEAS_DATA_DIR", str(folder))
    monkeypatch.setenv("HABEAS_WEBHOOK_ALLOW_PRIVATE", "true")
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


@pytest.fixture
def delivered(demo_engine: Engine, data_dir: Path) -> str:
    """delivered: a Honduran admitted; the mail to his mother and counsel went to a real mail
    sink; the webhook to his consulate failed six times and is a dead letter."""
    person = admitted(demo_engine, consulates={"HND": DEAD_WEBHOOK})
    sink = MailSink(sink_dir(data_dir)).start()
    clock = Clock(rows(demo_engine)[-1].created_at)
    try:
        for _ in range(worker.MAX_ATTEMPTS):
            clock.advance(hours=1)
            worker.run_once(demo_engine, delivery(sink.port, timeout_s=1), clock=clock)
    finally:
        sink.stop()
    return person


@pytest.fixture
def server(demo_engine: Engine, delivered: str) -> Iterator[str]:
    with running_server(demo_engine) as url:
        yield url


def test_staff_see_a_dead_letter_and_put_it_back_in_the_queue(browser: Browser,
                                                               server: str) -> None:
    page = log_in(browser, server, "sv.warden")
    page.get_by_role("link", name="Notifications").click()
    expect(page.get_by_test_id("counts")).to_contain_text("dead")
    page.get_by_role("link", name="Dead letters").click()
    [dead] = page.get_by_test_id("notification").all()
    expect(dead).to_contain_text("webhook: http://127.0.0.1:9/closed")
    expect(dead).to_contain_text("ConnectionRefusedError")
    expect(dead.locator("td").nth(6)).to_have_text("6")
    dead.get_by_role("button", name="Retry").click()
    expect(page.get_by_test_id("retried")).to_contain_text("is back in the queue")
    expect(page.get_by_test_id("notification")).to_have_count(0)
    page.get_by_role("link", name="Pending", exact=True).click()
    expect(page.get_by_test_id("notification")).to_have_count(1)


def test_a_monitor_reads_the_outbox_but_cannot_retry(browser: Browser, server: str) -> None:
    page = log_in(browser, server, "monitor")
    page.goto(server + "/notifications?status=dead")
    expect(page.get_by_test_id("notification")).to_have_count(1)
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)


def test_the_mail_sink_shows_what_the_family_received(browser: Browser, server: str) -> None:
    page = log_in(browser, server, "sv.warden")
    page.goto(server + "/notifications/mail")
    expect(page.get_by_test_id("mail-count")).to_contain_text("3 messages received")
    family = page.get_by_test_id("mail").filter(has_text="ana.lopez@family.example")
    expect(family.get_by_role("heading")).to_have_text(
        "José Antonio Rivera López ha ingresado en Centro de Confinamiento del Terrorismo "
        "(CECOT)")
    expect(family.locator("pre")).to_contain_text("Estimada/o Ana López:")
    expect(family.locator("pre")).to_contain_text("Teléfono:")


def test_anyone_subscribes_in_spanish_and_confirms_with_the_code(
        browser: Browser, server: str, demo_engine: Engine, delivered: str) -> None:
    context = browser.new_context(locale="es-ES")
    page = context.new_page()
    page.goto(f"{server}/subscribe?token={tokens.subscribe_token(delivered)}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Avisos sobre una persona bajo custodia")
    page.get_by_label("Dirección").fill("no es una dirección")
    page.get_by_role("button", name="Enviarme el código").click()
    expect(page.get_by_test_id("error")).to_contain_text("Compruebe la dirección")
    page.get_by_label("Dirección").fill("vecina@example.org")
    page.get_by_role("button", name="Enviarme el código").click()
    expect(page.get_by_test_id("sent")).to_contain_text("Hemos enviado un código")
    [code] = [n for n in rows(demo_engine, reason="confirm")]
    assert (code.recipient, code.locale) == ("vecina@example.org", "es")
    assert code.subscription_id is not None
    page.goto(f"{server}/subscribe/confirm?code={tokens.confirm_code(code.subscription_id)}")
    assert [s.status for s in rows(demo_engine, reason="confirm")] == ["pending"]
    page.get_by_role("button", name="Activar los avisos").click()
    expect(page.get_by_test_id("confirmed")).to_contain_text("Hecho")
    page.goto(f"{server}/subscribe/confirm?code=S1.forged")
    page.get_by_role("button", name="Activar los avisos").click()
    expect(page.get_by_test_id("error")).to_have_text(re.compile("no es válido"))
    context.close()
