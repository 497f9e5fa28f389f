"""Money, phone numbers, dates and times as people read them (config/display.py): one format each,
the active locale's, in the business time zone."""

from datetime import date, datetime
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils import translation

from config.display import local_date, local_datetime, local_time, money, month, phone, round_cents

MOMENT = datetime(2026, 11, 30, 15, 18, 40, tzinfo=dt_timezone.utc)


# --- money ----------------------------------------------------------------------------------------
def test_money_shows_the_currency_code_and_thousands_with_two_decimals():
    assert money(Decimal("1190"), "EUR") == "EUR 1,190.00"


def test_money_shows_whole_amounts_with_cents():
    assert money(2000, "USD") == "USD 2,000.00"


def test_money_shows_a_database_sum_with_its_extra_places_as_cents():
    assert money(Decimal("386.420000000000"), "EUR") == "EUR 386.42"


def test_money_rounds_half_up():
    assert money(Decimal("0.125"), "USD") == "USD 0.13"
    assert round_cents(Decimal("2.675")) == Decimal("2.68")


def test_money_groups_and_separates_as_the_active_locale_does():
    with translation.override("de"):
        assert money(Decimal("1190.5"), "EUR") == "EUR 1.190,50"


def test_money_without_an_amount_is_a_dash():
    assert money(None, "EUR") == "—"


# --- phone numbers --------------------------------------------------------------------------------
@pytest.mark.parametrize("stored", ["+15550104420", "15550104420"])
def test_a_phone_number_is_shown_in_international_format(stored):
    assert phone(stored) == "+1 555-010-4420"


def test_a_phone_number_of_another_country_is_grouped_as_that_country_groups_it():
    assert phone("+4930123456") == "+49 30 123456"


def test_what_is_not_a_phone_number_is_shown_as_it_is():
    assert phone("US.13491208655302741918") == "US.13491208655302741918"
    assert phone("") == "—"


# --- dates and times ------------------------------------------------------------------------------
def test_dates_and_times_use_the_active_locale_formats():
    assert local_date(date(2026, 11, 30)) == "Nov. 30, 2026"
    assert local_time(MOMENT) == "3:18 p.m."
    assert local_datetime(MOMENT) == "Nov. 30, 2026, 3:18 p.m."
    assert month(date(2026, 11, 1)) == "November 2026"


def test_another_locale_gets_its_own_formats():
    with translation.override("de"):
        assert local_date(date(2026, 11, 30)) == "30. November 2026"
        assert local_time(MOMENT) == "15:18"


@override_settings(TIME_ZONE="America/New_York")
def test_moments_are_shown_in_the_business_time_zone():
    late = datetime(2026, 12, 1, 2, 0, tzinfo=dt_timezone.utc)  # still Nov 30 in New York
    assert local_time(late) == "9 p.m."
    assert local_date(late) == "Nov. 30, 2026"


def test_the_template_filters_are_the_same_functions():
    rendered = Template(
        "{% load display %}{{ gross|money:'EUR' }} | {{ number|phone }} | {{ at|local_datetime }} | "
        "{{ at|local_time }} | {{ day|local_date }} | {{ day|month }}"
    ).render(Context({"gross": Decimal("1613.580000000000"), "number": "+15550104420", "at": MOMENT,
                      "day": date(2026, 11, 30)}))
    assert rendered == ("EUR 1,613.58 | +1 555-010-4420 | Nov. 30, 2026, 3:18 p.m. | 3:18 p.m. | "
                        "Nov. 30, 2026 | November 2026")
