from datetime import date, timedelta

import pytest
from django.utils import timezone

from agent import reports
from agent.admin.charts import bar_chart, grouped_bar_chart
from agent.models import Expense
from config.display import local_date
from tests.agent.admin_support import admin_manager, admin_staff, group_staff
from tests.agent.factories import customer, expense, invoice, revenue

pytestmark = pytest.mark.django_db
URL = "/admin/dashboard/"


@pytest.fixture
def boss():
    return admin_manager()


@pytest.fixture
def books(boss):
    today = timezone.localdate()
    sam = admin_staff()
    expense(by=sam, category="fuel", net="100.00", gross="119.00", spent_on=today)
    expense(by=sam, category="meals", net="10.00", gross="11.90", spent_on=today, status=Expense.Status.APPROVED)
    expense(by=sam, category="rent", net="500.00", gross="595.00", spent_on=today, status=Expense.Status.REJECTED)
    revenue(by=boss, net="1000.00", gross="1190.00", received_on=today)
    acme = customer()
    invoice(to=acme, by=boss, issued_on=today - timedelta(days=40), due_on=today - timedelta(days=5), gross="238.00",
            net="200.00")
    return today


def test_the_dashboard_for_a_manager_shows_svg_charts_and_figures(client, boss, books):
    client.force_login(boss)
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<svg class=\"chart") == 3
    assert "Fuel" in page and "Meals and entertainment" in page and "Rent" not in page  # rejected is not spend
    by_category = str(response.context["charts"][0]["by_category"])
    assert "Fuel: EUR 119.00" in by_category and "Meals and entertainment: EUR 11.90" in by_category
    assert by_category in page  # inline, as drawn
    profit = str(response.context["charts"][0]["profit"])
    assert "Revenue (net): EUR 1,000.00" in profit and "Expenses (net): EUR 110.00" in profit
    assert "Profit: EUR 890.00" in profit
    assert "Revenue against expenses by month" in page
    assert response.context["pending_count"] == 1
    assert response.context["overdue_count"] == 1
    assert "/admin/agent/expense/?status__exact=pending" in page and "/admin/agent/invoice/?overdue=yes" in page
    [tax] = response.context["tax"]
    assert (str(tax["collected"]), str(tax["paid"]), str(tax["balance"])) == ("190.00", "20.90", "169.10")
    assert "cdn" not in page.lower() and "<script src=\"http" not in page


def test_the_period_selector(client, boss, books):
    client.force_login(boss)
    response = client.get(URL, {"period": "last_12_months"})
    assert response.context["period"] == "last_12_months"
    assert len(response.context["charts"][0]["months"]) == 12
    last_month = client.get(URL, {"period": "last_month"})
    assert last_month.context["tax"] == [] and "<svg class=\"chart" not in last_month.content.decode()


def test_a_user_without_view_dashboard_gets_403(client):
    client.force_login(admin_staff())
    assert client.get(URL).status_code == 403


def test_the_staff_group_gets_403(client):
    client.force_login(group_staff())
    assert client.get(URL).status_code == 403
    assert 'href="/admin/dashboard/"' not in client.get("/admin/").content.decode()


def test_anonymous_users_are_sent_to_log_in(client):
    assert client.get(URL).status_code == 302


def test_the_index_links_to_the_dashboard_for_managers(client, boss):
    client.force_login(boss)
    assert 'href="/admin/dashboard/"' in client.get("/admin/").content.decode()


def test_dashboard_periods():
    today = date(2026, 3, 15)
    assert reports.dashboard_period("last_month", today)[1:] == (date(2026, 2, 1), date(2026, 2, 28))
    assert reports.dashboard_period("this_year", today)[1:] == (date(2026, 1, 1), date(2026, 12, 31))
    assert reports.dashboard_period("last_12_months", today)[1:] == (date(2025, 4, 1), date(2026, 3, 31))
    assert reports.dashboard_period("bogus", today)[0] == "this_month"


def test_charts_escape_labels_and_draw_negative_bars():
    svg = bar_chart([("<b>", 5)], title="T")
    assert svg.startswith("<svg") and "&lt;b&gt;" in svg
    grouped = grouped_bar_chart([("Jan", [10, 20, -10])], ["Revenue", "Expenses", "Profit"])
    assert grouped.count("<rect") == 3 + 3 and "Profit" in grouped


def test_the_dashboard_shows_every_amount_with_its_currency_and_cents(client, boss):
    today = timezone.localdate()
    sam = admin_staff()
    # SQLite sums decimals as floats: 193.21 + 193.21 came back as 386.420000000000.
    expense(by=sam, category="fuel", net="193.21", gross="229.92", spent_on=today)
    expense(by=sam, category="fuel", net="193.21", gross="229.92", spent_on=today)
    revenue(by=boss, net="2000", gross="2380", received_on=today)
    client.force_login(boss)
    response = client.get(URL)
    [row] = [m for m in response.context["charts"][0]["months"] if m["month"] == today.replace(day=1)]
    assert (str(row["expenses_net"]), str(row["revenue_net"]), str(row["profit"])) == ("386.42", "2000.00", "1613.58")
    page = response.content.decode()
    start_of_table = page.index('<table class="profit-table">')
    table = page[start_of_table:page.index("</table>", start_of_table)]
    assert "<td>EUR 2,000.00</td><td>EUR 386.42</td>" in table and ">EUR 1,613.58</td>" in table
    assert "Revenue EUR 2,380.00 gross (1)" in page and "Expenses EUR 459.84 gross (2)" in page
    assert "Collected EUR 380.00, paid EUR 73.42, balance <strong>EUR 306.58</strong>" in page
    assert "386.420000" not in page and "2000<" not in page
    start, end = response.context["start"], response.context["end"]
    assert f"{local_date(start)} to {local_date(end)}" in page  # the locale's date format
