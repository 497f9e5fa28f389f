"""Changes to the business's records. Every service checks the actor's role and raises
ApplicationError (or its NotFound / PermissionDenied) with a message a person can act on.

Records are found through the selectors' `*_visible_to` querysets, so nothing reveals whether a
record the person may not see exists.
"""

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.phone import InvalidPhoneNumber, normalize_phone
from agent.amounts import parse_currency, resolve_amounts
from agent.categories import parse_category
from agent.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from agent.invoices.lines import lines_check, single_line, totals_of
from agent.invoices.services import invoice_lines_store, invoice_totals_apply
from agent.models import Customer, Expense, Invoice, InvoiceSequence, Revenue
from agent.periods import parse_date
from agent.roles import is_manager, is_team_member
from agent.selectors import expenses_visible_to, invoices_visible_to, parse_id
from config.display import local_date, money
from whatsapp.outbound import notify

logger = logging.getLogger(__name__)

EXPENSE_FIELDS = {"category", "net", "gross", "tax_rate", "currency", "description", "merchant", "spent_on"}
AMOUNT_FIELDS = ("net", "gross", "tax_rate")
MAX_RECEIPT_BYTES = 20 * 1024 * 1024


def _require_team(user, action: str) -> None:
    if not is_team_member(user):
        raise PermissionDenied(f"Only staff and managers can {action}.")


def _amounts(*, net, gross, tax_rate):
    return resolve_amounts(net=net, gross=gross, tax_rate=tax_rate, default_tax_rate=settings.DEFAULT_TAX_RATE)


def _currency(value) -> str:
    return parse_currency(value, default=settings.DEFAULT_CURRENCY)


def _past_date(value, *, field: str, default: date | None = None) -> date:
    day = parse_date(value, field=field) or default or timezone.localdate()
    if day > timezone.localdate():
        raise ApplicationError(f"The {field} {day} is in the future.")
    return day


def _text(value, *, field: str, max_length: int | None = None) -> str:
    text = " ".join(str(value or "").split()) if max_length else str(value or "").strip()
    if max_length and len(text) > max_length:
        raise ApplicationError(f"The {field} is too long (at most {max_length} characters).")
    return text


def _locked(records, record_id, what: str):
    """The record with this id among `records`, locked (only its own row) until the transaction ends."""
    return records.select_for_update(of=("self",)).filter(pk=parse_id(record_id, what)).first()


# --- expenses -------------------------------------------------------------------------------------
@transaction.atomic
def expense_record(*, user, category: str, net=None, gross=None, tax_rate=None, currency: str | None = None,
                   description: str = "", merchant: str = "", spent_on: date | str | None = None,
                   receipt: tuple[str, bytes] | None = None, source_message=None) -> Expense:
    """Record an expense of `user` (staff and managers), pending review.

    Give two of net, gross and tax rate, or net or gross alone (the DEFAULT_TAX_RATE applies);
    amounts may be text such as "1.234,50". `spent_on` defaults to today in the business time
    zone and may not be in the future. `receipt` is (file name, bytes) of a photo or PDF.
    """
    _require_team(user, "record expenses")
    amounts = _amounts(net=net, gross=gross, tax_rate=tax_rate)
    expense = Expense(
        submitted_by=user, category=parse_category(category), net=amounts.net, tax_rate=amounts.tax_rate,
        gross=amounts.gross, currency=_currency(currency), description=_text(description, field="description"),
        merchant=_text(merchant, field="merchant", max_length=200),
        spent_on=_past_date(spent_on, field="date spent"), source_message=source_message,
    )
    if receipt is not None:
        name, content = receipt
        if not content:
            raise ApplicationError("The receipt file is empty.")
        if len(content) > MAX_RECEIPT_BYTES:
            raise ApplicationError("The receipt file is too large.")
        expense.receipt.save(name or "receipt", ContentFile(content), save=False)
    expense.save()
    return expense


def _own_pending_expense(*, user, expense_id, action: str) -> Expense:
    expense = _locked(expenses_visible_to(user), expense_id, "expense")
    if expense is None:
        raise NotFound(f"Expense #{expense_id} not found.")
    expense_check_changeable(user=user, expense=expense, action=action)
    return expense


def expense_check_changeable(*, user, expense: Expense, action: str) -> None:
    """Raise unless `user` may change or delete `expense`: their own, still pending. Tools check it
    before asking for a confirmation, so a Yes is never asked for what would then be refused."""
    if expense.submitted_by_id != user.pk:
        raise PermissionDenied(f"You can only {action} your own expenses.")
    if expense.status != Expense.Status.PENDING:
        raise Conflict(
            f"Expense #{expense.pk} is already {expense.status}; only pending expenses can be {action}d."
        )


@transaction.atomic
def expense_update(*, user, expense_id: int, **changes) -> Expense:
    """Change the user's own pending expense. Allowed: category, net, gross, tax_rate, currency,
    description, merchant, spent_on. None means "unchanged".

    Amounts: two or three of net / gross / tax_rate are resolved as when recording. One alone keeps
    the rest: a new net or gross keeps the tax rate; a new tax rate keeps the gross (what was paid).
    """
    _require_team(user, "change expenses")
    changes = {name: value for name, value in changes.items() if value is not None}
    unknown = set(changes) - EXPENSE_FIELDS
    if unknown:
        raise ApplicationError(
            f"Cannot change {', '.join(sorted(unknown))}. Changeable: {', '.join(sorted(EXPENSE_FIELDS))}."
        )
    expense = _own_pending_expense(user=user, expense_id=expense_id, action="change")
    given = {name: changes[name] for name in AMOUNT_FIELDS if changes.get(name) not in (None, "")}
    if given:
        if set(given) == {"tax_rate"}:
            given["gross"] = expense.gross
        elif len(given) == 1:
            given["tax_rate"] = expense.tax_rate
        amounts = _amounts(net=given.get("net"), gross=given.get("gross"), tax_rate=given.get("tax_rate"))
        expense.net, expense.tax_rate, expense.gross = amounts.net, amounts.tax_rate, amounts.gross
    if "category" in changes:
        expense.category = parse_category(changes["category"])
    if "currency" in changes:
        expense.currency = _currency(changes["currency"])
    if "description" in changes:
        expense.description = _text(changes["description"], field="description")
    if "merchant" in changes:
        expense.merchant = _text(changes["merchant"], field="merchant", max_length=200)
    if "spent_on" in changes:
        expense.spent_on = _past_date(changes["spent_on"], field="date spent", default=expense.spent_on)
    expense.save()
    return expense


@transaction.atomic
def expense_delete(*, user, expense_id: int) -> None:
    """Delete the user's own pending expense (and its receipt file, once committed)."""
    _require_team(user, "delete expenses")
    expense = _own_pending_expense(user=user, expense_id=expense_id, action="delete")
    receipt = expense.receipt
    expense.delete()
    if receipt:
        storage, name = receipt.storage, receipt.name
        transaction.on_commit(lambda: storage.delete(name))


def expense_check_reviewable(*, reviewer, expense: Expense) -> bool:
    """Raise unless `reviewer` may approve or reject `expense` now; True when it is their own.

    Managers (and superusers) review pending expenses. Four eyes: nobody reviews their own expense
    while another active manager or superuser can; a superuser, or the only active manager, may
    (expense_review then marks it self-reviewed). The expenses of a person whose number (or
    business-scoped user id) the reviewer set count as the reviewer's own: a second SIM given to a
    made-up colleague is still one pair of eyes. The admin, the API and the assistant all ask here.
    """
    if not is_manager(reviewer):
        raise PermissionDenied("Only managers can approve or reject expenses.")
    if expense.status != Expense.Status.PENDING:
        raise Conflict(f"Expense #{expense.pk} was already {expense.status}.")
    submitter = expense.submitted_by
    if submitter.pk != reviewer.pk and submitter.identity_set_by_id != reviewer.pk:
        return False
    if reviewer.is_superuser or not _other_reviewers(reviewer).exists():
        return True
    if submitter.pk == reviewer.pk:
        raise PermissionDenied(f"Expense #{expense.pk} is your own: another manager reviews it (four eyes).")
    raise PermissionDenied(f"Expense #{expense.pk} is by {submitter.display_name}, whose WhatsApp number you "
                           "set: another manager reviews it (four eyes).")


def expense_may_review(*, reviewer, expense: Expense) -> bool:
    """Whether expense_check_reviewable lets `reviewer` review `expense` now (to offer a button or not)."""
    try:
        expense_check_reviewable(reviewer=reviewer, expense=expense)
    except ApplicationError:
        return False
    return True


def _other_reviewers(reviewer):
    return (User.objects.filter(is_active=True).filter(Q(role=User.Role.MANAGER) | Q(is_superuser=True))
            .exclude(pk=reviewer.pk))


def expense_review(*, reviewer, expense_id: int, approve: bool, note: str = "") -> Expense:
    """Approve or reject a pending expense (managers only; four eyes, see expense_check_reviewable),
    then tell the submitter on WhatsApp.

    A failed notification is logged and never undoes the review.
    """
    if not is_manager(reviewer):
        raise PermissionDenied("Only managers can approve or reject expenses.")
    with transaction.atomic():
        expense = _locked(expenses_visible_to(reviewer), expense_id, "expense")
        if expense is None:
            raise NotFound(f"Expense #{expense_id} not found.")
        own = expense_check_reviewable(reviewer=reviewer, expense=expense)
        expense.status = Expense.Status.APPROVED if approve else Expense.Status.REJECTED
        expense.reviewed_by = reviewer
        expense.reviewed_at = timezone.now()
        expense.review_note = _text(note, field="note")
        expense.self_reviewed = own
        expense.save()
        if not own:
            _notify_submitter(expense)
    return expense


def _notify_submitter(expense: Expense) -> None:
    what = f"{money(expense.gross, expense.currency)}, {expense.category}"
    if expense.merchant:
        what += f", {expense.merchant}"
    text = (f"Your expense #{expense.pk} ({what}, {local_date(expense.spent_on)}) was {expense.status} "
            f"by {expense.reviewed_by.public_name}.")
    if expense.review_note:
        text += f"\nNote: {expense.review_note}"
    # When their window is closed, the outcome goes as a template first; the text, note included,
    # follows when they answer.
    fallback = notify.fallback_template(
        name=settings.WHATSAPP_REVIEW_OUTCOME_TEMPLATE, language=settings.WHATSAPP_REVIEW_OUTCOME_TEMPLATE_LANGUAGE,
        body=[f"#{expense.pk} ({what})", expense.get_status_display().lower(), expense.reviewed_by.display_name])
    try:
        with transaction.atomic():
            notify.notify_user(user=expense.submitted_by, text=text, sent_by=expense.reviewed_by, fallback=fallback)
    except Exception:
        logger.exception("Could not notify the submitter of expense %s", expense.pk)


# --- revenue and customers ------------------------------------------------------------------------
@transaction.atomic
def revenue_record(*, user, net=None, gross=None, tax_rate=None, currency: str | None = None,
                   description: str = "", customer: Customer | None = None, customer_id: int | None = None,
                   received_on: date | str | None = None, source_message=None) -> Revenue:
    """Record money received (staff and managers), optionally from a customer (object or id).

    Amounts as for expenses; `received_on` defaults to today and may not be in the future.
    """
    _require_team(user, "record revenue")
    amounts = _amounts(net=net, gross=gross, tax_rate=tax_rate)
    if customer is None and customer_id not in (None, ""):
        customer = _customer(customer_id)
    return Revenue.objects.create(
        net=amounts.net, tax_rate=amounts.tax_rate, gross=amounts.gross, currency=_currency(currency),
        description=_text(description, field="description"), customer=customer,
        received_on=_past_date(received_on, field="date received"), recorded_by=user, source_message=source_message,
    )


def _customer(customer_id) -> Customer:
    customer = Customer.objects.filter(pk=parse_id(customer_id, "customer")).first()
    if customer is None:
        raise NotFound(f"Customer #{customer_id} not found.")
    return customer


@transaction.atomic
def customer_add(*, user, company_name: str, contact_name: str = "", phone: str = "", email: str = "",
                 address: str = "", city: str = "", postal_code: str = "", country: str = "",
                 country_code: str = "", vat_id: str = "") -> Customer:
    """Add a customer (staff and managers). The phone is stored as E.164; a company name already
    on file (in any case) is refused, naming the existing customer's id."""
    _require_team(user, "add customers")
    company = _text(company_name, field="company name", max_length=200)
    if not company:
        raise ApplicationError("A customer needs a company name.")
    existing = Customer.objects.filter(company_name__iexact=company).first()
    if existing is not None:
        raise Conflict(f"Customer {existing.company_name!r} already exists (#{existing.pk}).")
    if phone and phone.strip():
        try:
            phone = normalize_phone(phone)
        except InvalidPhoneNumber as exc:
            raise ApplicationError(exc.messages[0]) from None
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ApplicationError(f"{email!r} is not an email address.") from None
    return Customer.objects.create(
        company_name=company, contact_name=_text(contact_name, field="contact name", max_length=200),
        phone=(phone or "").strip(), email=email, address=_text(address, field="address", max_length=255),
        city=_text(city, field="city", max_length=100), postal_code=_text(postal_code, field="postal code", max_length=20),
        country=_text(country, field="country", max_length=100), country_code=_country_code(country_code),
        vat_id=_text(vat_id, field="VAT id", max_length=32).replace(" ", "").upper(),
    )


def _country_code(value) -> str:
    code = str(value or "").strip().upper()
    if code and (len(code) != 2 or not code.isascii() or not code.isalpha()):
        raise ApplicationError(f"{value!r} is not a country code. Give the 2-letter ISO code, e.g. DE or FR.")
    return code


# --- invoices -------------------------------------------------------------------------------------
@transaction.atomic
def invoice_number_next(*, year: int) -> str:
    """Take the next invoice number of `year` (INV-2026-0001, ...). The year's sequence row stays
    locked until the outermost transaction commits, so concurrent callers queue up and a rolled-back
    invoice gives its number back."""
    for _attempt in range(3):
        sequence = InvoiceSequence.objects.select_for_update().filter(year=year).first()
        if sequence is None:
            try:
                with transaction.atomic():
                    InvoiceSequence.objects.create(year=year, last_number=0)
            except IntegrityError:
                pass  # someone else created it first; lock theirs
            continue
        sequence.last_number += 1
        sequence.save(update_fields=["last_number"])
        return f"INV-{year}-{sequence.last_number:04d}"
    raise ApplicationError("Could not number the invoice; please try again.")


@transaction.atomic
def invoice_create(*, user, customer_id: int, description: str = "", net=None, gross=None, tax_rate=None,
                   currency: str | None = None, issued_on: date | str | None = None,
                   supplied_on: date | str | None = None, due_on: date | str | None = None,
                   status: str = Invoice.Status.SENT, lines: list[dict] | None = None,
                   source_message=None) -> Invoice:
    """Create and number an invoice to a customer (staff and managers), as "sent" or "draft".

    Either `lines` (each: description, quantity, unit, unit_price (net), tax_rate) or one amount
    (two of net, gross and tax rate, or one of them) with a description, which makes one line.
    Totals are the lines' (agent.invoices.lines). `issued_on` defaults to today; `supplied_on` to
    the issue date when printed; `due_on` to INVOICE_DUE_DAYS after the issue date, and not before it.
    """
    _require_team(user, "create invoices")
    customer = _customer(customer_id)
    text = _text(description, field="description")
    if status not in (Invoice.Status.DRAFT, Invoice.Status.SENT):
        raise ApplicationError("A new invoice is either draft or sent.")
    if lines:
        if any(_given(value) for value in (net, gross)):
            raise ApplicationError("Give either lines or one amount (net or gross), not both.")
        checked = lines_check(lines, default_tax_rate=settings.DEFAULT_TAX_RATE)
        text = text or checked[0].description
    else:
        if not text:
            raise ApplicationError("An invoice needs a description of what it is for.")
        checked = [single_line(description=text, amounts=_amounts(net=net, gross=gross, tax_rate=tax_rate))]
    issued = parse_date(issued_on, field="issue date") or timezone.localdate()
    supplied = parse_date(supplied_on, field="supply date")
    due = parse_date(due_on, field="due date") or issued + timedelta(days=settings.INVOICE_DUE_DAYS)
    if due < issued:
        raise ApplicationError(f"The due date {due} is before the issue date {issued}.")
    invoice = Invoice(
        number=invoice_number_next(year=issued.year), customer=customer, description=text,
        currency=_currency(currency), issued_on=issued, supplied_on=supplied, due_on=due, status=status,
        created_by=user, source_message=source_message,
    )
    invoice_totals_apply(invoice, totals_of(checked))
    invoice.save()
    invoice_lines_store(invoice=invoice, lines=checked)
    return invoice


def _given(value) -> bool:
    return value is not None and str(value).strip() != ""


def _invoice_for_change(*, user, invoice_id, action: str) -> Invoice:
    _require_team(user, action)
    invoice = _locked(invoices_visible_to(user), invoice_id, "invoice")
    if invoice is None:
        raise NotFound(f"Invoice #{invoice_id} not found.")
    return invoice


@transaction.atomic
def invoice_mark_paid(*, user, invoice_id: int, paid_on: date | str | None = None) -> Invoice:
    """Mark an open invoice paid (staff and managers) on `paid_on` (default today, not in the future)."""
    invoice = _invoice_for_change(user=user, invoice_id=invoice_id, action="mark invoices paid")
    invoice_check_payable(invoice=invoice)
    invoice.paid_on = _past_date(paid_on, field="payment date")
    invoice.status = Invoice.Status.PAID
    invoice.save()
    return invoice


def invoice_check_payable(*, invoice: Invoice) -> None:
    """Raise unless `invoice` can still be marked paid (checked again before asking for a Yes)."""
    if invoice.status == Invoice.Status.PAID:
        raise Conflict(f"Invoice {invoice.number} was already paid on {local_date(invoice.paid_on)}.")
    if invoice.status == Invoice.Status.VOID:
        raise Conflict(f"Invoice {invoice.number} is void and cannot be paid.")


@transaction.atomic
def invoice_void(*, user, invoice_id: int) -> Invoice:
    """Void an open invoice (staff and managers). Its number stays taken; paid ones cannot be voided."""
    invoice = _invoice_for_change(user=user, invoice_id=invoice_id, action="void invoices")
    if invoice.status == Invoice.Status.PAID:
        raise Conflict(f"Invoice {invoice.number} is paid and cannot be voided.")
    if invoice.status == Invoice.Status.VOID:
        raise Conflict(f"Invoice {invoice.number} is already void.")
    invoice.status = Invoice.Status.VOID
    invoice.save()
    return invoice
