"""The messages, in English and Spanish: plain sentences, facts filled in when sent.

Every sentence is a gettext message of the `notify` domain, translated in
habeas/locale/<lang>/LC_MESSAGES/notify.po (read with Babel like habeas.i18n's
catalogue: no compile step). A message is built from the facts an outbox row holds
(`params`), never from a later look at the database, so what is sent is what the
event owed. Dates are written in the reader's language (CLDR, via Babel).
"""

from __future__ import annotations

import gettext as _gettext
import io
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import pycountry
from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from habeas.i18n import N_
from habeas.notify import tokens
from habeas.notify.models import Notification

DOMAIN = "notify"

STATUS = {"in_custody": N_("in custody"), "in_transit": N_("in transit"),
          "released": N_("released"), "returned": N_("returned"),
          "deceased": N_("deceased"), "escaped": N_("escaped")}
REASON = {"admission": N_("admission"), "transfer": N_("transfer"),
          "illness": N_("serious illness or injury"), "death": N_("death")}

# The facts, sentence by sentence. WHO is the person's name (for a consulate: with the
# date of birth and nationality).
ADMITTED = N_("%(who)s was admitted to %(facility)s on %(date)s.")
LEFT_FOR = N_("%(who)s left on %(date)s for %(facility)s, in %(country)s, where they will "
              "be held.")
LEFT_FROM = N_("%(who)s left %(facility)s on %(date)s to be handed back to the authorities "
               "of %(custodian)s.")
STOPPED = N_("%(who)s was flown back to %(custodian)s on %(date)s without being handed over "
             "to %(facility)s.")
ILL = N_("%(who)s became seriously ill on %(date)s.")
INJURED = N_("%(who)s was seriously injured on %(date)s.")
TREATED = N_("They are being cared for at %(treated_at)s.")
DIED = N_("%(who)s died on %(date)s at %(facility)s.")


@dataclass(frozen=True)
class Message:
    """Message is what one outbox row says: a subject line and a plain-text body."""

    subject: str
    text: str


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    """translations is LOCALE's `notify` catalogue (English is the source: no catalogue)."""
    if locale == "en":
        return _gettext.NullTranslations()
    path = resources.files("habeas") / "locale" / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


class _Writer:
    """_Writer: sentences in one language, with the facts of one row."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._t = translations(locale)

    def __call__(self, message: str, **facts: Any) -> str:
        text = self._t.gettext(message)
        return text % facts if facts else text

    def day(self, iso: str) -> str:
        return format_date(date.fromisoformat(iso), format="long", locale=self.locale)

    def country(self, code: str) -> str:
        country = pycountry.countries.get(alpha_3=code)
        if country is None:
            return code
        name = Locale.parse(self.locale).territories.get(country.alpha_2)
        return str(name or country.name)

    def facility(self, place: dict[str, str]) -> str:
        return "\n".join((place["name"], place["address"],
                          self(N_("Telephone: %(phone)s"), phone=place["phone"])))


def render(row: Notification, *, base_url: str) -> Message:
    """render is what ROW says, in its recipient's language."""
    w = _Writer(row.locale)
    p = row.params
    if row.reason == "confirm":
        return _confirm(w, row, base_url)
    if row.reason == "status":
        return _status(w, row, base_url)
    facts = _facts(w, p)
    if row.audience == "consulate":
        return _consulate(w, row.reason, p, facts, row.idempotency_key)
    if row.audience == "counsel":
        return _counsel(w, row.reason, p, facts, row.idempotency_key)
    return _family(w, row.reason, p, facts, row.recipient_name, row.idempotency_key)


def _facts(w: _Writer, p: dict[str, Any]) -> dict[str, str]:
    facts = {"name": p["name"], "who": p["name"], "date": w.day(p["date"]),
             "facility": p["facility"]["name"], "country": w.country(p["country"]),
             "custodian": w.country(p["custodian"])}
    if p.get("nationality"):
        facts["nationality"] = w.country(p["nationality"])
        facts["who"] = w(N_("%(name)s, born on %(born)s, a national of %(nationality)s,"),
                         name=p["name"], born=w.day(p["date_of_birth"]),
                         nationality=facts["nationality"])
    if p.get("reference"):
        facts["reference"] = p["reference"]
    return facts


def _what(w: _Writer, reason: str, p: dict[str, Any], facts: dict[str, str]) -> list[str]:
    """_what: the sentences saying what happened."""
    if reason == "admission":
        return [w(ADMITTED, **facts)]
    if reason == "transfer":
        sentence = {"outbound": LEFT_FOR, "stopped": STOPPED}.get(p.get("direction", ""),
                                                                   LEFT_FROM)
        return [w(sentence, **facts)]
    if reason == "illness":
        lines = [w(INJURED if p.get("nature") == "injury" else ILL, **facts)]
        if p.get("treated_at"):
            lines.append(w(TREATED, treated_at=p["treated_at"]))
        return lines
    return [w(DIED, **facts)]


def _footer(w: _Writer, key: str) -> str:
    return w(N_("This message was sent automatically by habeas. Reference: %(key)s"), key=key)


def _join(*paragraphs: str) -> str:
    return "\n\n".join(p for p in paragraphs if p) + "\n"


def _family(w: _Writer, reason: str, p: dict[str, Any], facts: dict[str, str],
            recipient: str | None, key: str) -> Message:
    name = facts["name"]
    greeting = w(N_("Dear %(name)s,"), name=recipient) if recipient else w(N_("Hello,"))
    contact = w(N_("The prison is:")) + "\n" + w.facility(p["facility"])
    custodian = w(N_("The state legally responsible for %(name)s is %(custodian)s."),
                  name=name, custodian=facts["custodian"])
    what = " ".join(_what(w, reason, p, facts))
    if reason == "admission":
        return Message(
            w(N_("%(name)s has been admitted to %(facility)s"), **facts), _join(
                greeting,
                w(N_("We are writing because %(name)s named you as someone to be told where "
                     "they are held."), name=name),
                what,
                w(N_("You may write to them, and ask the prison how to visit or call.")),
                contact, custodian,
                w(N_("Rule 68 of the United Nations Standard Minimum Rules for the Treatment "
                     "of Prisoners (the Nelson Mandela Rules) gives every prisoner the right "
                     "to have their family, or a person of their choice, told of their "
                     "imprisonment.")),
                _footer(w, key)))
    if reason == "transfer":
        subject = {"outbound": N_("%(name)s is being transferred to %(facility)s"),
                   "stopped": N_("%(name)s has been returned to %(custodian)s")}.get(
            p.get("direction", ""), N_("%(name)s has left %(facility)s"))
        return Message(w(subject, **facts), _join(
            greeting, what, contact, custodian,
            w(N_("Rule 68 of the Nelson Mandela Rules gives every prisoner the right to have "
                 "their family, or a person of their choice, told of a transfer.")),
            _footer(w, key)))
    if reason == "illness":
        subject = N_("%(name)s has been seriously injured") if p.get("nature") == "injury" \
            else N_("%(name)s is seriously ill")
        return Message(w(subject, **facts), _join(
            greeting, w(N_("We are sorry to have to tell you this.")) + " " + what,
            w(N_("Medical details are confidential: the prison's health service can tell you "
                 "more if %(name)s agrees."), name=name),
            contact,
            w(N_("Rule 69 of the Nelson Mandela Rules requires that the people a prisoner "
                 "has chosen be told of a serious illness or injury.")),
            _footer(w, key)))
    return Message(w(N_("The death of %(name)s"), **facts), _join(
        greeting,
        w(N_("It is with deep regret that we must tell you this.")) + " " + what + " "
        + w(N_("We are very sorry for your loss.")),
        w(N_("What happens now:")) + "\n- " + w(N_(
            "The death has been reported to an authority independent of the prison, which "
            "must investigate promptly, impartially and effectively how %(name)s died "
            "(Nelson Mandela Rule 71). You may ask the prison who is investigating and how to "
            "follow the investigation."), name=name) + "\n- " + w(N_(
                "The body will be treated with respect and dignity and returned to you as "
                "soon as reasonably possible, at the latest when the investigation is "
                "complete (Rule 72). Please tell the prison how you wish to receive it.")),
        w(N_("Who to contact:")) + "\n" + w.facility(p["facility"]),
        custodian,
        w(N_("Rule 69 of the Nelson Mandela Rules requires that the next of kin be told of "
             "a death at once.")),
        _footer(w, key)))


def _consulate(w: _Writer, reason: str, p: dict[str, Any], facts: dict[str, str],
               key: str) -> Message:
    subject = w(N_("Consular notification (%(reason)s): %(name)s, national of "
                   "%(nationality)s"), reason=w(REASON[reason]), **facts)
    visits = "" if reason == "death" else (
        w(N_("Consular officers may visit, converse and correspond with them (art. 36(1)(a) "
             "and (c)); to arrange it, contact:")) + "\n" + w.facility(p["facility"]))
    death = w(N_("The death has been reported to an authority independent of the prison "
                 "administration, which must investigate it (Nelson Mandela Rule 71).")) \
        if reason == "death" else ""
    law = w(N_("This notification is made under article 37(a) of the Vienna Convention on "
               "Consular Relations.")) if reason == "death" else w(N_(
                   "This notification is made under article 36(1)(b) of the Vienna "
                   "Convention on Consular Relations."))
    return Message(subject, _join(
        w(N_("Dear Sir or Madam,")), " ".join(_what(w, reason, p, facts)), death, visits,
        law, _footer(w, key)))


def _counsel(w: _Writer, reason: str, p: dict[str, Any], facts: dict[str, str],
             key: str) -> Message:
    subject = w(N_("Your client %(name)s (%(reference)s): %(reason)s"),
                reason=w(REASON[reason]), **facts)
    return Message(subject, _join(
        w(N_("You are receiving this as counsel of record for %(name)s (%(reference)s)."),
          **facts),
        " ".join(_what(w, reason, p, facts)),
        w(N_("The prison is:")) + "\n" + w.facility(p["facility"]),
        _footer(w, key)))


def confirm_url(base_url: str, subscription_id: str) -> str:
    return f"{base_url}/subscribe/confirm?code={tokens.confirm_code(subscription_id)}"


def revoke_url(base_url: str, subscription_id: str) -> str:
    return f"{base_url}/subscribe/revoke?token={tokens.revoke_token(subscription_id)}"


def _confirm(w: _Writer, row: Notification, base_url: str) -> Message:
    assert row.subscription_id is not None
    name = row.params["name"]
    if row.channel == "webhook":
        start = w(N_("To start these updates, send this code to POST "
                     "/api/v1/subscriptions/confirm: %(code)s"),
                  code=tokens.confirm_code(row.subscription_id))
    else:
        start = w(N_("To start these updates, open this link:")) + "\n" + confirm_url(
            base_url, row.subscription_id)
    return Message(w(N_("Confirm your updates about %(name)s"), name=name), _join(
        w(N_("Someone (we hope you) asked to be told when the custody status of %(name)s "
             "changes."), name=name),
        start,
        w(N_("If you did not ask for this, ignore this message: nothing more will be sent "
             "to you unless the code is used.")),
        w(N_("To stop the updates at any time, open:")) + "\n"
        + revoke_url(base_url, row.subscription_id)))


def _status(w: _Writer, row: Notification, base_url: str) -> Message:
    assert row.subscription_id is not None
    p = row.params
    status = w(STATUS[p["status"]])
    return Message(w(N_("Update about %(name)s: %(status)s"), name=p["name"], status=status),
                   _join(
        w(N_("The public locator now shows this about %(name)s:"), name=p["name"]),
        "\n".join((w(N_("Status: %(status)s"), status=status),
                   w(N_("Since: %(since)s"), since=w.day(p["since"])),
                   w(N_("Facility:")) + " " + w.facility(p["facility"]),
                   w(N_("Legal custodian: %(custodian)s"),
                     custodian=w.country(p["custodian"])))),
        w(N_("This message says only what the public locator shows. To learn more, contact "
             "the facility.")),
        w(N_("To stop these updates, open:")) + "\n"
        + revoke_url(base_url, row.subscription_id)))
