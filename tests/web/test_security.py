"""Every page of a full demo site, as every role (on SQLite and, for the pages' SQL, on
PostgreSQL): CSRF on every form, a strict Content-Security-Policy and no inline script on every
page, markup injected into every free-text field shown escaped everywhere, every page in Spanish
with nothing the catalogue lacks, the session cookie's flags, idle and absolute session expiry
with a safe way back, and the login lockout answering exactly like a wrong password."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import JSON, Engine, Enum, String, Text, create_engine, func, select, text

from habeas import i18n
from habeas.api.deps import SESSION_COOKIE
from habeas.app import create_app
from habeas.auth import passwords, tokens
from habeas.auth import service as auth
from habeas.auth.models import LoginAttempt, Role, WebSession
from habeas.auth.permissions import allowed
from habeas.db import make_engine, read_session, unit_of_work, utcnow
from habeas.demo import DEMO_PASSWORD, DEMO_USERS
from habeas.ledger.models import LogHead
from habeas.models import projection_tables
from habeas.web.common import FORM_ACTIONS, PAGE_ACTIONS, PUBLIC_PAGES
from tests.api.test_permissions import _walk
from tests.conftest import fresh_database
from tests.factories import event_count

PAYLOAD = "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>"
RAW = ("<script>alert", "<img src=x")  # escaped, "onerror=alert" is harmless text
PUBLIC_FORMS = {"/login", "/logout", "/subscribe", "/subscribe/confirm", "/subscribe/revoke"}
# Stored strings that are identifiers, codes, keys or hashes, not text anyone wrote.
NOT_TEXT = re.compile(r"(^|_)(id|ref|key|sha256|hash|code|codes|locale|currency|timezone|"
                      r"number|period|country|custodian|rules|status|channel|kind|sex)$")
# Lists of words people typed, held in JSON columns.
TEXT_LISTS = {("inspection", "areas"), ("inspection", "inspectors"), ("finding", "actions"),
              ("grievance", "concerns_staff")}
ROLE_OF = {u.username: u.role for u in DEMO_USERS}
MALLORY = "mallory"  # a monitor whose display name is the payload
MALLORY_PASSWORD = "tangerine-orbit-47"


# --- The site -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Site:
    engine: Engine
    pages: dict[str, str]  # PAGE_ACTIONS pattern → a concrete URL of the demo
    forms: dict[str, str]  # FORM_ACTIONS pattern → a concrete URL of the demo
    public: list[str]  # public pages, a locator search that finds an injected name among them


def _one(engine: Engine, sql: str) -> Any:
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar()
    assert value is not None, sql
    return value


def _inject(engine: Engine) -> None:
    """Markup into every free-text field: through the service where one writes it (a user's
    display name, shown in every page's header), and into every stored text column and list
    of words of the demo's current state, as if each form had accepted it."""
    with unit_of_work(engine) as db:
        auth.add_user(db, username=MALLORY, display_name="Mallory " + PAYLOAD,
                      role=Role.MONITOR, party_code=None, password=MALLORY_PASSWORD,
                      actor="test")
    with unit_of_work(engine) as db:
        for table in projection_tables():
            for column in table.columns:
                kind = column.type
                if column.primary_key or column.foreign_keys or isinstance(kind, Enum) \
                        or NOT_TEXT.search(column.name) or table.name == "user_account":
                    continue
                if (table.name, column.name) in TEXT_LISTS and isinstance(kind, JSON):
                    rows = db.execute(select(table.primary_key.columns[0], column)).all()
                    for pk, words in rows:
                        if isinstance(words, list) and words:
                            db.execute(table.update().where(table.primary_key.columns[0] == pk)
                                       .values({column.name: [*words, PAYLOAD]}))
                    continue
                if not isinstance(kind, String | Text):
                    continue
                length = getattr(kind, "length", None)
                if length is not None and length < 100:
                    continue
                keep = (length or 10_000) - len(PAYLOAD) - 1
                value = func.substr(func.coalesce(column, ""), 1, keep, type_=Text) \
                    + (" " + PAYLOAD)  # `||` on both engines
                db.execute(table.update().where(column.is_not(None)).values({column.name: value}))


def _concrete(engine: Engine) -> tuple[dict[str, str], dict[str, str], list[str]]:
    nomination = _one(engine, "SELECT public_id FROM nomination ORDER BY public_id")
    person = _one(engine, "SELECT public_id FROM prisoner WHERE kind = 'transferee' "
                          "AND status = 'in_custody' ORDER BY public_id")
    building, cell = (_one(engine, f"SELECT {c} FROM prisoner WHERE public_id = '{person}'")
                      for c in ("building_code", "cell_code"))
    values = {
        "{public_id}": person, "{hold_ref}": _one(
            engine, "SELECT hold_ref FROM hold ORDER BY hold_ref"),
        "{code}": "CECOT", "{building}": building, "{cell}": cell,
        "{manifest_id}": _one(engine, "SELECT id FROM manifest ORDER BY id"),
        "{notification_id}": _one(engine, "SELECT id FROM notification ORDER BY id"),
        "{ref}": "USA-SLV-2025",
    }
    seqs = {"/events/{seq}": "SELECT max(seq) FROM event",
            "/inspections/{seq}": "SELECT min(seq) FROM inspection",
            "/inspections/{seq}/findings": "SELECT min(seq) FROM inspection",
            "/grievances/{seq}": "SELECT min(seq) FROM grievance",
            "/grievances/{seq}/response": "SELECT min(seq) FROM grievance",
            "/grievances/{seq}/close": "SELECT min(seq) FROM grievance",
            "/counsel/appearances/{seq}/withdraw": "SELECT min(seq) FROM counsel_appearance",
            "/billing/invoices/{seq}": "SELECT min(seq) FROM invoice",
            "/billing/invoices/{seq}.pdf": "SELECT min(seq) FROM invoice",
            "/billing/invoices/{seq}/payments": "SELECT min(seq) FROM invoice",
            "/billing/invoices/{seq}/disputes": "SELECT min(seq) FROM invoice",
            "/billing/disputes/{seq}/accept": "SELECT min(seq) FROM dispute",
            "/billing/disputes/{seq}/reject": "SELECT min(seq) FROM dispute",
            **{f"/agreements/{{ref}}/changes/{{seq}}/{verb}":
               "SELECT min(seq) FROM agreement_change"
               for verb in ("accept", "reject", "withdraw")}}

    def fill(pattern: str) -> str:
        url = pattern.replace("{public_id}", nomination) if pattern.startswith(
            "/nominations/") else pattern
        if "{seq}" in url:
            url = url.replace("{seq}", str(_one(engine, seqs[pattern])))
        for name, value in values.items():
            url = url.replace(name, value)
        return url

    entry = dict(zip(("family", "given", "country", "born"), (
        _one(engine, f"SELECT {c} FROM locator_entry ORDER BY public_id")
        for c in ("family_name", "given_names", "birth_country", "date_of_birth")), strict=True))
    search = "/locate?" + urlencode({
        "by": "name", "family_name": entry["family"], "given_names": entry["given"],
        "country_of_birth": entry["country"], "date_of_birth": str(entry["born"])})
    public = [*sorted(PUBLIC_PAGES), search, "/locate?lang=es",
              "/subscribe?" + urlencode({"token": PAYLOAD})]
    return ({p: fill(p) for p in PAGE_ACTIONS}, {f: fill(f) for f in FORM_ACTIONS}, public)


def _injected(engine: Engine) -> Site:
    """_injected: the site on ENGINE (a copy of the demo year), its concrete URLs and locator
    search taken before the markup goes in, then every text field injected."""
    pages, forms, public = _concrete(engine)
    _inject(engine)
    return Site(engine, pages, forms, public)


@pytest.fixture(scope="module")
def site(year_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """site: the demo year (a custody year, oversight, billing: tests/web/conftest.py's
    year_template) on a SQLite database of its own, injected. The forms' tokens, the
    headers, the cookies, the sessions and the language are Python over rows both engines
    store alike; only the every-page test also runs on PostgreSQL (`site_on`)."""
    path = tmp_path_factory.mktemp("security") / "site.db"
    shutil.copyfile(year_template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        yield _injected(engine)
    finally:
        engine.dispose()


@pytest.fixture
def site_on(site: Site, migrated: tuple[str, str], year_template: Path,
            tmp_path: Path) -> Iterator[Site]:
    """site_on: the site on the engine MIGRATED names — SQLite's is `site`; on PostgreSQL the
    same year replayed from the template's events (habeas.replay.rebuild, which the pages'
    SQL cannot tell from the services' own writes) and injected the same way there."""
    if migrated[0] == "sqlite":
        yield site
        return
    template = make_engine(f"sqlite:///{year_template}")
    try:
        with fresh_database(migrated, tmp_path, template) as url:
            engine = make_engine(url)
            try:
                yield _injected(engine)
            finally:
                engine.dispose()
    finally:
        template.dispose()


def _login_csrf(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    return str(page.text.split('name="csrf" value="')[1].split('"')[0])


def log_in(client: TestClient, username: str, password: str = DEMO_PASSWORD,
           next_path: str | None = None) -> Any:
    client.cookies.clear()
    csrf = _login_csrf(client)
    form = {"username": username, "password": password, "csrf": csrf}
    if next_path is not None:
        form["next"] = next_path
    return client.post("/login", data=form, follow_redirects=False)


def session_csrf(client: TestClient) -> str:
    return str(client.get("/").text.split('name="csrf" value="')[1].split('"')[0])


_addresses = iter(range(1, 1_000_000))


@contextmanager
def browser_on(engine: Engine) -> Iterator[TestClient]:
    """browser_on: a browser of ENGINE's site at an address of its own, so one test's failed
    logins never throttle another's."""
    n = next(_addresses)
    address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
    with TestClient(create_app(engine), client=(address, 50000)) as test_client:
        yield test_client


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    """client: a browser of the site of its own (browser_on)."""
    with browser_on(site.engine) as test_client:
        yield test_client


# --- Every page: CSP, no inline script, nothing unescaped -------------------------------------

class _Scan(HTMLParser):
    """_Scan collects inline scripts, event-handler attributes and javascript: URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction", "xlink:href") and value \
                    and re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            if not dict(attrs).get("src"):
                self.problems.append("<script> without src")
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"inline script body {data.strip()[:40]!r}")


def check_page(url: str, response: Any) -> None:
    """check_page: a strict CSP, no inline script or handler, no markup left unescaped."""
    policy = response.headers.get("content-security-policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    script = directives.get("script-src", directives.get("default-src"))
    assert script == ["'self'"], (url, policy)
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, (url, policy)
    if "text/html" not in response.headers.get("content-type", ""):
        return
    body = response.text
    for raw in RAW:
        assert raw not in body, (url, raw, body[max(0, body.find(raw) - 200):][:400])
    scan = _Scan()
    scan.feed(body)
    assert scan.problems == [], (url, scan.problems)


def _staff_pages(site: Site) -> list[str]:
    return sorted(p for p in site.pages if not p.endswith(".pdf"))  # a PDF runs no script


@pytest.mark.both_engines  # the SQL of every page, as every role
@pytest.mark.heavy
def test_every_page_is_strict_and_escapes_injected_markup(site_on: Site) -> None:
    with browser_on(site_on.engine) as client:
        _every_page_is_strict_and_escaped(site_on, client)


def _every_page_is_strict_and_escaped(site: Site, client: TestClient) -> None:
    escaped = 0
    for url in site.public:
        client.cookies.clear()
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        check_page(url, response)
        escaped += "&lt;img src=x" in response.text
    assert escaped, "the locator search found nobody with an injected name"
    for username in [*ROLE_OF, MALLORY]:
        role = ROLE_OF.get(username, Role.MONITOR)
        assert log_in(client, username, MALLORY_PASSWORD if username == MALLORY
                      else DEMO_PASSWORD).status_code == 303, username
        seen = 0
        for pattern in _staff_pages(site):
            url = site.pages[pattern]
            response = client.get(url, follow_redirects=False)
            assert response.status_code < 500, (username, url, response.status_code)
            if not allowed(role, PAGE_ACTIONS[pattern]):
                assert response.status_code == 403, (username, url)
            check_page(url, response)
            seen += "&lt;img src=x" in response.text
        assert seen >= 3, f"{username}: the injected markup showed (escaped) on {seen} pages"
        # The locator and the public pages, logged in (they show the staff header then).
        for url in site.public:
            check_page(url, client.get(url))


def test_static_scripts_are_files_of_ours(client: TestClient) -> None:
    for name in ("htmx.min.js", "verify-proof.js"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200
        assert "javascript" in response.headers["content-type"]


# --- CSRF -------------------------------------------------------------------------------------

class _Text(HTMLParser):
    """_Text collects a page's visible text nodes, leaving out scripts and code (an event's
    payload keys, digests: the same in every language)."""

    NOT_TEXT = ("script", "style", "code", "pre")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in self.NOT_TEXT
        for name, value in attrs:
            if name in ("placeholder", "title", "aria-label", "alt") and value:
                self.nodes.append(value.strip())

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in self.NOT_TEXT and self._skip > 0

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.nodes.append(data.strip())


def _english_only() -> set[str]:
    """_english_only: the English messages whose Spanish differs: seen on a Spanish page, one
    of them is text that bypassed the catalogue."""
    catalog = getattr(i18n.translations("es"), "_catalog", {})
    return {k for k, v in catalog.items() if isinstance(k, str) and k and v != k
            and any(c.isalpha() for c in k)}


def test_every_page_speaks_spanish(site: Site, client: TestClient) -> None:
    """Issue 9: every page, as every role that may open it and to the public, in Spanish: the
    language chosen once with ?lang=es is remembered, no message the pages ask for is missing
    from the catalogue, and no English message is shown untranslated."""
    english = _english_only()
    i18n.untranslated("es").clear()
    shown_english: set[tuple[str, str]] = set()

    def read(url: str) -> None:
        response = client.get(url, follow_redirects=False)
        assert response.status_code < 500, (url, response.status_code)
        if "text/html" not in response.headers.get("content-type", ""):
            return
        assert '<html lang="es">' in response.text, url
        text = _Text()
        text.feed(response.text)
        shown_english.update((url, node) for node in text.nodes if node in english)

    for url in site.public:
        client.cookies.clear()
        client.get("/locate?lang=es")
        read(url)
    for username in ROLE_OF:
        assert log_in(client, username).status_code == 303, username
        assert client.get("/?lang=es").cookies.get(i18n.COOKIE) == "es"
        for pattern in _staff_pages(site):
            read(site.pages[pattern])
    assert sorted(i18n.untranslated("es")) == []
    assert sorted(shown_english) == []


def test_the_language_switch_keeps_the_page_and_its_query(site: Site, client: TestClient
                                                          ) -> None:
    assert log_in(client, "monitor").status_code == 303
    page = client.get("/nominations?status=rejected&lang=es").text
    assert 'href="/nominations?status=rejected&amp;lang=en"' in page
    assert client.get("/nominations").text.startswith("<!doctype html>\n<html lang=\"es\">")
    client.get("/nominations?lang=en")
    assert '<html lang="en">' in client.get("/holds").text


def _web_posts() -> set[str]:
    app = create_app(create_engine("sqlite://"))
    return {path for path, route in _walk(app.routes)
            if "POST" in (getattr(route, "methods", None) or set())
            and not path.startswith("/api/")}


def test_every_web_post_is_a_known_form() -> None:
    """A new form must be added to FORM_ACTIONS (form_principal checks its token) or be one of
    the public forms that check their own double-submit token, tested below."""
    assert _web_posts() <= set(FORM_ACTIONS) | PUBLIC_FORMS, \
        _web_posts() - set(FORM_ACTIONS) - PUBLIC_FORMS


def _state(site: Site) -> tuple[int, int, int]:
    """_state: the log's size (its head, one row), the open sessions and the login attempts."""
    with read_session(site.engine) as s:
        size = s.get_one(LogHead, 1).size
        sessions = s.scalar(select(func.count()).select_from(WebSession).where(
            WebSession.ended_at.is_(None))) or 0
        attempts = s.scalar(select(func.count()).select_from(LoginAttempt)) or 0
    return size, sessions, attempts


@pytest.fixture(scope="module")
def signed_in(site: Site) -> Iterator[Callable[[str], tuple[TestClient, str]]]:
    """signed_in: USERNAME's browser, logged in once for the module, and its session's CSRF
    token. The forms' tests share it: a refused post changes nothing, so each form's test
    sees the same session as a login of its own would give it."""
    with ExitStack() as stack:
        browsers: dict[str, tuple[TestClient, str]] = {}

        def browser_of(username: str) -> tuple[TestClient, str]:
            if username not in browsers:
                client = stack.enter_context(browser_on(site.engine))
                assert log_in(client, username).status_code == 303, username
                browsers[username] = client, session_csrf(client)
            return browsers[username]

        yield browser_of


@pytest.mark.parametrize("form", sorted(FORM_ACTIONS))
def test_a_form_without_its_token_is_refused_and_changes_nothing(
        site: Site, signed_in: Callable[[str], tuple[TestClient, str]], form: str) -> None:
    user = next(u.username for u in DEMO_USERS if allowed(u.role, FORM_ACTIONS[form]))
    client, good = signed_in(user)
    before = _state(site)
    for token in (None, "", "forged", good[:-1], good + "x"):
        data = {"reason": "x", "amount": "1.00", "paid_on": "2025-05-01", "reference": "r",
                "line": "0", "on": "2025-05-01", "served_on": "2025-05-01"}
        if token is not None:
            data["csrf"] = token
        response = client.post(site.forms[form], data=data, follow_redirects=False,
                               files={"file": ("n.csv", b"family_name\n")})
        assert response.status_code == 403, (form, token, response.status_code)
    assert _state(site) == before, form


def test_the_public_forms_check_their_token(site: Site, client: TestClient) -> None:
    client.cookies.clear()
    before = _state(site)
    assert client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD,
                                       "csrf": "forged"}).status_code == 403
    assert SESSION_COOKIE not in client.cookies
    for path in ("/subscribe", "/subscribe/confirm", "/subscribe/revoke"):
        client.get(path)  # sets the double-submit cookie
        response = client.post(path, data={"csrf": "forged", "token": "t", "code": "c",
                                           "address": "a@b.example"})
        assert response.status_code == 403, path
    log_in(client, "admin")
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200  # still logged in
    assert _state(site)[0::2] == (before[0], before[2] + 1)  # only the admin's login


def test_cookie_authenticated_api_writes_need_the_csrf_header(site: Site,
                                                              client: TestClient) -> None:
    app = create_app(create_engine("sqlite://"))
    writes = sorted({(m, p) for p, route in _walk(app.routes) if p.startswith("/api/")
                     for m in (getattr(route, "methods", None) or set())
                     if m in ("POST", "PUT", "PATCH", "DELETE")
                     and not p.startswith(("/api/v1/subscriptions", "/api/v1/locate"))})
    assert len(writes) >= 10
    log_in(client, "admin")
    before = event_count(site.engine)
    for method, path in writes:
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = client.request(method, url, json={})
        assert response.status_code == 403, (method, path, response.status_code)
        assert response.json()["error"]["code"] == "csrf_failed", (method, path)
    assert event_count(site.engine) == before


# --- Cookies, session expiry and the way back -------------------------------------------------

def _set_cookie(response: Any, name: str) -> str:
    found = [h for h in response.headers.get_list("set-cookie") if h.startswith(name + "=")]
    assert len(found) == 1, response.headers.get_list("set-cookie")
    return str(found[0])


def _attributes(header: str) -> dict[str, str]:
    parts = [p.strip() for p in header.split(";")[1:]]
    return {p.split("=")[0].lower(): (p.split("=", 1)[1] if "=" in p else "") for p in parts}


class TestCookies:
    def test_session_cookie_flags(self, client: TestClient) -> None:
        login_form = client.get("/login")
        form_cookie = _attributes(_set_cookie(login_form, "habeas_login_csrf"))
        response = log_in(client, "admin")
        cookie = _attributes(_set_cookie(response, SESSION_COOKIE))
        for flags in (cookie, form_cookie):
            assert "httponly" in flags
            assert flags["samesite"].lower() == "lax"
            assert flags["path"] == "/"
            assert "secure" not in flags  # plain HTTP: HABEAS_COOKIE_SECURE is off
            assert "domain" not in flags
        assert int(cookie["max-age"]) == 8 * 3600
        assert "strict-transport-security" not in response.headers

    def test_secure_when_configured(self, site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
        from habeas.config import get_settings

        monkeypatch.setenv("HABEAS_COOKIE_SECURE", "true")
        get_settings.cache_clear()
        try:
            with TestClient(create_app(site.engine), base_url="https://testserver") as client:
                response = log_in(client, "admin")
                assert "secure" in _attributes(_set_cookie(response, SESSION_COOKIE))
                assert response.headers["strict-transport-security"] == "max-age=31536000"
        finally:
            monkeypatch.delenv("HABEAS_COOKIE_SECURE")
            get_settings.cache_clear()


def _age_session(site: Site, client: TestClient, **columns: Any) -> None:
    secret = client.cookies[SESSION_COOKIE]
    with unit_of_work(site.engine) as db:
        db.execute(WebSession.__table__.update().where(  # type: ignore[attr-defined]
            WebSession.id_sha256 == tokens.sha256_hex(secret)).values(**columns))


class TestSessionExpiry:
    PAGE = "/nominations?decision=eligible&page=2"

    def test_an_idle_session_ends_and_login_returns_to_the_page(self, site: Site,
                                                                client: TestClient) -> None:
        log_in(client, "us.officer")
        assert client.get(self.PAGE, follow_redirects=False).status_code == 200
        idle = utcnow() - timedelta(minutes=31)
        _age_session(site, client, last_seen_at=idle, created_at=idle)
        gone = client.get(self.PAGE, follow_redirects=False)
        assert gone.status_code == 303
        assert gone.headers["location"] == \
            "/login?next=/nominations%3Fdecision%3Deligible%26page%3D2"
        form = client.get(gone.headers["location"])
        assert 'name="next" value="/nominations?decision=eligible&amp;page=2"' in form.text
        back = log_in(client, "us.officer", next_path=self.PAGE)
        assert back.headers["location"] == self.PAGE

    def test_use_keeps_a_session_alive_until_its_lifetime_ends(self, site: Site,
                                                               client: TestClient) -> None:
        log_in(client, "us.officer")
        _age_session(site, client, last_seen_at=utcnow() - timedelta(minutes=25))
        assert client.get(self.PAGE, follow_redirects=False).status_code == 200  # touched
        with read_session(site.engine) as db:
            web = db.get(WebSession, tokens.sha256_hex(client.cookies[SESSION_COOKIE]))
            assert web is not None and web.last_seen_at is not None
            assert utcnow() - web.last_seen_at < timedelta(minutes=1)
        _age_session(site, client, expires_at=utcnow() - timedelta(seconds=1))
        assert client.get(self.PAGE, follow_redirects=False).headers["location"] \
            .startswith("/login?next=")

    def test_an_expired_form_post_goes_to_login_and_back_to_its_page(
            self, site: Site, client: TestClient) -> None:
        log_in(client, "monitor")
        csrf = session_csrf(client)
        before = event_count(site.engine)
        _age_session(site, client, expires_at=utcnow() - timedelta(seconds=1))
        response = client.post("/integrity/runs", data={"csrf": csrf}, follow_redirects=False,
                               headers={"referer": "http://testserver/integrity?as_of=2025-10-01"})
        assert response.headers["location"] == "/login?next=/integrity%3Fas_of%3D2025-10-01"
        assert event_count(site.engine) == before

    @pytest.mark.parametrize("target", [
        "https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example",
        "javascript:alert(1)", "/%0d%0aSet-Cookie:x=1", "/\r\nSet-Cookie: x=1", "evil",
        "/login", "",
    ])
    def test_next_never_leaves_the_site(self, client: TestClient, target: str) -> None:
        response = log_in(client, "admin", next_path=target)
        location = response.headers["location"]
        assert location in ("/", target) and location.startswith("/")
        assert not location.startswith(("//", "/\\")) and "\n" not in location
        if target.startswith("/%0d"):
            assert location == target  # percent-encoded: a path on this site, harmless
        again = client.get("/login?next=" + target.replace("\r\n", "%0d%0a"),
                           follow_redirects=False)
        assert again.headers["location"].startswith("/")
        assert not again.headers["location"].startswith(("//", "/\\"))


# --- The lockout, as a browser sees it ---------------------------------------------------------

def _answer(response: Any) -> tuple[int, str]:
    body = re.sub(r'name="csrf" value="[^"]+"', "", response.text)
    return response.status_code, re.sub(r'id="username"[^>]*>', "", body)


def test_wrong_unknown_and_locked_answer_alike(site: Site, client: TestClient,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    hashes: list[str] = []
    verify = passwords.hasher.verify

    def counted(password: str, hashed: str) -> bool:
        hashes.append(hashed)
        return verify(password, hashed)

    monkeypatch.setattr(passwords.hasher, "verify", counted)
    answers = {}
    answers["unknown"] = _answer(log_in(client, "no.such.user", "whatever-password"))
    answers["wrong"] = _answer(log_in(client, "counsel", "whatever-password"))
    for _ in range(4):
        log_in(client, "counsel", "whatever-password")
    hashes.clear()
    answers["locked"] = _answer(log_in(client, "counsel", DEMO_PASSWORD))  # the right one
    assert len(hashes) == 1  # the locked account costs the same one hash check
    assert answers["unknown"] == answers["wrong"] == answers["locked"]
    assert answers["locked"][0] == 401 and "Wrong user name or password." in answers["locked"][1]
    with read_session(site.engine) as db:
        assert list(db.scalars(select(LoginAttempt.outcome).order_by(LoginAttempt.id.desc())
                               .limit(3))) == ["locked", "wrong_password", "wrong_password"]
    # The admin sees the failures and lifts the lock; counsel logs in.
    log_in(client, "admin")
    csrf = session_csrf(client)
    attempts = client.get("/api/v1/auth/attempts", params={"username": "counsel"}).json()
    assert [a["outcome"] for a in attempts[:2]] == ["locked", "wrong_password"]
    assert not any(a["succeeded"] for a in attempts)
    with read_session(site.engine) as db:
        counsel = auth.user_named(db, "counsel")
    before = event_count(site.engine)
    assert client.post(f"/api/v1/users/{counsel.id}/unlock",
                       headers={"X-CSRF-Token": csrf}).status_code == 204
    assert event_count(site.engine) == before + 1
    assert log_in(client, "counsel").status_code == 303


def test_too_many_failures_from_one_address_get_429(site: Site, client: TestClient) -> None:
    for n in range(20):
        assert log_in(client, f"spray{n}", "whatever-password").status_code == 401
    refused = log_in(client, "admin")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 600
    assert "Too many failed logins" in refused.text
    assert SESSION_COOKIE not in client.cookies


def test_the_attempt_log_is_for_admins_only(site: Site, client: TestClient) -> None:
    for username in ("monitor", "us.officer"):
        log_in(client, username)
        assert client.get("/api/v1/auth/attempts").status_code == 403
    log_in(client, "admin")
    assert client.get("/api/v1/auth/attempts", params={"limit": 0}).status_code == 422


def test_the_api_names_the_password_field_when_the_policy_refuses(
        site: Site, client: TestClient) -> None:
    log_in(client, "admin")
    csrf = session_csrf(client)
    for weak in ("short", "newclerk-password", "Password2024!"):
        response = client.post("/api/v1/users", headers={"X-CSRF-Token": csrf}, json={
            "username": "newclerk", "display_name": "New Clerk", "role": "monitor",
            "password": weak})
        assert response.status_code == 422, weak
        assert response.json()["error"]["details"]["field"] == "password"


