"""The demo business `manage.py seed_demo` creates, once, so the whole service can be tried on a laptop.

An admin login (username "admin", a random password kept in a 0600 file so later runs can show it
again), three people on the WhatsApp allow-list (a manager, a staff member, a customer), their
expenses, three customers and their invoices (one overdue, one due soon, one paid), and the
business profile printed on invoices.

Running it again creates nothing and changes nothing: each part hangs off something with a natural
key (a person's number, a customer's company name) and is made only together with it, so records
people have since approved, edited or deleted stay as they are. Records go through the same
services as everywhere else, so they are numbered, rounded and checked the same way.
"""

import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.phone import normalize_phone
from accounts.services import member_upsert
from agent import services
from agent.invoices.profile import business_profile
from agent.models import Customer, Expense

ADMIN_USERNAME = "admin"
ADMIN_FIRST_NAME, ADMIN_LAST_NAME = "Sam", "Rivera"


@dataclass(frozen=True)
class DemoPerson:
    name: str
    phone: str
    role: str


# Fictional numbers: 555-01xx is reserved for fiction in the North American plan.
MANAGER = DemoPerson(name="Maria Ortega", phone="+1 555 010 4410", role=User.Role.MANAGER)
STAFF = DemoPerson(name="Tom Becker", phone="+1 555 010 4420", role=User.Role.STAFF)
CUSTOMER = DemoPerson(name="Priya Shah", phone="+1 555 010 4430", role=User.Role.CUSTOMER)
PEOPLE = (MANAGER, STAFF, CUSTOMER)


@dataclass(frozen=True)
class DemoExpense:
    by: DemoPerson
    days_ago: int
    category: str
    gross: Decimal
    merchant: str
    description: str
    approved: bool = False


EXPENSES = (
    DemoExpense(STAFF, 2, Expense.Category.FUEL, Decimal("64.20"), "Shell", "Van refuel"),
    DemoExpense(STAFF, 9, Expense.Category.MEALS, Decimal("18.40"), "Corner Deli",
                "Lunch on the Harbor Street job", approved=True),
    DemoExpense(STAFF, 16, Expense.Category.EQUIPMENT, Decimal("249.00"), "Ace Hardware", "Pipe cutter set"),
    DemoExpense(MANAGER, 5, Expense.Category.OFFICE, Decimal("36.75"), "Staples", "Printer paper and toner"),
    DemoExpense(MANAGER, 23, Expense.Category.SOFTWARE, Decimal("49.00"), "Invoicely",
                "Invoicing software, monthly plan", approved=True),
)


@dataclass(frozen=True)
class DemoInvoice:
    description: str
    net: Decimal
    issued: int  # days from today (negative: in the past)
    due: int
    paid: int | None = None


@dataclass(frozen=True)
class DemoCustomer:
    company_name: str
    contact_name: str
    phone: str
    email: str
    city: str
    address: str
    postal_code: str
    person: DemoPerson | None = None  # who writes to the assistant for this customer
    invoices: tuple[DemoInvoice, ...] = ()


CUSTOMERS = (
    DemoCustomer("Harbor Street Café", "Priya Shah", "+1 555 010 4530", "priya@harborstreet.example", "Portland",
                 "410 NW Harbor Street", "97209", person=CUSTOMER, invoices=(
                     DemoInvoice("Walk-in cooler repair", Decimal("1000.00"), issued=-40, due=-10),
                     DemoInvoice("Quarterly maintenance visit", Decimal("300.00"), issued=-10, due=4),
                 )),
    DemoCustomer("Greenleaf Dental", "Omar Haddad", "+1 555 010 4540", "office@greenleaf.example", "Portland",
                 "2250 SE Division Street", "97202", invoices=(DemoInvoice("Water heater replacement", Decimal("2000.00"), issued=-35, due=-21, paid=-24),)),
    DemoCustomer("Bluebird Bakery", "Lena Fischer", "+1 555 010 4550", "lena@bluebird.example", "Beaverton",
                 "12800 SW Canyon Road", "97005"),
)


@dataclass(frozen=True)
class AdminLogin:
    username: str
    # None when it is not known: the saved copy is gone or no longer works.
    password: str | None
    saved_in: Path
    created: bool


@dataclass
class DemoSeedResult:
    admin: AdminLogin
    people: list[User]
    # What this run created, by kind ("people", "expenses", "customers", "invoices", "payments").
    created: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        self.created[kind] = self.created.get(kind, 0) + 1


@transaction.atomic
def demo_seed(*, login_file: Path) -> DemoSeedResult:
    """Create the demo business if it is not there yet; return the admin login and the demo people.

    `login_file` keeps the admin's password (mode 0600) so that later runs can print it again.
    Nothing is sent on WhatsApp.
    """
    result = DemoSeedResult(admin=_admin_ensure(login_file=login_file), people=[])

    users = {}
    admin = User.objects.get(username=ADMIN_USERNAME)
    for person in PEOPLE:
        users[person], created = _person_ensure(person)
        result.people.append(users[person])
        if created:
            result.count("people")
            for expense in EXPENSES:
                if expense.by == person:
                    # PEOPLE lists the manager first: they approve the staff's approved expenses, and
                    # the admin the manager's (four eyes: nobody reviews their own).
                    reviewer = admin if person == MANAGER else users[MANAGER]
                    _expense_record(expense, user=users[person], reviewer=reviewer)
                    result.count("expenses")

    for customer in CUSTOMERS:
        if Customer.objects.filter(company_name__iexact=customer.company_name).exists():
            continue
        _customer_add(customer, users=users, result=result)
    if _profile_ensure():
        result.count("business profile")
    return result


# The business's own details on its invoices (fictional: the bank account is the IBAN standard's
# documentation example).
PROFILE = {
    "legal_name": "Ortega Plumbing & Heating LLC", "address_line1": "1200 SE Water Avenue", "postcode": "97214",
    "city": "Portland", "country_code": "US", "tax_number": "93-1234567", "iban": "GB33BUKB20201555555555",
    "bic": "BUKBGB22", "bank_name": "Demo Bank", "email": "office@ortega-plumbing.example",
    "phone": "+1 555 010 4400", "payment_terms": "Payable within 14 days without deduction.",
    "footer": "Ortega Plumbing & Heating LLC · Portland, Oregon · Oregon CCB #000000 (demo)",
}


def _profile_ensure() -> bool:
    """Fill in the business profile once, while it has no legal name (never over what people entered)."""
    profile = business_profile()
    if profile.legal_name:
        return False
    for field_name, value in PROFILE.items():
        setattr(profile, field_name, value)
    profile.save()
    return True


# --- the admin login ------------------------------------------------------------------------------
def _admin_ensure(*, login_file: Path) -> AdminLogin:
    admin = User.objects.filter(username=ADMIN_USERNAME).first()
    if admin is not None:
        saved = login_file_read(login_file)
        known = saved if saved and admin.check_password(saved) else None
        return AdminLogin(username=ADMIN_USERNAME, password=known, saved_in=login_file, created=False)
    password = secrets.token_urlsafe(15)
    # Saved before the user exists: if the transaction rolls back, the next run makes both again.
    login_file_write(login_file, username=ADMIN_USERNAME, password=password)
    # A name of its own: people are told who answered or reviewed by name, never by login.
    User.objects.create_superuser(username=ADMIN_USERNAME, email="", password=password, role=User.Role.MANAGER,
                                  first_name=ADMIN_FIRST_NAME, last_name=ADMIN_LAST_NAME)
    return AdminLogin(username=ADMIN_USERNAME, password=password, saved_in=login_file, created=True)


def login_file_write(path: Path, *, username: str, password: str) -> None:
    """Write the admin login to `path`, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    # A file that already existed keeps its mode through O_CREAT: narrow it before writing.
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write("# The demo admin login made by `manage.py seed_demo`.\n"
                   f"url: /admin/\nusername: {username}\npassword: {password}\n")


def login_file_read(path: Path) -> str | None:
    """The password saved in `path`, or None when the file is gone or holds none."""
    try:
        lines = path.read_text().splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return None
    for line in lines:
        key, _, value = line.partition(":")
        if key.strip() == "password" and value.strip():
            return value.strip()
    return None


# --- people and their records ---------------------------------------------------------------------
def _person_ensure(person: DemoPerson) -> tuple[User, bool]:
    """The person with this number as they are now (never updated), or a new one."""
    existing = User.objects.filter(phone_number=normalize_phone(person.phone)).first()
    if existing is not None:
        return existing, False
    return member_upsert(phone=person.phone, name=person.name, role=person.role).user, True


def _expense_record(demo: DemoExpense, *, user: User, reviewer: User) -> Expense:
    expense = services.expense_record(
        user=user, category=demo.category, gross=demo.gross, merchant=demo.merchant,
        description=demo.description, spent_on=timezone.localdate() - timedelta(days=demo.days_ago),
    )
    if demo.approved:
        # History, not news: services.expense_review would tell the submitter on WhatsApp now.
        expense.status = Expense.Status.APPROVED
        expense.reviewed_by = reviewer
        expense.reviewed_at = timezone.now() - timedelta(days=max(demo.days_ago - 1, 0))
        expense.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
    return expense


def _customer_add(demo: DemoCustomer, *, users: dict[DemoPerson, User], result: DemoSeedResult) -> Customer:
    manager = users[MANAGER]
    customer = services.customer_add(user=manager, company_name=demo.company_name, contact_name=demo.contact_name,
                                     phone=demo.phone, email=demo.email, city=demo.city, address=demo.address,
                                     postal_code=demo.postal_code, country_code="US")
    result.count("customers")
    if demo.person is not None:
        customer.user = users[demo.person]
        customer.save(update_fields=["user"])
    today = timezone.localdate()
    for invoice_demo in demo.invoices:
        invoice = services.invoice_create(
            user=manager, customer_id=customer.pk, description=invoice_demo.description, net=invoice_demo.net,
            issued_on=today + timedelta(days=invoice_demo.issued), due_on=today + timedelta(days=invoice_demo.due),
        )
        result.count("invoices")
        if invoice_demo.paid is not None:
            paid_on = today + timedelta(days=invoice_demo.paid)
            services.invoice_mark_paid(user=manager, invoice_id=invoice.pk, paid_on=paid_on)
            services.revenue_record(user=manager, net=invoice.net, gross=invoice.gross, currency=invoice.currency,
                                    customer=customer, received_on=paid_on,
                                    description=f"Payment of {invoice.number}")
            result.count("payments")
    return customer
