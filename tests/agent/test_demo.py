"""`manage.py seed_demo`: a demo business made once, the admin login printed every time."""

import io
import stat
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from agent import commands
from agent.demo import demo_seed, login_file_read
from agent.models import Customer, Expense, Invoice, InvoiceSequence, Revenue
from whatsapp.models import Conversation, Message

MANAGER, STAFF, CUSTOMER = "+15550104410", "+15550104420", "+15550104430"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def login_file(tmp_path):
    return tmp_path / "var" / "demo-login.txt"


def seed(login_file, *args) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--login-file", str(login_file), *args, stdout=out)
    return out.getvalue()


def counts() -> dict:
    models = [User, Expense, Customer, Invoice, InvoiceSequence, Revenue, Conversation, Message]
    return {model.__name__: model.objects.count() for model in models}


def test_it_creates_an_admin_superuser_whose_password_is_printed_and_saved_for_the_owner_only(db, login_file):
    output = seed(login_file, "--base-url", "http://127.0.0.1:8000")

    admin = User.objects.get(username="admin")
    password = login_file_read(login_file)
    assert admin.is_superuser and admin.is_staff and admin.is_active
    assert admin.public_name == "Sam Rivera"  # what people are told, never the login
    assert admin.check_password(password)
    assert len(password) >= 20
    assert stat.S_IMODE(login_file.stat().st_mode) == 0o600
    assert "http://127.0.0.1:8000/admin/" in output
    assert "username  admin" in output and f"password  {password}" in output


def test_the_admin_password_is_random(db, tmp_path):
    first = demo_seed(login_file=tmp_path / "first.txt").admin.password
    User.objects.filter(username="admin").delete()
    second = demo_seed(login_file=tmp_path / "second.txt").admin.password
    assert first != second


def test_it_puts_a_manager_a_staff_member_and_a_customer_on_the_allow_list(db, login_file):
    output = seed(login_file)

    people = {user.phone_number: user for user in User.objects.exclude(phone_number=None)}
    assert {phone: (user.get_full_name(), user.role) for phone, user in people.items()} == {
        MANAGER: ("Maria Ortega", User.Role.MANAGER),
        STAFF: ("Tom Becker", User.Role.STAFF),
        CUSTOMER: ("Priya Shah", User.Role.CUSTOMER),
    }
    assert all(user.is_active and not user.has_usable_password() for user in people.values())
    assert "Maria Ortega  +15550104410  manager" in output
    assert "Tom Becker    +15550104420  staff" in output
    assert "Priya Shah    +15550104430  customer" in output


def test_it_records_pending_and_approved_expenses_of_the_staff_member_and_the_manager(db, login_file, settings):
    seed(login_file)

    expenses = list(Expense.objects.select_related("submitted_by"))
    today = timezone.localdate()
    assert {e.submitted_by.phone_number for e in expenses} == {STAFF, MANAGER}
    assert {e.status for e in expenses} == {Expense.Status.PENDING, Expense.Status.APPROVED}
    assert len({e.category for e in expenses}) == len(expenses)
    assert all(today - timedelta(weeks=5) <= e.spent_on < today for e in expenses)
    assert len({e.spent_on for e in expenses}) == len(expenses)
    for e in expenses:
        assert isinstance(e.gross, Decimal) and isinstance(e.net, Decimal) and isinstance(e.tax_rate, Decimal)
        assert e.currency == settings.DEFAULT_CURRENCY
        assert e.net + e.tax == e.gross
    approved = [e for e in expenses if e.status == Expense.Status.APPROVED]
    # Four eyes: the manager approved the staff member's expense, the admin the manager's own.
    reviewers = {e.submitted_by.phone_number: e.reviewed_by for e in approved}
    assert reviewers[STAFF].phone_number == MANAGER
    assert reviewers[MANAGER].username == "admin" and reviewers[MANAGER].is_superuser
    assert all(timezone.is_aware(e.reviewed_at) and e.reviewed_at < timezone.now() for e in approved)


def test_it_adds_customers_and_numbered_invoices_one_overdue_one_due_soon_one_paid(db, login_file):
    seed(login_file)

    today = timezone.localdate()
    invoices = Invoice.objects.all()
    overdue = Invoice.objects.overdue().get()
    due_soon = Invoice.objects.open().get(due_on__gte=today)
    paid = Invoice.objects.get(status=Invoice.Status.PAID)
    assert Customer.objects.count() == 3 and invoices.count() == 3
    assert overdue.customer.user.phone_number == CUSTOMER
    assert due_soon.due_on <= today + timedelta(days=7)
    assert paid.paid_on <= today and Revenue.objects.get(customer=paid.customer).gross == paid.gross
    assert sorted(i.number for i in invoices) == [f"INV-{i.issued_on.year}-{n:04d}" for n, i in
                                                  enumerate(invoices.order_by("number"), start=1)]
    assert all(isinstance(i.gross, Decimal) and isinstance(i.net, Decimal) for i in invoices)


def test_the_demo_customer_sees_their_own_invoices_and_what_is_outstanding(db, login_file):
    seed(login_file)

    answer = commands.run(user=User.objects.get(phone_number=CUSTOMER), text="/invoices")

    assert "Harbor Street Café" in answer and "OVERDUE" in answer and "Outstanding: " in answer


def test_the_demo_staff_member_sees_their_expenses(db, login_file):
    seed(login_file)

    answer = commands.run(user=User.objects.get(phone_number=STAFF), text="/expenses this month")
    last_month = commands.run(user=User.objects.get(phone_number=STAFF), text="/expenses last month")

    assert "Van refuel" in answer + last_month


def test_seeding_sends_nothing_on_whatsapp(db, login_file, graph, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        seed(login_file)

    assert Message.objects.count() == 0 and Conversation.objects.count() == 0
    assert graph.texts() == []


def test_running_it_again_creates_nothing_and_keeps_the_admin_password(db, login_file):
    seed(login_file)
    before = counts()
    password = login_file_read(login_file)

    output = seed(login_file)

    assert counts() == before
    assert "already there, nothing changed" in output and f"password  {password}" in output
    assert User.objects.get(username="admin").check_password(password)
    assert login_file_read(login_file) == password


def test_running_it_again_keeps_what_people_changed_since(db, login_file):
    seed(login_file)
    staff = User.objects.get(phone_number=STAFF)
    staff.first_name, staff.role = "Thomas", User.Role.MANAGER
    staff.save()
    Expense.objects.update(status=Expense.Status.REJECTED)
    Invoice.objects.filter(status=Invoice.Status.PAID).delete()

    seed(login_file)

    staff.refresh_from_db()
    assert (staff.first_name, staff.role) == ("Thomas", User.Role.MANAGER)
    assert set(Expense.objects.values_list("status", flat=True)) == {Expense.Status.REJECTED}
    assert not Invoice.objects.filter(status=Invoice.Status.PAID).exists()


def test_without_the_saved_password_it_says_the_password_is_whatever_was_set(db, login_file):
    seed(login_file)
    password = login_file_read(login_file)
    login_file.unlink()

    output = seed(login_file)

    assert "password  whatever was set" in output and password not in output
    assert User.objects.get(username="admin").check_password(password)
    assert not login_file.exists()


def test_a_saved_password_that_no_longer_works_is_not_printed(db, login_file):
    seed(login_file)
    admin = User.objects.get(username="admin")
    admin.set_password("changed-by-hand")
    admin.save()

    output = seed(login_file)

    assert "password  whatever was set" in output and login_file_read(login_file) not in output


def test_the_login_is_kept_under_var_by_default(db, settings, tmp_path):
    settings.BASE_DIR = tmp_path
    out = io.StringIO()

    call_command("seed_demo", stdout=out)

    password = login_file_read(tmp_path / "var" / "demo-login.txt")
    assert password and f"password  {password}" in out.getvalue()


def test_a_failure_halfway_leaves_nothing_behind_and_the_next_run_starts_over(db, login_file, monkeypatch):
    from agent import services

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    empty = counts()
    monkeypatch.setattr(services, "invoice_create", broken)
    with pytest.raises(RuntimeError):
        seed(login_file)
    assert counts() == empty

    monkeypatch.undo()
    output = seed(login_file)

    assert "created the admin login, 3 people" in output
    assert User.objects.get(username="admin").check_password(login_file_read(login_file))
