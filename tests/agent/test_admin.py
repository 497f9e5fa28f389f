import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from agent.models import Expense, Invoice
from config.display import local_date
from tests.agent.admin_support import admin_manager, admin_staff, group_staff
from tests.agent.factories import customer, expense, invoice, revenue

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/agent/expense/"


@pytest.fixture
def boss():
    return admin_manager()


@pytest.fixture
def sam():
    return admin_staff()


@pytest.fixture
def ana():
    return admin_staff(phone="+4915100000003", first_name="Ana")


def totals(response):
    return [(row["currency"], row["count"], row["gross"]) for row in response.context["totals"]]


# --- how the lists read: money with its currency, numbers and dates in one format -----------------
def cells(page: str, css_class: str) -> list[str]:
    """The text of a list's column, cell by cell (tags left out)."""
    return [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(rf'<td class="{css_class}">(.*?)</td>', page)]


def test_the_expense_list_shows_each_amount_with_its_currency_and_cents(client, boss, sam):
    expense(by=sam, net="1000", gross="1190", spent_on=date(2026, 11, 30))
    client.force_login(boss)
    page = client.get(CHANGELIST).content.decode()
    assert cells(page, "field-net_amount") == ["EUR 1,000.00"]
    assert cells(page, "field-gross_amount") == ["EUR 1,190.00"]
    assert "Nov. 30, 2026" in page  # the date column in the locale's format


def test_the_revenue_invoice_and_customer_lists_show_money_and_numbers_as_people_read_them(client, boss):
    acme = customer(phone="+15550104430")
    revenue(by=boss, net="2000", gross="2380", customer=acme)
    invoice(to=acme, by=boss, net="200", gross="238", currency="USD")
    client.force_login(boss)
    revenue_page = client.get("/admin/agent/revenue/").content.decode()
    assert cells(revenue_page, "field-gross_amount") == ["EUR 2,380.00"]
    invoices_page = client.get("/admin/agent/invoice/").content.decode()
    assert cells(invoices_page, "field-net_amount") == ["USD 200.00"]
    assert cells(invoices_page, "field-gross_amount") == ["USD 238.00"]
    customers_page = client.get("/admin/agent/customer/").content.decode()
    assert cells(customers_page, "field-phone_shown") == ["+1 555-010-4430"]


# --- expenses: list and totals --------------------------------------------------------------------
def test_the_total_of_the_filtered_list_changes_with_the_filters(client, boss, sam):
    expense(by=sam, category="fuel", net="10.00", gross="11.90")
    expense(by=sam, category="meals", net="20.00", gross="23.80")
    expense(by=boss, category="fuel", net="100.00", gross="119.00", status=Expense.Status.APPROVED)
    client.force_login(boss)
    response = client.get(CHANGELIST, {"status__exact": "all"})
    assert totals(response) == [("EUR", 3, Decimal("154.70"))]
    assert "EUR 154.70" in response.content.decode()
    assert totals(client.get(CHANGELIST, {"category__exact": "fuel", "status__exact": "all"})) == [
        ("EUR", 2, Decimal("130.90"))]
    assert totals(client.get(CHANGELIST, {"status__exact": "pending"})) == [("EUR", 2, Decimal("35.70"))]
    assert totals(client.get(CHANGELIST, {"submitted_by__id__exact": boss.pk, "status__exact": "all"})) == [
        ("EUR", 1, Decimal("119.00"))]
    assert totals(client.get(CHANGELIST, {"q": "nothing-matches"})) == []


def test_the_changelist_links_to_the_csv_export_of_the_filtered_list(client, boss, sam):
    expense(by=sam)
    client.force_login(boss)
    response = client.get(CHANGELIST, {"status__exact": "pending"})
    assert 'href="export/?status__exact=pending"' in response.content.decode()
    assert "Export CSV" in response.content.decode()


# --- review -------------------------------------------------------------------------------------
def test_approve_with_a_note_notifies_the_submitter(client, boss, sam, graph, catalogue,
                                                    django_capture_on_commit_callbacks):
    pending = expense(by=sam, merchant="Shell", net="35.71", gross="42.50")
    client.force_login(boss)
    page = client.get(f"{CHANGELIST}{pending.pk}/review/")
    assert page.status_code == 200 and "Approve" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{CHANGELIST}{pending.pk}/review/", {"decision": "approve", "note": "Thanks"})
    assert response.status_code == 302 and response["Location"] == CHANGELIST
    pending.refresh_from_db()
    assert (pending.status, pending.reviewed_by, pending.review_note) == ("approved", boss, "Thanks")
    # Sam never wrote: the window is closed, so the outcome goes out as the review template first,
    # and the full text, note included, waits for his answer.
    from whatsapp.models import Message
    template, text = Message.objects.filter(direction=Message.Direction.OUTBOUND).order_by("type")
    assert (template.type, template.status) == ("template", "sent")
    assert template.text.startswith(f"Your expense #{pending.pk} (EUR 42.50, ") and "was approved by" in template.text
    assert (text.type, text.status) == ("text", "held")
    assert "approved" in text.text and "Note: Thanks" in text.text
    assert len(graph.sent("template")) == 1 and graph.texts() == []


def test_the_review_returns_to_the_filtered_list_and_its_total_changes(client, boss, sam):
    pending = expense(by=sam, net="10.00", gross="11.90")
    expense(by=sam, net="20.00", gross="23.80")
    client.force_login(boss)
    listing = client.get(CHANGELIST, {"status__exact": "pending"})
    assert totals(listing) == [("EUR", 2, Decimal("35.70"))]
    assert f"/admin/agent/expense/{pending.pk}/review/?next=" in listing.content.decode()
    response = client.post(f"{CHANGELIST}{pending.pk}/review/",
                           {"decision": "reject", "note": "", "next": f"{CHANGELIST}?status__exact=pending"})
    assert response["Location"] == f"{CHANGELIST}?status__exact=pending"
    assert totals(client.get(response["Location"])) == [("EUR", 1, Decimal("23.80"))]


def test_the_change_page_links_to_the_review(client, boss, sam):
    pending = expense(by=sam)
    client.force_login(boss)
    response = client.get(f"{CHANGELIST}{pending.pk}/change/")
    assert f"/admin/agent/expense/{pending.pk}/review/" in response.content.decode()


def test_the_change_page_has_approve_and_reject_with_a_note(client, boss, sam, graph, catalogue,
                                                            django_capture_on_commit_callbacks):
    pending = expense(by=sam, merchant="Shell")
    client.force_login(boss)
    page = client.get(f"{CHANGELIST}{pending.pk}/change/").content.decode()
    assert 'id="change-page-review-form"' in page and f'action="{CHANGELIST}{pending.pk}/review/"' in page
    assert 'value="approve"' in page and 'value="reject"' in page and 'name="note"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{CHANGELIST}{pending.pk}/review/",
                               {"decision": "reject", "note": "No receipt", "next": CHANGELIST})
    assert response["Location"] == CHANGELIST
    pending.refresh_from_db()
    assert (pending.status, pending.reviewed_by, pending.review_note) == ("rejected", boss, "No receipt")
    assert graph.sent("template") or graph.texts()
    assert 'id="change-page-review-form"' not in client.get(f"{CHANGELIST}{pending.pk}/change/").content.decode()


def test_the_change_page_offers_no_review_without_the_permission(client, sam):
    own = expense(by=sam)
    client.force_login(sam)
    page = client.get(f"{CHANGELIST}{own.pk}/change/")
    assert page.status_code == 200 and 'id="change-page-review-form"' not in page.content.decode()
    assert f"{own.pk}/review/" not in page.content.decode()  # no button they could not use


def test_bulk_reject_asks_for_a_note_then_rejects_all(client, boss, sam, ana):
    first, second = expense(by=sam), expense(by=ana)
    client.force_login(boss)
    data = {"action": "reject_selected", "_selected_action": [first.pk, second.pk]}
    page = client.post(CHANGELIST, data)
    assert page.status_code == 200 and "Reject 2 expenses" in page.content.decode()
    response = client.post(CHANGELIST, {**data, "post": "yes", "note": "Duplicate"})
    assert response.status_code == 302
    for record in (first, second):
        record.refresh_from_db()
        assert (record.status, record.reviewed_by, record.review_note) == ("rejected", boss, "Duplicate")


def test_bulk_approve(client, boss, sam):
    first = expense(by=sam)
    client.force_login(boss)
    client.post(CHANGELIST, {"action": "approve_selected", "_selected_action": [first.pk], "post": "yes", "note": ""})
    first.refresh_from_db()
    assert first.status == "approved"


def test_staff_without_review_permission_get_403_and_see_only_their_own(client, sam, ana):
    own, other = expense(by=sam, merchant="Own shop"), expense(by=ana, merchant="Other shop")
    client.force_login(sam)
    listing = client.get(CHANGELIST)
    assert listing.status_code == 200
    assert list(listing.context["cl"].queryset) == [own]
    assert "Own shop" in listing.content.decode() and "Other shop" not in listing.content.decode()
    assert "approve_selected" not in listing.content.decode()
    assert client.get(f"{CHANGELIST}{own.pk}/review/").status_code == 403
    assert client.post(f"{CHANGELIST}{own.pk}/review/", {"decision": "approve"}).status_code == 403
    bulk = {"action": "approve_selected", "_selected_action": [own.pk], "post": "yes"}
    assert client.post(CHANGELIST, bulk).status_code == 403
    assert client.post(CHANGELIST, {**bulk, "action": "reject_selected"}).status_code == 403
    assert client.get(f"{CHANGELIST}{other.pk}/change/").status_code == 302  # not visible: back to the list
    own.refresh_from_db()
    assert own.status == "pending"


def test_a_staff_member_with_only_view_and_add_gets_403_on_every_review(client, boss):
    clerk = admin_staff(phone="+4915100000004", first_name="Cleo", codenames=("view_expense", "add_expense"))
    own, others = expense(by=clerk), expense(by=boss)
    client.force_login(clerk)
    for pk in (own.pk, others.pk):
        assert client.get(f"{CHANGELIST}{pk}/review/").status_code == 403
        assert client.post(f"{CHANGELIST}{pk}/review/", {"decision": "reject", "note": "x"}).status_code == 403
    for action in ("approve_selected", "reject_selected"):
        bulk = {"action": action, "_selected_action": [own.pk, others.pk]}
        assert client.post(CHANGELIST, bulk).status_code == 403
        assert client.post(CHANGELIST, {**bulk, "post": "yes", "note": ""}).status_code == 403
    assert set(Expense.objects.values_list("status", flat=True)) == {"pending"}


def test_the_staff_group_may_not_review_either(client, boss):
    gus = group_staff()
    own = expense(by=gus)
    client.force_login(gus)
    assert client.get(CHANGELIST).status_code == 200
    assert client.get(f"{CHANGELIST}{own.pk}/review/").status_code == 403
    bulk = {"action": "approve_selected", "_selected_action": [own.pk], "post": "yes", "note": ""}
    assert client.post(CHANGELIST, bulk).status_code == 403
    own.refresh_from_db()
    assert own.status == "pending"


def test_deleting_in_the_admin_is_per_record_ones_own_pending_expense(client, boss, sam):
    own, theirs = expense(by=boss), expense(by=sam)
    approved = expense(by=boss, status=Expense.Status.APPROVED)
    client.force_login(boss)  # holds delete_expense, as a model permission
    assert "delete_selected" not in client.get(CHANGELIST).content.decode()
    assert client.get(f"{CHANGELIST}{theirs.pk}/delete/").status_code == 403
    assert client.post(f"{CHANGELIST}{theirs.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{CHANGELIST}{approved.pk}/delete/").status_code == 403
    assert client.post(f"{CHANGELIST}{own.pk}/delete/", {"post": "yes"}).status_code == 302
    assert set(Expense.objects.values_list("pk", flat=True)) == {theirs.pk, approved.pk}


def test_the_person_filter_offers_staff_only_themselves(client, boss, sam, ana):
    expense(by=sam), expense(by=ana)
    client.force_login(sam)
    page = client.get(CHANGELIST).content.decode()
    assert f"submitted_by__id__exact={ana.pk}" not in page and "Ana Staff" not in page
    client.force_login(boss)
    page = client.get(CHANGELIST).content.decode()
    assert f"submitted_by__id__exact={sam.pk}" in page and f"submitted_by__id__exact={ana.pk}" in page


def test_the_list_shows_the_description(client, boss, sam):
    expense(by=sam, description="Diesel for the van")
    client.force_login(boss)
    assert "Diesel for the van" in client.get(CHANGELIST).content.decode()


# --- receipts -------------------------------------------------------------------------------------
def test_receipt_preview_image_and_pdf(client, boss, sam, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    photo = expense(by=sam)
    photo.receipt.save("r.jpg", ContentFile(b"\xff\xd8\xff jpeg"))
    pdf = expense(by=sam)
    pdf.receipt.save("r.pdf", ContentFile(b"%PDF-1.4"))
    client.force_login(boss)
    page = client.get(f"{CHANGELIST}{photo.pk}/change/").content.decode()
    assert f'<img src="/admin/agent/expense/{photo.pk}/receipt/"' in page
    page = client.get(f"{CHANGELIST}{pdf.pk}/change/").content.decode()
    assert f'href="/admin/agent/expense/{pdf.pk}/receipt/"' in page and "<img src" not in page
    response = client.get(f"{CHANGELIST}{pdf.pk}/receipt/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == b"%PDF-1.4"


def test_receipts_are_for_staff_who_may_see_the_expense(client, sam, ana, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    other = expense(by=ana)
    other.receipt.save("r.pdf", ContentFile(b"%PDF-1.4"))
    assert client.get(f"{CHANGELIST}{other.pk}/receipt/").status_code == 302  # to the login page
    client.force_login(sam)
    assert client.get(f"{CHANGELIST}{other.pk}/receipt/").status_code == 404


def test_receipts_need_permission_on_expenses(client, sam, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    own = expense(by=sam)
    own.receipt.save("r.jpg", ContentFile(b"\xff\xd8\xff jpeg"))
    outsider = admin_staff(phone="+4915100000005", first_name="Otto", codenames=("view_invoice",))
    client.force_login(outsider)
    assert client.get(f"{CHANGELIST}{own.pk}/receipt/").status_code == 403
    client.force_login(sam)
    response = client.get(f"{CHANGELIST}{own.pk}/receipt/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == 'inline; filename="r.jpg"'


def test_a_receipt_that_is_neither_image_nor_pdf_is_only_downloaded(client, boss, sam, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    odd = expense(by=sam)
    odd.receipt.save("r.html", ContentFile(b"<script>alert(1)</script>"))
    client.force_login(boss)
    response = client.get(f"{CHANGELIST}{odd.pk}/receipt/")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="r.html"'
    assert "<img src" not in client.get(f"{CHANGELIST}{odd.pk}/change/").content.decode()


# --- invoices and customers -----------------------------------------------------------------------
@pytest.fixture
def invoices(boss):
    acme = customer(company_name="Acme GmbH")
    today = timezone.localdate()
    late = invoice(to=acme, by=boss, issued_on=today - timedelta(days=40), due_on=today - timedelta(days=10))
    current = invoice(to=acme, by=boss, gross="238.00", net="200.00")
    paid = invoice(to=acme, by=boss, status=Invoice.Status.PAID, issued_on=today - timedelta(days=60),
                   due_on=today - timedelta(days=30))
    return acme, late, current, paid


def test_invoice_overdue_filter_and_badge(client, boss, invoices):
    _, late, current, _ = invoices
    client.force_login(boss)
    response = client.get("/admin/agent/invoice/", {"overdue": "yes"})
    assert list(response.context["cl"].queryset) == [late]
    page = response.content.decode()
    assert late.number in page and current.number not in page
    assert 'class="overdue-badge"' in page and "OVERDUE" in page
    everything = client.get("/admin/agent/invoice/").content.decode()
    assert everything.count('class="overdue-badge"') == 1


def test_mark_paid_action(client, boss, invoices):
    _, late, current, _ = invoices
    client.force_login(boss)
    response = client.post("/admin/agent/invoice/", {"action": "mark_paid", "_selected_action": [late.pk]})
    assert response.status_code == 302
    late.refresh_from_db()
    assert (late.status, late.paid_on) == ("paid", timezone.localdate())
    current.refresh_from_db()
    assert current.status == "sent"


def test_mark_paid_names_each_invoice_it_skipped_and_why(client, boss, invoices):
    _, late, current, paid = invoices
    client.force_login(boss)
    response = client.post("/admin/agent/invoice/", {"action": "mark_paid", "_selected_action": [late.pk, paid.pk]},
                           follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        f"Skipped {paid.number}: Invoice {paid.number} was already paid on {local_date(paid.paid_on)}.",
        "1 invoice(s) marked paid.",
    ]
    late.refresh_from_db()
    assert late.status == "paid"


def _invoice_add_form(buyer, *, issued_on: str) -> dict:
    return {"customer": buyer.pk, "description": "Consulting", "issued_on": issued_on, "due_on": "2026-12-31",
            "status": "sent", "currency": "EUR", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "1", "lines-MAX_NUM_FORMS": "1000", "lines-0-position": "1",
            "lines-0-description": "Consulting", "lines-0-quantity": "2", "lines-0-unit": "HUR",
            "lines-0-unit_price": "100", "lines-0-tax_rate": "0.19"}


def test_invoices_added_in_the_admin_are_numbered_in_sequence_with_the_other_paths(client, boss):
    from agent import services
    buyer = customer()
    client.force_login(boss)
    first = client.post(reverse("admin:agent_invoice_add"), _invoice_add_form(buyer, issued_on="2026-03-02"))
    second = client.post(reverse("admin:agent_invoice_add"), _invoice_add_form(buyer, issued_on="2026-03-03"))
    assert (first.status_code, second.status_code) == (302, 302)
    by_api = services.invoice_create(user=boss, customer_id=buyer.pk, description="Repair", net="50",
                                     issued_on="2026-04-01")
    assert by_api.number == "INV-2026-0003"
    rows = Invoice.objects.order_by("id").values_list("number", "gross", "created_by")
    assert list(rows) == [("INV-2026-0001", Decimal("238.00"), boss.pk), ("INV-2026-0002", Decimal("238.00"), boss.pk),
                          ("INV-2026-0003", Decimal("59.50"), boss.pk)]
    assert list(Invoice.objects.get(number="INV-2026-0001").lines.values_list("net_amount", flat=True)) == [
        Decimal("200.00")]


def test_a_customers_page_shows_their_invoices_and_what_they_owe(client, boss, invoices):
    acme, late, current, paid = invoices
    client.force_login(boss)
    page = client.get(f"/admin/agent/customer/{acme.pk}/change/").content.decode()
    for record in (late, current, paid):
        assert record.number in page
    assert "Outstanding: <strong class=\"owed-total\">EUR 357.00 (2)</strong>" in page
    assert "EUR 119.00 (1)" in page  # overdue


def test_revenue_and_customer_lists_filter_and_search(client, boss, invoices):
    from tests.agent.factories import revenue
    acme = invoices[0]
    revenue(by=boss, customer=acme, description="Consulting")
    revenue(by=boss, description="Cash sale", gross="11.90", net="10.00")
    client.force_login(boss)
    response = client.get("/admin/agent/revenue/", {"q": "Acme"})
    assert response.status_code == 200 and len(response.context["cl"].queryset) == 1
    assert [(t["count"], t["gross"]) for t in response.context["totals"]] == [(1, Decimal("119.00"))]
    assert client.get("/admin/agent/customer/", {"q": "acme"}).context["cl"].result_count == 1


def test_agent_log_is_read_only(client, boss):
    client.force_login(boss)
    assert client.get("/admin/agent/agentturn/").status_code == 200
    assert client.get("/admin/agent/toolcall/").status_code == 200
    assert client.get("/admin/agent/toolcall/add/").status_code == 403


def test_the_assistants_log_lists_each_turns_prompt_cached_and_completion_tokens(client, boss):
    from agent.models import AgentTurn
    from tests.agent.factories import inbound_message

    message = inbound_message()
    AgentTurn.objects.create(conversation=message.conversation, message=message, model="m", prompt_tokens=2345,
                             cached_tokens=1792, completion_tokens=67, total_tokens=2412)
    client.force_login(boss)
    html = client.get("/admin/agent/agentturn/").content.decode()
    assert "Cached tokens" in html
    assert all(f">{n}</td>" in html for n in (2345, 1792, 67))


def test_a_superuser_may_review_whatever_their_role(client, django_capture_on_commit_callbacks):
    from agent import services
    from tests.agent import factories

    root = factories.person(first_name="Root")
    root.is_superuser = True
    root.save()
    expense = factories.expense(by=factories.person(phone="+16505551234"))
    reviewed = services.expense_review(reviewer=root, expense_id=expense.pk, approve=True, note="ok")
    assert reviewed.status == "approved" and reviewed.reviewed_by == root
