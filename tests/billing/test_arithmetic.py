"""Billing arithmetic: schedules, day rates, rounding, custody days, ageing (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from habeas.billing.arithmetic import (
    BillingError,
    Fee,
    ageing_bucket,
    billable_days,
    capped,
    custody_days,
    day_rate,
    intake_fee,
    line_amount,
    local_date,
    reported_cost_per_person_day,
    round_half_up,
    schedule_on,
    sustainability,
)

SV = "America/El_Salvador"  # UTC−6 all year: no DST
NY = "America/New_York"     # DST: spring forward 9 Mar 2025 02:00, fall back 2 Nov 2025 02:00
US20K = 2_000_000           # US$20,000 a year in cents: US$6 million / 300 people


def annual(rate: int = US20K, since: date = date(2020, 1, 1), proration: str = "actual",
           **kw: int | None) -> Fee:
    return Fee(since, "USD", annual_rate_minor=rate, per_diem_minor=None,
               proration=proration, **kw)  # type: ignore[arg-type]


def per_diem(rate: int, since: date = date(2020, 1, 1), **kw: int | None) -> Fee:
    return Fee(since, "USD", annual_rate_minor=None, per_diem_minor=rate,
               **kw)  # type: ignore[arg-type]


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def at(tz: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz))


class TestFeeValidation:
    @pytest.mark.parametrize(("kwargs", "field"), [
        ({"annual_rate_minor": -1, "per_diem_minor": None}, "annual_rate_minor"),
        ({"annual_rate_minor": None, "per_diem_minor": -500}, "per_diem_minor"),
        ({"annual_rate_minor": 1, "per_diem_minor": 1}, "annual_rate_minor"),  # both rates
        ({"annual_rate_minor": None, "per_diem_minor": None}, "annual_rate_minor"),  # neither
        ({"annual_rate_minor": 1, "per_diem_minor": None, "intake_fee_minor": -1},
         "intake_fee_minor"),
        ({"annual_rate_minor": 1, "per_diem_minor": None, "medical_cap_minor": -1},
         "medical_cap_minor"),
        ({"annual_rate_minor": 1.5, "per_diem_minor": None}, "annual_rate_minor"),  # float money
        ({"annual_rate_minor": 1, "per_diem_minor": None, "proration": "360"}, "proration"),
    ])
    def test_refuses_bad_amounts_naming_the_field(self, kwargs: dict[str, object],
                                                  field: str) -> None:
        with pytest.raises(BillingError) as err:
            Fee(date(2025, 1, 1), "USD", **kwargs)  # type: ignore[arg-type]
        assert err.value.field == field

    @pytest.mark.parametrize("currency", ["usd", "US", "USDT", "U$D", "ÜSD", ""])
    def test_refuses_a_currency_not_shaped_like_iso_4217(self, currency: str) -> None:
        with pytest.raises(BillingError) as err:
            Fee(date(2025, 1, 1), currency, annual_rate_minor=1, per_diem_minor=None)
        assert err.value.field == "currency"

    def test_refuses_a_datetime_for_effective_from(self) -> None:
        with pytest.raises(BillingError) as err:
            Fee(datetime(2025, 1, 1, tzinfo=UTC), "USD", annual_rate_minor=1, per_diem_minor=None)
        assert err.value.field == "effective_from"


class TestScheduleOn:
    def test_picks_the_latest_schedule_in_force(self) -> None:
        old, new = per_diem(5_000, date(2025, 1, 1)), per_diem(6_000, date(2025, 3, 16))
        assert schedule_on([new, old], date(2025, 3, 15)) is old
        assert schedule_on([new, old], date(2025, 3, 16)) is new  # in force on its first day
        assert schedule_on([new, old], date(2030, 1, 1)) is new

    def test_refuses_a_day_with_no_schedule_in_force(self) -> None:
        with pytest.raises(BillingError, match="no fee schedule") as err:
            schedule_on([per_diem(5_000, date(2025, 1, 1))], date(2024, 12, 31))
        assert err.value.field == "effective_from"
        with pytest.raises(BillingError):
            schedule_on([], date(2025, 1, 1))

    def test_refuses_two_schedules_taking_effect_the_same_day(self) -> None:
        with pytest.raises(BillingError, match="2 fee schedules"):
            schedule_on([per_diem(1), per_diem(2)], date(2025, 1, 1))


class TestLineAmount:
    def test_a_31_day_month_at_20000_a_year_in_a_common_year(self) -> None:
        # 2025 has 365 days: 31 × 2,000,000 / 365 = 169,863.0137… → 169,863 cents.
        assert line_amount([annual()], days(date(2025, 1, 1), date(2025, 1, 31))) == 169_863

    def test_a_31_day_month_at_20000_a_year_in_a_leap_year(self) -> None:
        # 2024 has 366 days: 31 × 2,000,000 / 366 = 169,398.907… → 169,399 cents.
        assert line_amount([annual()], days(date(2024, 1, 1), date(2024, 1, 31))) == 169_399

    def test_proration_365_ignores_the_leap_year(self) -> None:
        # Proration "365": 2024 is divided by 365 too, as 2025 was: 169,863.
        fee = annual(proration="365")
        assert line_amount([fee], days(date(2024, 1, 1), date(2024, 1, 31))) == 169_863

    def test_a_month_straddling_a_rate_change(self) -> None:
        # 1–15 Mar 2025 at a US$50 per-diem: 15 × 5,000 = 75,000; from 16 Mar an annual
        # US$20,000: 16 × 2,000,000 / 365 = 87,671.2328…; one rounding: 162,671.2328… → 162,671.
        fees = [per_diem(5_000, date(2025, 1, 1)), annual(since=date(2025, 3, 16))]
        assert line_amount(fees, days(date(2025, 3, 1), date(2025, 3, 31))) == 162_671

    def test_december_to_january_across_a_leap_year_boundary(self) -> None:
        # 16–31 Dec 2024 (leap): 16 × 2,000,000 / 366 = 87,431.6939…;
        # 1–15 Jan 2025 (common): 15 × 2,000,000 / 365 = 82,191.7808…;
        # sum 169,623.4748… → 169,623. Each day is divided by its own year's length.
        assert line_amount([annual()], days(date(2024, 12, 16), date(2025, 1, 15))) == 169_623

    def test_rounds_exactly_half_up(self) -> None:
        # 1,830,183 / 366 = 5,000 + 183/366 = 5,000.5 exactly per day in 2024.
        fee = annual(1_830_183)
        assert day_rate(fee, date(2024, 6, 1)) == Fraction(10_001, 2)
        assert line_amount([fee], [date(2024, 6, 1)]) == 5_001          # 5,000.5 → 5,001
        assert line_amount([fee], days(date(2024, 6, 1), date(2024, 6, 3))) == 15_002  # 15,001.5

    def test_rounds_once_per_line_not_per_day(self) -> None:
        # Two days at 5,000.5: per-day rounding would give 5,001 + 5,001 = 10,002; the line's
        # exact sum is 10,001.0, so the line is 10,001.
        fee = annual(1_830_183)
        assert line_amount([fee], [date(2024, 6, 1), date(2024, 6, 2)]) == 10_001
        # And the US$20,000 month: per-day rounding (5,479.45… → 5,479) × 31 = 169,849,
        # 14 cents short of the once-rounded 169,863.
        assert round_half_up(day_rate(annual(), date(2025, 1, 1))) * 31 == 169_849

    def test_no_days_cost_nothing_and_need_no_schedule(self) -> None:
        assert line_amount([], []) == 0

    def test_refuses_a_day_listed_twice(self) -> None:
        with pytest.raises(BillingError) as err:
            line_amount([annual()], [date(2025, 1, 1), date(2025, 1, 1)])
        assert err.value.field == "days"

    def test_refuses_a_line_mixing_currencies(self) -> None:
        eur = Fee(date(2025, 3, 16), "EUR", annual_rate_minor=None, per_diem_minor=1)
        with pytest.raises(BillingError) as err:
            line_amount([per_diem(1), eur], days(date(2025, 3, 15), date(2025, 3, 16)))
        assert err.value.field == "currency"

    def test_refuses_days_before_any_schedule(self) -> None:
        with pytest.raises(BillingError, match="no fee schedule"):
            line_amount([annual(since=date(2025, 1, 2))], days(date(2025, 1, 1), date(2025, 1, 2)))


class TestRoundHalfUp:
    @pytest.mark.parametrize(("x", "expected"), [
        (Fraction(5, 2), 3), (Fraction(3, 2), 2), (Fraction(249, 100), 2), (Fraction(0), 0),
        (Fraction(-5, 2), -3),  # credits: half away from zero, the exact negation of +2.5
        (Fraction(-249, 100), -2), (Fraction(-251, 100), -3), (Fraction(7), 7),
    ])
    def test_rounds_halves_away_from_zero(self, x: Fraction, expected: int) -> None:
        assert round_half_up(x) == expected

    @given(st.fractions())
    def test_a_credit_is_the_exact_negation_of_the_charge(self, x: Fraction) -> None:
        assert round_half_up(-x) == -round_half_up(x)
        assert abs(round_half_up(x) - x) <= Fraction(1, 2)


class TestCustodyDays:
    april = (date(2025, 4, 1), date(2025, 4, 30))

    def test_arrival_at_noon_local_is_billed_from_that_day(self) -> None:
        # 18:00 UTC on 10 Apr is 12:00 in El Salvador (UTC−6): billed from 10 Apr.
        got = custody_days(datetime(2025, 4, 10, 18, tzinfo=UTC), None, *self.april, SV)
        assert got == days(date(2025, 4, 10), date(2025, 4, 30))

    def test_the_local_date_not_the_utc_date_decides(self) -> None:
        # 23:30 local on 9 Apr is 05:30 UTC on 10 Apr: billed from the 9th (local date).
        arrived = datetime(2025, 4, 10, 5, 30, tzinfo=UTC)
        assert local_date(arrived, SV) == date(2025, 4, 9)
        assert custody_days(arrived, None, *self.april, SV)[0] == date(2025, 4, 9)

    def test_the_day_of_departure_is_not_billed(self) -> None:
        got = custody_days(at(SV, 2025, 4, 10, 12), at(SV, 2025, 4, 20, 9), *self.april, SV)
        assert got == days(date(2025, 4, 10), date(2025, 4, 19))  # 10 days, not the 20th

    def test_convention_both_bills_arrival_and_departure(self) -> None:
        got = custody_days(at(SV, 2025, 4, 10, 12), at(SV, 2025, 4, 20, 9), *self.april, SV,
                           "both")
        assert got == days(date(2025, 4, 10), date(2025, 4, 20))

    @pytest.mark.parametrize("convention", ["arrival_not_departure", "both", "midnight"])
    def test_same_day_arrival_and_departure_is_one_day(self, convention: str) -> None:
        got = custody_days(at(SV, 2025, 4, 10, 1), at(SV, 2025, 4, 10, 23), *self.april, SV,
                           convention)
        assert got == [date(2025, 4, 10)]

    def test_a_stay_is_clipped_to_the_period(self) -> None:
        got = custody_days(at(SV, 2025, 3, 25, 8), at(SV, 2025, 5, 3, 8), *self.april, SV)
        assert got == days(*self.april)
        assert custody_days(at(SV, 2025, 3, 1), at(SV, 2025, 3, 9), *self.april, SV) == []
        assert custody_days(at(SV, 2025, 5, 1), None, *self.april, SV) == []

    def test_a_person_still_held_is_billed_through_the_period_end(self) -> None:
        got = custody_days(at(SV, 2025, 4, 28, 8), None, *self.april, SV)
        assert got == [date(2025, 4, 28), date(2025, 4, 29), date(2025, 4, 30)]

    def test_a_departure_on_the_first_day_of_the_period_bills_nothing_in_it(self) -> None:
        assert custody_days(at(SV, 2025, 3, 20), at(SV, 2025, 4, 1, 6), *self.april, SV) == []

    def test_spring_forward_neither_adds_nor_drops_a_day(self) -> None:
        # New York loses 02:00–03:00 on 9 Mar 2025. Arrive 23:30 EST on the 8th, leave exactly
        # 24 hours later at 00:30 EDT on the 10th: the 8th and 9th are billed (the 9th was
        # 23 hours long), although only one 24-hour span elapsed.
        arrived = at(NY, 2025, 3, 8, 23, 30)
        left = (arrived.astimezone(UTC) + timedelta(hours=24)).astimezone(ZoneInfo(NY))
        assert left == at(NY, 2025, 3, 10, 0, 30)
        got = custody_days(arrived, left, date(2025, 3, 1), date(2025, 3, 31), NY)
        assert got == [date(2025, 3, 8), date(2025, 3, 9)]

    def test_fall_back_neither_adds_nor_drops_a_day(self) -> None:
        # New York repeats 01:00–02:00 on 2 Nov 2025. Arrive 23:30 on the 1st, leave 23:30 on
        # the 2nd, 25 hours later: one day billed (the 1st), not two.
        arrived, left = at(NY, 2025, 11, 1, 23, 30), at(NY, 2025, 11, 2, 23, 30)
        assert left.astimezone(UTC) - arrived.astimezone(UTC) == timedelta(hours=25)
        got = custody_days(arrived, left, date(2025, 11, 1), date(2025, 11, 30), NY)
        assert got == [date(2025, 11, 1)]

    def test_a_stay_across_new_yorks_dst_night_counts_in_a_zone_without_dst(self) -> None:
        # The same instants in El Salvador (no DST): 22:30 on the 8th to 22:30 on the 9th.
        arrived = at(NY, 2025, 3, 8, 23, 30)
        left = (arrived.astimezone(UTC) + timedelta(hours=24))
        got = custody_days(arrived, left, date(2025, 3, 1), date(2025, 3, 31), SV)
        assert got == [date(2025, 3, 8)]

    @pytest.mark.parametrize("which", ["arrived", "left"])
    def test_refuses_a_naive_datetime(self, which: str) -> None:
        naive, aware = datetime(2025, 4, 10, 12), at(SV, 2025, 4, 12)
        args = (naive, aware) if which == "arrived" else (at(SV, 2025, 4, 1), naive)
        with pytest.raises(BillingError) as err:
            custody_days(*args, *self.april, SV)
        assert err.value.field == which

    @pytest.mark.parametrize(("kwargs", "field"), [
        ({"left": datetime(2025, 4, 9, tzinfo=UTC)}, "left"),             # before arrival
        ({"period_end": date(2025, 3, 31)}, "period_end"),                 # empty period
        ({"tz": "Mars/Olympus_Mons"}, "tz"), ({"tz": "America"}, "tz"), ({"tz": "../x"}, "tz"),
        ({"convention": "noon"}, "convention"),
    ])
    def test_refuses_bad_input_naming_the_field(self, kwargs: dict[str, object],
                                                field: str) -> None:
        args: dict[str, object] = {
            "arrived": datetime(2025, 4, 10, tzinfo=UTC), "left": None,
            "period_start": date(2025, 4, 1), "period_end": date(2025, 4, 30), "tz": SV}
        with pytest.raises(BillingError) as err:
            custody_days(**(args | kwargs))  # type: ignore[arg-type]
        assert err.value.field == field


ZONES = st.sampled_from([SV, NY, "America/Santiago", "Europe/London", "UTC", "Pacific/Apia"])
INSTANTS = st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2026, 12, 31),
                        timezones=st.just(UTC))


@st.composite
def stays(draw: st.DrawFn) -> tuple[datetime, datetime | None]:
    arrived = draw(INSTANTS)
    if draw(st.booleans()):
        return arrived, None
    return arrived, arrived + draw(st.timedeltas(timedelta(0), timedelta(days=400)))


def closing_midnight(day: date, tz: str) -> datetime:
    """The first instant of the next local date (fold=0 lands after a gap at midnight)."""
    return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(tz)).astimezone(UTC)


class TestCustodyDayProperties:
    @given(stays(), st.dates(date(2022, 12, 1), date(2027, 1, 31)),
           st.integers(0, 500), st.integers(0, 500), ZONES,
           st.sampled_from(["arrival_not_departure", "both", "midnight"]))
    def test_adjacent_periods_partition_the_stay(
            self, stay: tuple[datetime, datetime | None], start: date, n1: int, n2: int, tz: str,
            convention: str) -> None:
        arrived, left = stay
        mid, end = start + timedelta(days=n1), start + timedelta(days=n1 + 1 + n2)
        first = custody_days(arrived, left, start, mid, tz, convention)
        second = custody_days(arrived, left, mid + timedelta(days=1), end, tz, convention)
        whole = custody_days(arrived, left, start, end, tz, convention)
        assert first + second == whole  # no day billed twice, none lost, in order
        assert len(set(whole)) == len(whole)

    @given(stays(), ZONES)
    def test_day_count_is_the_local_date_difference(
            self, stay: tuple[datetime, datetime | None], tz: str) -> None:
        arrived, left = stay
        if left is None:
            return
        a, d = local_date(arrived, tz), local_date(left, tz)
        got = custody_days(arrived, left, date(2022, 1, 1), date(2028, 12, 31), tz)
        assert len(got) == max(1, (d - a).days)  # DST never makes or loses a day

    @given(stays(), ZONES)
    def test_midnight_count_bills_the_default_days(
            self, stay: tuple[datetime, datetime | None], tz: str) -> None:
        # Literal midnight count: a date is billed when the person was in custody at its
        # closing local midnight m (arrived < m <= left); a stay with none bills its one date.
        arrived, left = stay
        if left is None:
            return
        a, d = local_date(arrived, tz), local_date(left, tz)
        literal = [x for x in days(a - timedelta(days=1), d)
                   if arrived < closing_midnight(x, tz) <= left] or [a]
        period = (date(2022, 1, 1), date(2028, 12, 31))
        assert custody_days(arrived, left, *period, tz, "midnight") == literal
        assert custody_days(arrived, left, *period, tz) == literal

    @given(st.dates(date(2023, 1, 1), date(2026, 12, 31)), st.integers(0, 800),
           st.sets(st.integers(0, 800)), st.integers(0, 5_000_000))
    def test_line_amount_is_monotonic_in_days(self, first: date, n: int, extra: set[int],
                                              rate: int) -> None:
        fees = [annual(rate, date(2022, 1, 1)), per_diem(rate // 300, date(2025, 3, 16))]
        some = days(first, first + timedelta(days=n))
        more = sorted(set(some) | {first + timedelta(days=i) for i in extra})
        assert line_amount(fees, some) <= line_amount(fees, more)


class TestBillableDays:
    def test_days_on_or_after_the_flag_are_credited(self) -> None:
        april = days(date(2025, 4, 1), date(2025, 4, 30))
        billed, credited = billable_days(april, date(2025, 4, 21))
        assert billed == days(date(2025, 4, 1), date(2025, 4, 20))
        assert credited == days(date(2025, 4, 21), date(2025, 4, 30))
        # The credit note is the exact negation of what those days were charged.
        assert round_half_up(-sum((day_rate(annual(), x) for x in credited), Fraction(0))) == \
            -line_amount([annual()], credited)

    def test_no_flag_bills_every_day(self) -> None:
        assert billable_days([date(2025, 4, 1)], None) == ([date(2025, 4, 1)], [])

    def test_an_erroneous_transfer_credits_every_day(self) -> None:
        april = days(date(2025, 4, 10), date(2025, 4, 30))
        assert billable_days(april, date(2025, 4, 10)) == ([], april)


class TestIntakeAndPassThrough:
    def test_intake_fee_is_charged_in_the_period_of_admission(self) -> None:
        fees = [annual(intake_fee_minor=25_000), annual(since=date(2025, 4, 15),
                                                       intake_fee_minor=30_000)]
        april = (date(2025, 4, 1), date(2025, 4, 30))
        assert intake_fee(fees, date(2025, 4, 10), *april) == 25_000
        assert intake_fee(fees, date(2025, 4, 15), *april) == 30_000  # schedule on admission
        assert intake_fee(fees, date(2025, 3, 31), *april) == 0        # charged in March

    @pytest.mark.parametrize(("charges", "cap", "expected"), [
        ([10_000, 25_000], None, 35_000), ([10_000, 25_000], 30_000, 30_000),
        ([10_000, 20_000], 30_000, 30_000), ([], 30_000, 0), ([5_000], 0, 0),
    ])
    def test_pass_through_charges_never_exceed_the_cap(self, charges: list[int], cap: int | None,
                                                       expected: int) -> None:
        assert capped(charges, cap) == expected

    def test_refuses_negative_charges_or_cap(self) -> None:
        with pytest.raises(BillingError) as err:
            capped([-1], None)
        assert err.value.field == "charges"
        with pytest.raises(BillingError) as err:
            capped([1], -1)
        assert err.value.field == "cap"


class TestAgeing:
    @pytest.mark.parametrize(("on", "bucket"), [
        (date(2025, 4, 29), "current"),  # not yet due
        (date(2025, 4, 30), "0-30"),     # the due date itself is day 0
        (date(2025, 5, 30), "0-30"),     # day 30
        (date(2025, 5, 31), "31-60"),    # day 31
        (date(2025, 6, 29), "31-60"),    # day 60
        (date(2025, 6, 30), "61-90"),    # day 61
        (date(2025, 7, 29), "61-90"),    # day 90
        (date(2025, 7, 30), "90+"),      # day 91: more than 90
    ])
    def test_buckets_by_days_past_due(self, on: date, bucket: str) -> None:
        assert ageing_bucket(date(2025, 4, 30), on) == bucket


class TestSustainability:
    def test_reported_price_against_the_reported_system_cost(self) -> None:
        # Reported: El Salvador's prison system costs about US$200 million a year; the agreement
        # pays about US$6 million for about 300 people a year. Whatever the population P, a year
        # of the whole population costs P × 365 person-days × 200M/(P × 365) = US$200 million,
        # so the fees cover 6/200 = 3 % of it, and US$20,000 per agreement person.
        population = 100_000  # illustrative; the share does not depend on it
        per_day = reported_cost_per_person_day(20_000_000_000, population)
        assert per_day == Fraction(20_000_000_000, 36_500_000)  # ≈ US$5.48 a person-day
        report = sustainability(600_000_000, per_day, population * 365, 300)
        assert report["cost_minor"] == 20_000_000_000
        assert report["share_covered"] == Fraction(3, 100)
        assert report["revenue_per_agreement_person_minor"] == 2_000_000
        assert report["cost_per_person_year_minor"] == 200_000   # US$2,000
        assert report["revenue_per_person_year_minor"] == 6_000   # US$60 over everyone held
        assert report["person_years"] == population

    def test_undefined_shares_are_none(self) -> None:
        report = sustainability(0, 0, 0, 0)
        assert report["share_covered"] is None
        assert report["revenue_per_person_year_minor"] is None
        assert report["revenue_per_agreement_person_minor"] is None

    @pytest.mark.parametrize(("args", "field"), [
        ((-1, 1, 1, 1), "revenue_minor"), ((1, -1, 1, 1), "cost_per_person_day_minor"),
        ((1, 1, -1, 1), "person_days"), ((1, 1, 1, -1), "agreement_people"),
    ])
    def test_refuses_negative_inputs(self, args: tuple[int, int, int, int], field: str) -> None:
        with pytest.raises(BillingError) as err:
            sustainability(*args)
        assert err.value.field == field

    def test_refuses_an_empty_population(self) -> None:
        with pytest.raises(BillingError) as err:
            reported_cost_per_person_day(1, 0)
        assert err.value.field == "population"
