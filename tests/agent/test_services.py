import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import User
from agent import services
from agent.errors import ApplicationError, NotFound, PermissionDenied
from agent.models import Customer, Expense, Invoice
from tests.agent.factories import customer, expense, inbound_message, invoice, person
from whatsapp.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana():
    return person(first_name="Ana", last_name="Lima", phone="+4915112345678")


@pytest.fixture
def ben():
    return person(first_name="Ben", last_name="Ortiz", phone="+4915187654321")


@pytest.fixture
def boss():
    return person(role=User.Role.MANAGER, first_name="Maya", last_name="Boss")


@pytest.fixture
def client_user():
    return person(role=User.Role.CUSTOMER, first_name="Carla")


@pytest.fixture
def notified(monkeypatch):
    """What was sent through whatsapp.outbound.notify.notify_user, as (user, text); its window's fallback
    template in `sent.fallbacks`."""
    sent = NotifiedList()
    monkeypatch.setattr("whatsapp.outbound.notify.notify_user",
                        lambda *, user, text, sent_by=None, fallback=None: sent.fallbacks.append(fallback)
                        or sent.append((user, text)) or [])
    return sent


class NotifiedList(list):
    def __init__(self):
        super().__init__()
        self.fallbacks = []


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# --- expense_record -----------------------------------------------------------------------------------
def test_recording_an_expense_from_a_gross_uses_the_default_tax_rate(settings, ana):
    settings.DEFAULT_TAX_RATE = Decimal("0.19")
    recorded = services.expense_record(user=ana, category="fuel", gross="42.50")
    assert (recorded.net, recorded.tax_rate, recorded.gross) == (Decimal("35.71"), Decimal("0.1900"), Decimal("42.50"))


def test_a_recorded_expense_is_pending_and_belongs_to_its_submitter(ana):
    recorded = services.expense_record(user=ana, category="fuel", gross="42.50")
    recorded.refresh_from_db()
    assert (recorded.submitted_by, recorded.status) == (ana, Expense.Status.PENDING)


def test_an_amount_written_the_european_way_is_recorded_exactly(ana):
    recorded = services.expense_record(user=ana, category="equipment", gross="1.234,50", tax_rate="19%")
    recorded.refresh_from_db()
    assert recorded.gross == Decimal("1234.50")


def test_an_expense_defaults_to_today_and_the_default_currency(settings, ana):
    settings.DEFAULT_CURRENCY = "GBP"
    recorded = services.expense_record(user=ana, category="meals", net="12,5")
    assert (recorded.spent_on, recorded.currency) == (timezone.localdate(), "GBP")


def test_an_expense_keeps_its_merchant_description_date_and_message(ana):
    message = inbound_message()
    recorded = services.expense_record(user=ana, category="petrol", gross="60", merchant="  Shell ",
                                       description="Van refill", spent_on="2026-01-05", currency="usd",
                                       source_message=message)
    recorded.refresh_from_db()
    assert (recorded.category, recorded.merchant, recorded.description, recorded.spent_on, recorded.currency,
            recorded.source_message) == ("fuel", "Shell", "Van refill", date(2026, 1, 5), "USD", message)


def test_a_receipt_is_stored_with_the_expense(ana, media):
    recorded = services.expense_record(user=ana, category="meals", gross="18", receipt=("lunch.jpg", b"\xff\xd8jpeg"))
    assert recorded.receipt.name.startswith("receipts/")
    assert recorded.receipt.read() == b"\xff\xd8jpeg"


def test_an_expense_in_the_future_is_refused(ana):
    with pytest.raises(ApplicationError, match="in the future"):
        services.expense_record(user=ana, category="fuel", gross="10", spent_on=timezone.localdate() + timedelta(days=1))


def test_an_unknown_category_is_refused(ana):
    with pytest.raises(ApplicationError, match="not an expense category"):
        services.expense_record(user=ana, category="yachts", gross="10")


def test_garbage_amounts_are_refused_and_nothing_is_saved(ana):
    with pytest.raises(ApplicationError, match="not an amount"):
        services.expense_record(user=ana, category="fuel", gross="a lot")
    assert not Expense.objects.exists()


def test_customers_cannot_record_expenses(client_user):
    with pytest.raises(PermissionDenied):
        services.expense_record(user=client_user, category="fuel", gross="10")


# --- expense_update -----------------------------------------------------------------------------------
def test_a_new_gross_keeps_the_tax_rate_and_recomputes_the_net(ana):
    own = expense(by=ana, net="10.00", gross="11.90", tax_rate="0.19")
    updated = services.expense_update(user=ana, expense_id=own.pk, gross="23.80")
    assert (updated.net, updated.tax_rate, updated.gross) == (Decimal("20.00"), Decimal("0.19"), Decimal("23.80"))


def test_a_new_tax_rate_keeps_the_gross_that_was_paid(ana):
    own = expense(by=ana, net="10.00", gross="11.90", tax_rate="0.19")
    updated = services.expense_update(user=ana, expense_id=own.pk, tax_rate="7%")
    assert (updated.net, updated.gross) == (Decimal("11.12"), Decimal("11.90"))


def test_other_fields_of_an_own_pending_expense_can_change(ana):
    own = expense(by=ana, category="other")
    services.expense_update(user=ana, expense_id=own.pk, category="travel", merchant="DB Bahn", description=None)
    own.refresh_from_db()
    assert (own.category, own.merchant) == ("travel", "DB Bahn")


def test_staff_cannot_update_another_staff_members_expense_even_by_id(ana, ben):
    other = expense(by=ben, merchant="Aral")
    with pytest.raises(NotFound, match=f"Expense #{other.pk} not found"):
        services.expense_update(user=ana, expense_id=other.pk, merchant="Mine now")
    other.refresh_from_db()
    assert other.merchant == "Aral"


def test_a_manager_cannot_update_someone_elses_expense(ana, boss):
    other = expense(by=ana)
    with pytest.raises(PermissionDenied, match="your own"):
        services.expense_update(user=boss, expense_id=other.pk, merchant="x")


def test_a_reviewed_expense_cannot_be_updated(ana):
    own = expense(by=ana, status=Expense.Status.APPROVED)
    with pytest.raises(ApplicationError, match="already approved"):
        services.expense_update(user=ana, expense_id=own.pk, merchant="x")


def test_fields_that_are_not_changeable_are_refused(ana):
    own = expense(by=ana)
    with pytest.raises(ApplicationError, match="Cannot change status"):
        services.expense_update(user=ana, expense_id=own.pk, status="approved")


def test_an_expense_id_that_is_not_a_number_is_refused(ana):
    with pytest.raises(ApplicationError, match="not a valid expense id"):
        services.expense_update(user=ana, expense_id="latest", merchant="x")


# --- expense_delete -----------------------------------------------------------------------------------
def test_an_own_pending_expense_can_be_deleted(ana):
    own = expense(by=ana)
    services.expense_delete(user=ana, expense_id=own.pk)
    assert not Expense.objects.filter(pk=own.pk).exists()


def test_staff_cannot_delete_another_staff_members_expense_even_by_id(ana, ben):
    other = expense(by=ben)
    with pytest.raises(NotFound):
        services.expense_delete(user=ana, expense_id=other.pk)
    assert Expense.objects.filter(pk=other.pk).exists()


def test_a_rejected_expense_cannot_be_deleted(ana):
    own = expense(by=ana, status=Expense.Status.REJECTED)
    with pytest.raises(ApplicationError, match="only pending"):
        services.expense_delete(user=ana, expense_id=own.pk)


def test_deleting_an_expense_removes_its_receipt_file_after_commit(ana, media, django_capture_on_commit_callbacks):
    own = services.expense_record(user=ana, category="meals", gross="18", receipt=("r.pdf", b"%PDF-1.4"))
    path = media / own.receipt.name
    with django_capture_on_commit_callbacks(execute=True):
        services.expense_delete(user=ana, expense_id=own.pk)
    assert not path.exists()


# --- expense_review -----------------------------------------------------------------------------------
def test_a_manager_approves_a_pending_expense(ana, boss, notified):
    pending = expense(by=ana)
    reviewed = services.expense_review(reviewer=boss, expense_id=pending.pk, approve=True)
    reviewed.refresh_from_db()
    assert (reviewed.status, reviewed.reviewed_by, reviewed.reviewed_at is not None) == ("approved", boss, True)


def test_the_submitter_is_told_on_whatsapp_with_the_note(ana, boss, notified):
    pending = expense(by=ana, merchant="Shell", gross="42.50", net="35.71")
    services.expense_review(reviewer=boss, expense_id=pending.pk, approve=False, note="Private trip")
    [(user, text)] = notified
    assert user == ana
    assert f"Your expense #{pending.pk}" in text and "EUR 42.50" in text and "rejected by Maya Boss" in text
    assert "Note: Private trip" in text
    # Outside the window the outcome goes first as the review template.
    [fallback] = notified.fallbacks
    assert fallback["name"] == settings.WHATSAPP_REVIEW_OUTCOME_TEMPLATE
    assert [p["text"] for p in fallback["components"][0]["parameters"]] == [
        f"#{pending.pk} (EUR 42.50, {pending.category}, Shell)", "rejected", "Maya Boss"]


def test_a_reviewer_without_a_name_is_never_named_by_their_login(ana, notified, settings):
    settings.BUSINESS_NAME = "Becker Plumbing"
    admin = User.objects.create_superuser(username="admin", password="x", role=User.Role.MANAGER)
    services.expense_review(reviewer=admin, expense_id=expense(by=ana).pk, approve=True)
    [(_, text)] = notified
    assert "approved by the Becker Plumbing team." in text and "admin" not in text


def test_the_notification_is_queued_for_the_submitters_whatsapp(ana, boss):
    pending = expense(by=ana)
    services.expense_review(reviewer=boss, expense_id=pending.pk, approve=True)
    [outbound] = Message.objects.filter(direction=Message.Direction.OUTBOUND)
    assert outbound.conversation.wa_id == "4915112345678"
    assert f"#{pending.pk}" in outbound.text and "approved" in outbound.text


def test_a_failed_notification_does_not_undo_the_review(ana, boss, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("graph down")

    monkeypatch.setattr("whatsapp.outbound.notify.notify_user", broken)
    pending = expense(by=ana)
    services.expense_review(reviewer=boss, expense_id=pending.pk, approve=True)
    pending.refresh_from_db()
    assert pending.status == Expense.Status.APPROVED


def test_staff_cannot_review_expenses(ana, ben, notified):
    other = expense(by=ben)
    with pytest.raises(PermissionDenied, match="Only managers"):
        services.expense_review(reviewer=ana, expense_id=other.pk, approve=True)
    other.refresh_from_db()
    assert other.status == Expense.Status.PENDING and notified == []


def test_an_expense_is_reviewed_only_once(ana, boss, notified):
    done = expense(by=ana, status=Expense.Status.REJECTED)
    with pytest.raises(ApplicationError, match="already rejected"):
        services.expense_review(reviewer=boss, expense_id=done.pk, approve=True)


def test_a_manager_reviewing_their_own_expense_is_not_notified(boss, notified):
    own = expense(by=boss)
    services.expense_review(reviewer=boss, expense_id=own.pk, approve=True)
    assert notified == []


# --- revenue and customers ----------------------------------------------------------------------------
def test_revenue_is_recorded_for_a_customer_by_id(ana):
    acme = customer()
    recorded = services.revenue_record(user=ana, gross="1,190", description="Website", customer_id=acme.pk)
    recorded.refresh_from_db()
    assert (recorded.customer, recorded.net, recorded.gross, recorded.recorded_by) == (
        acme, Decimal("1000.00"), Decimal("1190.00"), ana)


def test_revenue_for_an_unknown_customer_is_refused(ana):
    with pytest.raises(NotFound, match="Customer #999 not found"):
        services.revenue_record(user=ana, gross="10", customer_id=999)


def test_customers_cannot_record_revenue(client_user):
    with pytest.raises(PermissionDenied):
        services.revenue_record(user=client_user, gross="10")


def test_a_customer_is_added_with_an_e164_phone(ana):
    added = services.customer_add(user=ana, company_name=" Acme  GmbH ", phone="+49 30 1234567",
                                  email="billing@acme.example", city="Berlin")
    added.refresh_from_db()
    assert (added.company_name, added.phone, added.city) == ("Acme GmbH", "+49301234567", "Berlin")


def test_a_customer_with_an_invalid_phone_is_refused(ana):
    with pytest.raises(ApplicationError, match="not a valid phone number|not a phone number"):
        services.customer_add(user=ana, company_name="Acme", phone="12")
    assert not Customer.objects.exists()


def test_a_customer_with_an_invalid_email_is_refused(ana):
    with pytest.raises(ApplicationError, match="not an email address"):
        services.customer_add(user=ana, company_name="Acme", email="acme at example")


def test_a_company_already_on_file_is_refused_naming_its_id(ana):
    acme = customer(company_name="Acme GmbH")
    with pytest.raises(ApplicationError, match=f"already exists \\(#{acme.pk}\\)"):
        services.customer_add(user=ana, company_name="acme gmbh")


def test_customers_cannot_add_customers(client_user):
    with pytest.raises(PermissionDenied):
        services.customer_add(user=client_user, company_name="Acme")


# --- invoices -------------------------------------------------------------------------------------------
def test_an_invoice_is_numbered_by_year_and_due_after_the_configured_days(settings, ana):
    settings.INVOICE_DUE_DAYS = 30
    created = services.invoice_create(user=ana, customer_id=customer().pk, description="Website", net="1000",
                                      issued_on="2026-02-01")
    assert (created.number, created.due_on, created.gross, created.status) == (
        "INV-2026-0001", date(2026, 3, 3), Decimal("1190.00"), "sent")


def test_invoice_numbers_are_sequential_within_a_year_and_restart_each_year(ana):
    acme = customer()

    def create(issued_on):
        return services.invoice_create(user=ana, customer_id=acme.pk, description="Work", net="10",
                                       issued_on=issued_on).number

    numbers = [create("2025-12-30"), create("2026-01-02"), create("2026-01-03"), create("2025-12-31")]
    assert numbers == ["INV-2025-0001", "INV-2026-0001", "INV-2026-0002", "INV-2025-0002"]


@pytest.mark.django_db(transaction=True)
def test_invoices_created_at_the_same_time_get_distinct_numbers(ana):
    acme, numbers, errors = customer(), [], []

    def create():
        try:
            numbers.append(services.invoice_create(user=ana, customer_id=acme.pk, description="Work", net="10",
                                                   issued_on="2026-05-01").number)
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == [f"INV-2026-{n:04d}" for n in range(1, 7)]


def test_an_invoice_due_before_it_is_issued_is_refused(ana):
    with pytest.raises(ApplicationError, match="before the issue date"):
        services.invoice_create(user=ana, customer_id=customer().pk, description="Work", net="10",
                                issued_on="2026-02-01", due_on="2026-01-31")


def test_an_invoice_cannot_be_created_already_paid(ana):
    with pytest.raises(ApplicationError, match="draft or sent"):
        services.invoice_create(user=ana, customer_id=customer().pk, description="Work", net="10", status="paid")


def test_an_invoice_needs_a_description(ana):
    with pytest.raises(ApplicationError, match="needs a description"):
        services.invoice_create(user=ana, customer_id=customer().pk, description=" ", net="10")


def test_customers_cannot_create_invoices(client_user):
    with pytest.raises(PermissionDenied):
        services.invoice_create(user=client_user, customer_id=customer().pk, description="Work", net="10")


def test_an_open_invoice_is_marked_paid_today_by_default(ana):
    sent = invoice(to=customer(), by=ana)
    paid = services.invoice_mark_paid(user=ana, invoice_id=sent.pk)
    paid.refresh_from_db()
    assert (paid.status, paid.paid_on) == ("paid", timezone.localdate())


def test_an_invoice_is_paid_only_once(ana):
    paid = invoice(to=customer(), by=ana, status=Invoice.Status.PAID)
    with pytest.raises(ApplicationError, match="already paid"):
        services.invoice_mark_paid(user=ana, invoice_id=paid.pk)


def test_a_void_invoice_cannot_be_paid(ana):
    void = invoice(to=customer(), by=ana, status=Invoice.Status.VOID)
    with pytest.raises(ApplicationError, match="is void"):
        services.invoice_mark_paid(user=ana, invoice_id=void.pk)


def test_a_customer_cannot_mark_their_own_invoice_paid(ana, client_user):
    theirs = invoice(to=customer(user=client_user), by=ana)
    with pytest.raises(PermissionDenied):
        services.invoice_mark_paid(user=client_user, invoice_id=theirs.pk)
    theirs.refresh_from_db()
    assert theirs.status == Invoice.Status.SENT


def test_an_open_invoice_can_be_voided(ana):
    sent = invoice(to=customer(), by=ana)
    assert services.invoice_void(user=ana, invoice_id=sent.pk).status == Invoice.Status.VOID


def test_a_paid_invoice_cannot_be_voided(ana):
    paid = invoice(to=customer(), by=ana, status=Invoice.Status.PAID)
    with pytest.raises(ApplicationError, match="paid and cannot be voided"):
        services.invoice_void(user=ana, invoice_id=paid.pk)
