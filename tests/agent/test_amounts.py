from decimal import Decimal

import pytest

from agent.amounts import Amounts, parse_currency, parse_decimal, parse_tax_rate, resolve_amounts
from config.display import money
from agent.errors import ApplicationError

RATE = Decimal("0.19")


# --- parse_decimal ----------------------------------------------------------------------------------
def test_a_plain_decimal_point_amount_is_read_exactly():
    assert parse_decimal("42.50") == Decimal("42.50")


def test_a_european_amount_with_dot_thousands_and_decimal_comma_is_read():
    assert parse_decimal("1.234,50") == Decimal("1234.50")


def test_an_english_amount_with_comma_thousands_and_decimal_point_is_read():
    assert parse_decimal("1,234.50") == Decimal("1234.50")


def test_a_lone_decimal_comma_is_read_as_decimals():
    assert parse_decimal("12,5") == Decimal("12.5")


def test_a_lone_comma_followed_by_three_digits_is_a_thousands_separator():
    assert parse_decimal("1,190") == Decimal("1190")


def test_zero_comma_three_digits_is_a_decimal_not_thousands():
    assert parse_decimal("0,500") == Decimal("0.5")


def test_a_lone_dot_is_always_the_decimal_point():
    assert parse_decimal("1.190") == Decimal("1.19")


def test_repeated_separators_group_thousands():
    assert parse_decimal("1.234.567") == Decimal("1234567")


def test_spaces_and_apostrophes_group_thousands():
    assert parse_decimal("1 234.50") == parse_decimal("1\u00a0234,50") == parse_decimal("1'234.50") == Decimal("1234.50")


@pytest.mark.parametrize("text", ["€42.50", "42.50 EUR", "EUR 42.50", "42,50 €", "$42.50", "usd 42.50"])
def test_currency_symbols_and_codes_around_the_number_are_ignored(text):
    assert parse_decimal(text) == Decimal("42.50")


def test_what_money_prints_reads_back():
    assert parse_decimal(money(Decimal("1190"), "EUR")) == Decimal("1190.00")


def test_a_negative_sign_is_kept():
    assert parse_decimal("-5,25") == Decimal("-5.25")


def test_decimals_and_ints_pass_through_unchanged():
    assert parse_decimal(Decimal("0.10")) == Decimal("0.10")
    assert parse_decimal(7) == Decimal(7)


def test_a_float_is_read_from_its_shortest_text_not_its_binary_value():
    assert parse_decimal(0.1) == Decimal("0.1")


@pytest.mark.parametrize("garbage", [
    "", "   ", "abc", "twelve euros", "12..5", "1,23,4", "1.2.3,4", "--5", "42.", "1e5", "nan", "inf",
    "12 34", "1,234.567.89", None, True, [1], Decimal("NaN"),
])
def test_garbage_is_refused_with_a_readable_message(garbage):
    with pytest.raises(ApplicationError, match="is not an amount"):
        parse_decimal(garbage)


# --- tax rates and currencies -------------------------------------------------------------------------
@pytest.mark.parametrize("written", [Decimal("0.19"), "0.19", "19%", "19 %", 19, "19", "0,19"])
def test_a_tax_rate_is_accepted_as_a_fraction_or_a_percentage(written):
    assert parse_tax_rate(written) == Decimal("0.1900")


def test_a_fractional_percentage_keeps_its_decimals():
    assert parse_tax_rate("7.7%") == Decimal("0.0770")


def test_a_zero_tax_rate_is_allowed():
    assert parse_tax_rate(0) == Decimal("0")


@pytest.mark.parametrize("written", ["100%", "-5%", 150, "-0.1"])
def test_a_tax_rate_outside_zero_to_one_hundred_percent_is_refused(written):
    with pytest.raises(ApplicationError, match="not a tax rate"):
        parse_tax_rate(written)


def test_a_tax_rate_with_more_than_four_decimals_as_fraction_is_refused():
    with pytest.raises(ApplicationError, match="too many decimals"):
        parse_tax_rate("19.125%")


def test_currency_symbols_and_lowercase_codes_become_iso_codes():
    assert parse_currency("€", default="USD") == "EUR"
    assert parse_currency("gbp", default="USD") == "GBP"


def test_no_currency_means_the_default():
    assert parse_currency("", default="EUR") == "EUR"


def test_a_currency_that_is_not_three_letters_is_refused():
    with pytest.raises(ApplicationError, match="not a currency"):
        parse_currency("euro", default="EUR")


# --- resolve_amounts ----------------------------------------------------------------------------------
def test_net_and_rate_give_gross():
    assert resolve_amounts(net="100", tax_rate="19%", default_tax_rate=RATE) == Amounts(
        net=Decimal("100.00"), tax_rate=Decimal("0.1900"), gross=Decimal("119.00"))


def test_gross_and_rate_give_net():
    assert resolve_amounts(gross="11.90", tax_rate="0.19", default_tax_rate=RATE).net == Decimal("10.00")


def test_net_and_gross_give_the_rate():
    assert resolve_amounts(net="100", gross="107", default_tax_rate=RATE).tax_rate == Decimal("0.0700")


def test_net_alone_uses_the_default_rate():
    amounts = resolve_amounts(net="10", default_tax_rate=RATE)
    assert (amounts.tax_rate, amounts.gross) == (Decimal("0.1900"), Decimal("11.90"))


def test_gross_alone_uses_the_default_rate():
    amounts = resolve_amounts(gross="1.190,00", default_tax_rate=RATE)
    assert (amounts.net, amounts.tax_rate) == (Decimal("1000.00"), Decimal("0.1900"))


def test_tax_is_gross_minus_net():
    assert resolve_amounts(net="42.50", default_tax_rate=RATE).tax == Decimal("8.08")


def test_a_derived_gross_is_rounded_half_up_not_to_even():
    # 0.50 * 1.05 = 0.525: half up gives 0.53 where banker's rounding would give 0.52.
    assert resolve_amounts(net="0.50", tax_rate="5%", default_tax_rate=RATE).gross == Decimal("0.53")


def test_a_derived_net_is_rounded_to_cents():
    assert resolve_amounts(gross="10", tax_rate="19%", default_tax_rate=RATE).net == Decimal("8.40")


def test_given_amounts_with_more_than_two_decimals_are_rounded_half_up():
    assert resolve_amounts(net="2.675", tax_rate=0, default_tax_rate=RATE).net == Decimal("2.68")


def test_all_three_given_and_consistent_within_a_cent_are_kept():
    amounts = resolve_amounts(net="8.40", gross="10.00", tax_rate="19%", default_tax_rate=RATE)
    assert (amounts.net, amounts.gross) == (Decimal("8.40"), Decimal("10.00"))


def test_all_three_given_but_inconsistent_are_refused():
    with pytest.raises(ApplicationError, match="Give only two"):
        resolve_amounts(net="100", gross="120", tax_rate="19%", default_tax_rate=RATE)


def test_gross_below_net_is_refused():
    with pytest.raises(ApplicationError, match="cannot be less than the net"):
        resolve_amounts(net="100", gross="90", default_tax_rate=RATE)


@pytest.mark.parametrize("amount", ["0", "-5", "0.001"])
def test_amounts_must_be_more_than_zero(amount):
    with pytest.raises(ApplicationError, match="more than zero"):
        resolve_amounts(net=amount, default_tax_rate=RATE)


def test_neither_net_nor_gross_is_refused():
    with pytest.raises(ApplicationError, match="net or the gross"):
        resolve_amounts(tax_rate="19%", default_tax_rate=RATE)


def test_an_empty_string_counts_as_not_given():
    assert resolve_amounts(net="10", gross="", tax_rate=" ", default_tax_rate=RATE).gross == Decimal("11.90")


def test_an_amount_larger_than_the_books_can_hold_is_refused():
    with pytest.raises(ApplicationError, match="too large"):
        resolve_amounts(gross="99999999999999", default_tax_rate="0.19")
