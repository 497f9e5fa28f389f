from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts.models import User
from agent import selectors
from agent.errors import ApplicationError, NotFound, PermissionDenied
from agent.models import Expense, Invoice
from agent.selectors import ExpenseFilters, RevenueFilters, period_range
from tests.agent.factories import customer, expense, invoice, person, revenue

pytestmark = pytest.mark.django_db

WEDNESDAY = date(2026, 3, 4)


@pytest.fixture
def ana():
    return person(first_name="Ana", last_name="Lima", phone="+4915112345678")


@pytest.fixture
def ben():
    return person(first_name="Ben", last_name="Ortiz")


@pytest.fixture
def boss():
    return person(role=User.Role.MANAGER, first_name="Maya", last_name="Boss")


@pytest.fixture
def client_user():
    return person(role=User.Role.CUSTOMER, first_name="Carla")


def ids(records) -> set[int]:
    return {r.pk for r in records}


# --- periods --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, expected", [
    ("today", (date(2026, 3, 4), date(2026, 3, 4))),
    ("yesterday", (date(2026, 3, 3), date(2026, 3, 3))),
    ("this week", (date(2026, 3, 2), date(2026, 3, 8))),
    ("last week", (date(2026, 2, 23), date(2026, 3, 1))),
    ("this month", (date(2026, 3, 1), date(2026, 3, 31))),
    ("last month", (date(2026, 2, 1), date(2026, 2, 28))),
    ("this year", (date(2026, 1, 1), date(2026, 12, 31))),
    ("last year", (date(2025, 1, 1), date(2025, 12, 31))),
    ("last 7 days", (date(2026, 2, 26), date(2026, 3, 4))),
    ("last 30 days", (date(2026, 2, 3), date(2026, 3, 4))),
])
def test_each_named_period_is_a_range_of_days_both_ends_included(name, expected):
    assert period_range(name, WEDNESDAY) == expected


def test_last_month_in_january_is_december_of_the_year_before():
    assert period_range("last month", date(2026, 1, 15)) == (date(2025, 12, 1), date(2025, 12, 31))


def test_period_names_are_read_loosely():
    assert period_range("Last_Month", WEDNESDAY) == period_range("last month", WEDNESDAY)


def test_an_unknown_period_is_refused_naming_the_known_ones():
    with pytest.raises(ApplicationError, match="last month"):
        period_range("the other day", WEDNESDAY)


# --- who sees which expenses -------------------------------------------------------------------------------
def test_staff_see_only_their_own_expenses(ana, ben):
    own = expense(by=ana)
    expense(by=ben)
    assert ids(selectors.expenses_visible_to(ana)) == {own.pk}


def test_managers_see_everyones_expenses(ana, ben, boss):
    both = {expense(by=ana).pk, expense(by=ben).pk}
    assert ids(selectors.expenses_visible_to(boss)) == both


@pytest.mark.parametrize("who", ["customer", "inactive", "anonymous", "nobody"])
def test_customers_inactive_and_anonymous_users_see_no_expenses(who, ana):
    expense(by=ana)
    user = {"customer": lambda: person(role=User.Role.CUSTOMER),
            "inactive": lambda: person(role=User.Role.MANAGER, active=False),
            "anonymous": AnonymousUser, "nobody": lambda: None}[who]()
    assert not selectors.expenses_visible_to(user).exists()


def test_staff_cannot_list_another_persons_expenses_by_naming_them(ana, ben):
    expense(by=ben)
    with pytest.raises(PermissionDenied):
        list(selectors.expense_list(user=ana, filters=ExpenseFilters(submitted_by_id=ben.pk)))


def test_staff_may_name_themselves(ana, ben):
    own = expense(by=ana)
    expense(by=ben)
    assert ids(selectors.expense_list(user=ana, filters=ExpenseFilters(submitted_by_id=ana.pk))) == {own.pk}


def test_a_manager_can_list_one_persons_expenses(ana, ben, boss):
    bens = expense(by=ben)
    expense(by=ana)
    assert ids(selectors.expense_list(user=boss, filters=ExpenseFilters(submitted_by_id=ben.pk))) == {bens.pk}


def test_staff_cannot_get_another_persons_expense_by_id(ana, ben):
    other = expense(by=ben)
    with pytest.raises(NotFound, match=f"#{other.pk} not found"):
        selectors.expense_get(user=ana, expense_id=other.pk)


# --- expense filters ---------------------------------------------------------------------------------------
def test_a_named_period_filters_on_the_date_spent(ana):
    march = expense(by=ana, spent_on=date(2026, 3, 2))
    expense(by=ana, spent_on=date(2026, 2, 27))
    found = selectors.expense_list(user=ana, filters=ExpenseFilters(period="this month"), today=WEDNESDAY)
    assert ids(found) == {march.pk}


def test_an_explicit_date_range_includes_both_ends(ana):
    first = expense(by=ana, spent_on=date(2026, 2, 1))
    last = expense(by=ana, spent_on=date(2026, 2, 10))
    expense(by=ana, spent_on=date(2026, 2, 11))
    found = selectors.expense_list(user=ana, filters=ExpenseFilters(date_from="2026-02-01", date_to=date(2026, 2, 10)))
    assert ids(found) == {first.pk, last.pk}


def test_a_start_after_the_end_is_refused(ana):
    with pytest.raises(ApplicationError, match="after the end"):
        selectors.expense_list(user=ana, filters=ExpenseFilters(date_from="2026-02-10", date_to="2026-02-01"))


def test_a_category_filter_understands_common_words(ana):
    fuel = expense(by=ana, category=Expense.Category.FUEL)
    expense(by=ana, category=Expense.Category.MEALS)
    assert ids(selectors.expense_list(user=ana, filters=ExpenseFilters(category="Petrol"))) == {fuel.pk}


def test_an_unknown_category_is_refused_naming_the_list(ana):
    with pytest.raises(ApplicationError, match="travel, fuel, meals"):
        selectors.expense_list(user=ana, filters=ExpenseFilters(category="spaceships"))


def test_a_status_filter_keeps_that_status_only(ana):
    approved = expense(by=ana, status=Expense.Status.APPROVED)
    expense(by=ana)
    assert ids(selectors.expense_list(user=ana, filters=ExpenseFilters(status="approved"))) == {approved.pk}


def test_text_matches_the_merchant_or_the_description_in_any_case(ana):
    by_merchant = expense(by=ana, merchant="Shell Station")
    by_description = expense(by=ana, description="shell card top-up")
    expense(by=ana, merchant="Aral")
    assert ids(selectors.expense_list(user=ana, filters=ExpenseFilters(text="SHELL"))) == {by_merchant.pk,
                                                                                           by_description.pk}


def test_amount_bounds_apply_to_the_gross_and_read_written_amounts(ana):
    expense(by=ana, net="10.00", gross="11.90")
    middle = expense(by=ana, net="100.00", gross="119.00")
    expense(by=ana, net="1000.00", gross="1190.00")
    found = selectors.expense_list(user=ana, filters=ExpenseFilters(amount_min="11,91", amount_max="1.189,99"))
    assert ids(found) == {middle.pk}


# --- totals and summaries ---------------------------------------------------------------------------------
def test_totals_are_per_currency_with_tax(ana):
    expense(by=ana, net="10.00", gross="11.90")
    expense(by=ana, net="20.00", gross="23.80")
    expense(by=ana, net="5.00", gross="5.00", tax_rate="0", currency="USD")
    assert selectors.expense_totals(selectors.expense_list(user=ana)) == [
        {"currency": "EUR", "count": 2, "net": Decimal("30.00"), "tax": Decimal("5.70"), "gross": Decimal("35.70")},
        {"currency": "USD", "count": 1, "net": Decimal("5.00"), "tax": Decimal("0.00"), "gross": Decimal("5.00")},
    ]


def test_totals_of_nothing_are_an_empty_list(ana):
    assert selectors.expense_totals(selectors.expense_list(user=ana)) == []


def test_a_summary_by_category_puts_the_largest_first(ana):
    expense(by=ana, category="fuel", net="10.00", gross="11.90")
    expense(by=ana, category="travel", net="100.00", gross="119.00")
    expense(by=ana, category="fuel", net="10.00", gross="11.90")
    rows = selectors.expense_summary(user=ana, group_by="category")
    assert [(r["group"], r["count"], r["gross"]) for r in rows] == [("travel", 1, Decimal("119.00")),
                                                                    ("fuel", 2, Decimal("23.80"))]


def test_a_summary_by_month_is_in_date_order(ana):
    expense(by=ana, spent_on=date(2026, 2, 14), net="20.00", gross="23.80")
    expense(by=ana, spent_on=date(2026, 1, 5))
    expense(by=ana, spent_on=date(2026, 1, 31))
    rows = selectors.expense_summary(user=ana, group_by="month")
    assert [(r["group"], r["label"], r["count"], r["net"]) for r in rows] == [
        ("2026-01", "January 2026", 2, Decimal("20.00")), ("2026-02", "February 2026", 1, Decimal("20.00"))]


def test_a_staff_summary_counts_only_their_own_expenses(ana, ben):
    expense(by=ana)
    expense(by=ben, net="500.00", gross="595.00")
    rows = selectors.expense_summary(user=ana, group_by="category")
    assert [(r["count"], r["gross"]) for r in rows] == [(1, Decimal("11.90"))]


def test_a_manager_can_summarise_by_person(ana, ben, boss):
    expense(by=ana)
    expense(by=ben, net="100.00", gross="119.00")
    rows = selectors.expense_summary(user=boss, group_by="person")
    assert [(r["group"], r["label"], r["gross"]) for r in rows] == [(ben.pk, "Ben Ortiz", Decimal("119.00")),
                                                                    (ana.pk, "Ana Lima", Decimal("11.90"))]


def test_staff_cannot_summarise_by_person(ana):
    with pytest.raises(PermissionDenied):
        selectors.expense_summary(user=ana, group_by="person")


def test_an_unknown_grouping_is_refused(ana):
    with pytest.raises(ApplicationError, match="category, month, person"):
        selectors.expense_summary(user=ana, group_by="merchant")


# --- revenue and profit ---------------------------------------------------------------------------------
def test_staff_see_all_revenue(ana, ben):
    bens = revenue(by=ben)
    assert ids(selectors.revenue_list(user=ana)) == {bens.pk}


def test_customers_see_no_revenue(ana, client_user):
    revenue(by=ana)
    assert not selectors.revenue_list(user=client_user).exists()


def test_revenue_text_matches_the_customers_company(ana):
    from_acme = revenue(by=ana, customer=customer(company_name="Acme GmbH"))
    revenue(by=ana, description="cash sale")
    found = selectors.revenue_list(user=ana, filters=RevenueFilters(text="acme"))
    assert ids(found) == {from_acme.pk}
    assert selectors.revenue_totals(found)[0]["gross"] == Decimal("119.00")


def test_profit_is_revenue_minus_pending_and_approved_expenses_per_currency(ana, ben):
    revenue(by=ana, net="1000.00", gross="1190.00", received_on=date(2026, 3, 1))
    expense(by=ana, net="100.00", gross="119.00", spent_on=date(2026, 3, 2))
    expense(by=ben, net="50.00", gross="59.50", spent_on=date(2026, 3, 2), status=Expense.Status.APPROVED)
    expense(by=ben, net="70.00", gross="83.30", spent_on=date(2026, 3, 2), status=Expense.Status.REJECTED)
    expense(by=ana, net="10.00", gross="10.00", tax_rate="0", currency="USD", spent_on=date(2026, 3, 3))
    summary = selectors.profit_summary(user=ana, period="this month", today=WEDNESDAY)
    assert summary == {
        "EUR": {"revenue_net": Decimal("1000.00"), "revenue_gross": Decimal("1190.00"),
                "expenses_net": Decimal("150.00"), "expenses_gross": Decimal("178.50"),
                "profit_net": Decimal("850.00")},
        "USD": {"revenue_net": Decimal("0.00"), "revenue_gross": Decimal("0.00"),
                "expenses_net": Decimal("10.00"), "expenses_gross": Decimal("10.00"),
                "profit_net": Decimal("-10.00")},
    }


def test_profit_counts_only_the_dates_asked_for(ana):
    revenue(by=ana, net="1000.00", gross="1190.00", received_on=date(2026, 2, 28))
    revenue(by=ana, net="200.00", gross="238.00", received_on=date(2026, 3, 1))
    summary = selectors.profit_summary(user=ana, date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))
    assert summary["EUR"]["profit_net"] == Decimal("200.00")


def test_customers_cannot_see_the_profit(client_user):
    with pytest.raises(PermissionDenied):
        selectors.profit_summary(user=client_user, period="this month")


# --- customers and people --------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["acme", "Jane", "billing@acme", "+49 30 1234", "301234"])
def test_a_customer_is_found_by_company_contact_email_or_phone(query, ana):
    acme = customer(company_name="Acme GmbH", contact_name="Jane Roe", email="billing@acme.example",
                    phone="+49301234567")
    customer(company_name="Globex", phone="+14155550100")
    assert ids(selectors.customer_find(user=ana, query=query)) == {acme.pk}


def test_customers_cannot_look_up_customers(client_user):
    with pytest.raises(PermissionDenied):
        selectors.customer_find(user=client_user, query="acme")


def test_a_person_is_found_by_full_name(ana, ben):
    assert selectors.person_find(query="ana lima") == ana


def test_a_person_is_found_by_phone_number(ana, ben):
    assert selectors.person_find(query="+49 151 12345678") == ana


def test_a_name_several_people_share_is_refused_naming_them(ana):
    person(first_name="Ana", last_name="Souza")
    with pytest.raises(ApplicationError, match="Ana Lima.*Ana Souza|Ana Souza.*Ana Lima"):
        selectors.person_find(query="ana")


def test_customers_are_not_people_to_find(client_user):
    with pytest.raises(NotFound):
        selectors.person_find(query="carla")


# --- invoices --------------------------------------------------------------------------------------------
def test_a_customer_sees_only_the_invoices_of_the_customer_linked_to_them(ana, client_user):
    theirs = invoice(to=customer(company_name="Carla's Cafe", user=client_user), by=ana)
    invoice(to=customer(company_name="Globex"), by=ana)
    assert ids(selectors.invoices_visible_to(client_user)) == {theirs.pk}


def test_a_customer_never_sees_draft_invoices(ana, client_user):
    cafe = customer(company_name="Carla's Cafe", user=client_user)
    invoice(to=cafe, by=ana, status=Invoice.Status.DRAFT)
    assert not selectors.invoices_visible_to(client_user).exists()


def test_a_customer_cannot_get_another_customers_invoice_by_id(ana, client_user):
    other = invoice(to=customer(company_name="Globex"), by=ana)
    with pytest.raises(NotFound):
        selectors.invoice_get(user=client_user, invoice_id=other.pk)


def test_staff_see_every_invoice(ana, ben):
    bens = invoice(to=customer(), by=ben)
    assert ids(selectors.invoices_visible_to(ana)) == {bens.pk}


def test_invoice_states_list_open_overdue_paid_and_all(ana):
    today, acme = timezone.localdate(), customer()
    late = invoice(to=acme, by=ana, issued_on=today - timedelta(days=30), due_on=today - timedelta(days=2))
    current = invoice(to=acme, by=ana, issued_on=today)
    paid = invoice(to=acme, by=ana, status=Invoice.Status.PAID)
    void = invoice(to=acme, by=ana, status=Invoice.Status.VOID)
    assert [i.pk for i in selectors.invoice_list(user=ana, state="open")] == [late.pk, current.pk]
    assert ids(selectors.invoice_list(user=ana, state="overdue")) == {late.pk}
    assert ids(selectors.invoice_list(user=ana, state="paid")) == {paid.pk}
    assert ids(selectors.invoice_list(user=ana, state="all")) == {late.pk, current.pk, paid.pk, void.pk}


def test_invoices_can_be_listed_for_one_customer(ana):
    acme_invoice = invoice(to=customer(company_name="Acme"), by=ana)
    invoice(to=customer(company_name="Globex"), by=ana)
    assert ids(selectors.invoice_list(user=ana, state="all", customer_id=acme_invoice.customer_id)) == {acme_invoice.pk}


def test_an_unknown_invoice_state_is_refused(ana):
    with pytest.raises(ApplicationError, match="open, overdue, paid, all"):
        selectors.invoice_list(user=ana, state="lost")


def test_my_invoices_shows_what_is_outstanding_per_currency(ana, client_user):
    cafe = customer(company_name="Carla's Cafe", user=client_user)
    invoice(to=cafe, by=ana, net="100.00", gross="119.00")
    invoice(to=cafe, by=ana, net="200.00", gross="238.00")
    invoice(to=cafe, by=ana, status=Invoice.Status.PAID)
    invoice(to=cafe, by=ana, status=Invoice.Status.DRAFT)
    invoice(to=customer(company_name="Globex"), by=ana)
    invoices, outstanding = selectors.my_invoices(user=client_user)
    assert invoices.count() == 3
    assert outstanding == [{"currency": "EUR", "count": 2, "net": Decimal("300.00"), "tax": Decimal("57.00"),
                            "gross": Decimal("357.00")}]


def test_my_invoices_is_empty_for_someone_without_a_role():
    invoices, outstanding = selectors.my_invoices(user=AnonymousUser())
    assert (list(invoices), outstanding) == ([], [])
