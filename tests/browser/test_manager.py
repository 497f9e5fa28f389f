"""A manager in a real browser: approves an expense and sees the total change; opens the dashboard."""

from datetime import date

import pytest

from agent.models import Expense
from tests.agent import factories
from tests.agent.admin_support import admin_manager
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def manager():
    user = admin_manager()
    user.set_password("correct horse battery")
    user.save()
    return user


def test_a_manager_approves_an_expense_and_the_pending_total_drops(page, manager, screenshot):
    staff = factories.person(first_name="Ann", phone="+16505551234")
    fuel = factories.expense(by=staff, category="fuel", gross="23.80", net="20.00", description="Diesel")
    factories.expense(by=staff, category="meals", gross="11.90", net="10.00", description="Lunch")

    log_in(page, manager.username, "correct horse battery")
    page.goto("/admin/agent/expense/?status__exact=pending")
    assert "35.70" in page.inner_text("#filtered-totals")
    screenshot(page, "pending-before")

    page.locator("#result_list tbody tr", has_text="Fuel").locator("a.review-link").click()
    page.fill("#id_note", "Fine, thanks")
    page.click("#approve-button")
    page.wait_for_selector(".messagelist")
    totals = page.inner_text("#filtered-totals")
    screenshot(page, "pending-after")

    assert "11.90" in totals and "35.70" not in totals
    fuel.refresh_from_db()
    assert fuel.status == Expense.Status.APPROVED and fuel.review_note == "Fine, thanks"


def test_a_manager_opens_the_dashboard_with_its_charts(page, manager, screenshot):
    staff = factories.person(first_name="Ann")
    factories.expense(by=staff, category="fuel", gross="23.80", net="20.00", spent_on=date.today())
    factories.expense(by=staff, category="software", gross="119.00", net="100.00", spent_on=date.today())

    log_in(page, manager.username, "correct horse battery")
    page.click("text=Open the dashboard")
    page.wait_for_selector("svg.chart")
    screenshot(page, "dashboard")

    charts = page.locator("svg.chart")
    assert charts.count() >= 3
    svg = charts.first.inner_html()
    assert "fuel" in svg.lower() and "software" in svg.lower()
    assert page.locator("#pending-reviews").inner_text().strip()
