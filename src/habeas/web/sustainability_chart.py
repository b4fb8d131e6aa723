"""The sustainability report drawn as grouped bars (DESIGN.md §8): fee revenue beside the
facility's operating cost, month by month, in SVG user units; its words and amounts in the
reader's language. The page's template draws it (billing_sustainability.html); the table
it is drawn from is beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_percent, get_currency_precision

from habeas.billing import document, report
from habeas.i18n import DEFAULT, N_, gettext


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    label: str


@dataclass(frozen=True)
class Chart:
    """Chart is the report drawn as grouped bars: revenue beside operating cost per month."""

    width: int
    height: int
    base: float  # the y of the zero line
    left: float
    right: float
    top: float
    bars: list[Bar]
    ticks: list[tuple[float, str]]  # (y, the amount it marks)
    groups: list[tuple[float, str, str]]  # (x of the centre, month, share covered)


REVENUE, COST = "#1f6f3f", "#8a1c1c"
# A bar's tooltip: the month, what the bar is, and the amount.
BAR_LABELS = {REVENUE: N_("%(month)s, fee revenue: %(amount)s"),
              COST: N_("%(month)s, operating cost: %(amount)s")}


def percent(share: Any, locale: str = DEFAULT) -> str:
    """percent writes an exact share for people in LOCALE: 0.1234 → "12.3%" (en),
    "12,3 %" (es); a share under 0.1% with three decimals; None → "—"."""
    if share is None:
        return "—"
    value = float(share)
    places = 1 if value * 100 >= 0.1 or value == 0 else 3
    # The locale's own pattern ("#,##0%", "#,##0 %"), with the decimals a share needs.
    pattern = Locale.parse(locale).percent_formats[None].pattern.split(";")[0]
    return format_percent(value, format=pattern.replace("#,##0", "#,##0." + "0" * places),
                          locale=locale)


def _whole_money(minor: int, currency: str, locale: str) -> str:
    """_whole_money is an axis label: MINOR units of CURRENCY without the decimals."""
    digits = get_currency_precision(currency)
    return format_currency(Decimal(minor).scaleb(-digits), currency,
                           format="¤¤\u00a0#,##0", locale=locale, currency_digits=False)


def _month_label(label: str, many: bool, locale: str) -> str:
    """_month_label names a month under its bars: "Apr" among many, "Apr 2025" alone."""
    if not many:
        return document.month(label, locale)
    return format_date(date.fromisoformat(label + "-01"), "LLL", locale=locale)


def chart(measured: report.SustainabilityReport, locale: str = DEFAULT) -> Chart:
    """chart lays out the bars in SVG user units: a pair per month, scaled to the largest;
    its words and amounts in LOCALE."""
    width, height, left, right, top, bottom = 720, 300, 96.0, 12.0, 28.0, 36.0
    rows = measured.months
    largest = max([1] + [max(m.revenue_minor, m.operating_cost_minor) for m in rows])
    plot_w, plot_h = width - left - right, height - top - bottom
    base = top + plot_h
    group = plot_w / max(1, len(rows))
    bar = min(28.0, group * 0.36)
    bars, groups = [], []
    for i, m in enumerate(rows):
        centre = left + group * (i + 0.5)
        for offset, value, fill in ((-bar - 1, m.revenue_minor, REVENUE),
                                    (1, m.operating_cost_minor, COST)):
            h = plot_h * max(value, 0) / largest
            said = gettext(locale, BAR_LABELS[fill]) % {
                "month": document.month(m.label, locale),
                "amount": document.money(value, measured.currency, locale)}
            bars.append(Bar(round(centre + offset, 1), round(base - h, 1), round(bar, 1),
                            round(h, 1), fill, said))
        groups.append((round(centre, 1), _month_label(m.label, len(rows) > 1, locale),
                       percent(m.share_covered, locale)))
    ticks = [(round(base - plot_h * k / 4, 1),
              _whole_money(largest * k // 4, measured.currency, locale)) for k in range(5)]
    return Chart(width, height, base, left, width - right, top, bars, ticks, groups)
