"""Reads of the business's records. Who may see what is enforced here, in the queryset.

- Expenses: managers see everyone's; staff only their own; customers and anyone inactive, none.
- Revenue and customers: staff and managers.
- Invoices: staff and managers all; a customer only those of the Customer records linked to them,
  and never drafts.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.models import User
from agent.amounts import parse_decimal
from config.display import round_cents
from agent.categories import parse_category
from agent.errors import ApplicationError, NotFound, PermissionDenied
from agent.models import AgentTurn, Customer, Expense, Invoice, Revenue
from agent.periods import PERIODS, date_range, period_range  # noqa: F401  (re-exported: part of this API)
from agent.roles import is_customer, is_manager, is_team_member
from whatsapp.models import Message

INVOICE_STATES = ("open", "overdue", "paid", "all")
SUMMARY_GROUPS = ("category", "month", "person")


@dataclass(frozen=True)
class ExpenseFilters:
    """What to list. Dates are dates or ISO text; amounts anything parse_decimal reads (on gross).

    A named `period` gives the range; an explicit date_from/date_to takes precedence over its end.
    `submitted_by_id` narrows a manager's list to one person; anyone else may only name themselves.
    """

    date_from: date | str | None = None
    date_to: date | str | None = None
    period: str | None = None
    category: str | None = None
    status: str | None = None
    text: str | None = None
    amount_min: Decimal | str | None = None
    amount_max: Decimal | str | None = None
    submitted_by_id: int | None = None


@dataclass(frozen=True)
class RevenueFilters:
    """Like ExpenseFilters; `text` matches the description or the customer's company name."""

    date_from: date | str | None = None
    date_to: date | str | None = None
    period: str | None = None
    text: str | None = None
    customer_id: int | None = None
    amount_min: Decimal | str | None = None
    amount_max: Decimal | str | None = None


# --- expenses -------------------------------------------------------------------------------------
def expenses_visible_to(user) -> QuerySet[Expense]:
    """Every expense this person may see: all for managers, their own for staff, none otherwise."""
    expenses = Expense.objects.select_related("submitted_by")
    if is_manager(user):
        return expenses
    if is_team_member(user):
        return expenses.filter(submitted_by=user)
    return expenses.none()


def expense_get(*, user, expense_id: int) -> Expense:
    """One expense this person may see, else NotFound (the same answer whether or not it exists)."""
    expense = expenses_visible_to(user).filter(pk=parse_id(expense_id, "expense")).first()
    if expense is None:
        raise NotFound(f"Expense #{expense_id} not found.")
    return expense


def expense_list(*, user, filters: ExpenseFilters | None = None, today: date | None = None) -> QuerySet[Expense]:
    """The expenses this person may see that match `filters`, newest first.

    Raises PermissionDenied when someone other than a manager asks for another person's expenses.
    """
    filters = filters or ExpenseFilters()
    expenses = expenses_visible_to(user)
    if filters.submitted_by_id not in (None, ""):
        person_id = parse_id(filters.submitted_by_id, "person")
        if is_manager(user):
            expenses = expenses.filter(submitted_by_id=person_id)
        elif person_id != getattr(user, "pk", None):
            raise PermissionDenied("You can only see your own expenses.")
    start, end = date_range(date_from=filters.date_from, date_to=filters.date_to, period=filters.period,
                            today=today or timezone.localdate())
    if start:
        expenses = expenses.filter(spent_on__gte=start)
    if end:
        expenses = expenses.filter(spent_on__lte=end)
    if filters.category:
        expenses = expenses.filter(category=parse_category(filters.category))
    if filters.status:
        status = filters.status.strip().lower()
        if status not in Expense.Status.values:
            raise ApplicationError(f"Unknown status {filters.status!r}. Use one of: {', '.join(Expense.Status.values)}.")
        expenses = expenses.filter(status=status)
    if filters.text and filters.text.strip():
        text = filters.text.strip()
        expenses = expenses.filter(Q(merchant__icontains=text) | Q(description__icontains=text))
    return _amount_range(expenses, filters.amount_min, filters.amount_max)


def expense_totals(expenses: QuerySet) -> list[dict]:
    """Totals per currency: [{"currency", "count", "net", "tax", "gross"}], by currency code."""
    return _totals(expenses)


def expense_summary(*, user, filters: ExpenseFilters | None = None, group_by: str = "category",
                    today: date | None = None) -> list[dict]:
    """Net, tax and gross of the expenses this person may see, grouped by category, month or person.

    Rows: {"group", "label", "currency", "count", "net", "tax", "gross"}; months ascending, other
    groups largest gross first. Grouping by person is for managers only (PermissionDenied).
    """
    if group_by not in SUMMARY_GROUPS:
        raise ApplicationError(f"Cannot group by {group_by!r}. Use one of: {', '.join(SUMMARY_GROUPS)}.")
    if group_by == "person" and not is_manager(user):
        raise PermissionDenied("Only managers can see expenses by person.")
    expenses = expense_list(user=user, filters=filters, today=today).order_by()
    if group_by == "category":
        keys = ("category",)
    elif group_by == "month":
        expenses = expenses.annotate(month=TruncMonth("spent_on"))
        keys = ("month",)
    else:
        keys = ("submitted_by_id", "submitted_by__first_name", "submitted_by__last_name", "submitted_by__username")
    rows = expenses.values(*keys, "currency").annotate(count=Count("id"), net=Sum("net"), gross=Sum("gross"))
    labels = dict(Expense.Category.choices)
    summary = []
    for row in rows:
        if group_by == "category":
            group, label = row["category"], labels.get(row["category"], row["category"])
        elif group_by == "month":
            month = row["month"]
            group, label = f"{month:%Y-%m}", f"{month:%B %Y}"
        else:
            name = f"{row['submitted_by__first_name']} {row['submitted_by__last_name']}".strip()
            group, label = row["submitted_by_id"], name or row["submitted_by__username"]
        summary.append({"group": group, "label": label, **_amounts_row(row)})
    if group_by == "month":
        return sorted(summary, key=lambda r: (r["group"], r["currency"]))
    return sorted(summary, key=lambda r: (r["currency"], -r["gross"], str(r["group"])))


# --- revenue --------------------------------------------------------------------------------------
def revenue_visible_to(user) -> QuerySet[Revenue]:
    """All revenue for staff and managers; none for anyone else."""
    if is_team_member(user):
        return Revenue.objects.select_related("customer")
    return Revenue.objects.none()


def revenue_list(*, user, filters: RevenueFilters | None = None, today: date | None = None) -> QuerySet[Revenue]:
    """The revenue this person may see that matches `filters`, newest first."""
    filters = filters or RevenueFilters()
    revenue = revenue_visible_to(user)
    start, end = date_range(date_from=filters.date_from, date_to=filters.date_to, period=filters.period,
                            today=today or timezone.localdate())
    if start:
        revenue = revenue.filter(received_on__gte=start)
    if end:
        revenue = revenue.filter(received_on__lte=end)
    if filters.customer_id not in (None, ""):
        revenue = revenue.filter(customer_id=parse_id(filters.customer_id, "customer"))
    if filters.text and filters.text.strip():
        text = filters.text.strip()
        revenue = revenue.filter(Q(description__icontains=text) | Q(customer__company_name__icontains=text))
    return _amount_range(revenue, filters.amount_min, filters.amount_max)


def revenue_totals(revenue: QuerySet) -> list[dict]:
    """Totals per currency: [{"currency", "count", "net", "tax", "gross"}], by currency code."""
    return _totals(revenue)


def profit_summary(*, user, date_from: date | str | None = None, date_to: date | str | None = None,
                   period: str | None = None, today: date | None = None) -> dict[str, dict]:
    """Revenue minus expenses per currency, for the business as a whole (staff and managers).

    {"EUR": {"revenue_net", "revenue_gross", "expenses_net", "expenses_gross", "profit_net"}}.
    Expenses count when approved or pending (not yet reviewed is still money spent); rejected ones
    do not. Staff get these business-wide totals too, but never another person's expense records.
    """
    if not is_team_member(user):
        raise PermissionDenied("Only staff and managers can see the profit.")
    start, end = date_range(date_from=date_from, date_to=date_to, period=period, today=today or timezone.localdate())
    expenses = Expense.objects.exclude(status=Expense.Status.REJECTED)
    revenue = Revenue.objects.all()
    if start:
        expenses, revenue = expenses.filter(spent_on__gte=start), revenue.filter(received_on__gte=start)
    if end:
        expenses, revenue = expenses.filter(spent_on__lte=end), revenue.filter(received_on__lte=end)
    zero = Decimal("0.00")
    summary: dict[str, dict] = {}
    for prefix, totals in (("revenue", _totals(revenue)), ("expenses", _totals(expenses))):
        for row in totals:
            entry = summary.setdefault(row["currency"], {
                "revenue_net": zero, "revenue_gross": zero, "expenses_net": zero, "expenses_gross": zero,
            })
            entry[f"{prefix}_net"], entry[f"{prefix}_gross"] = row["net"], row["gross"]
    for entry in summary.values():
        entry["profit_net"] = entry["revenue_net"] - entry["expenses_net"]
    return dict(sorted(summary.items()))


# --- customers ------------------------------------------------------------------------------------
def customer_find(*, user, query: str = "") -> QuerySet[Customer]:
    """Customers whose company, contact, email or phone contains `query` (all when it is empty).

    Staff and managers only (PermissionDenied). A phone is matched on its digits, however written.
    """
    if not is_team_member(user):
        raise PermissionDenied("Only staff and managers can look up customers.")
    text = (query or "").strip()
    customers = Customer.objects.all()
    if not text:
        return customers
    condition = (Q(company_name__icontains=text) | Q(contact_name__icontains=text)
                 | Q(email__icontains=text) | Q(phone__icontains=text))
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 4:
        condition |= Q(phone__contains=digits)
    return customers.filter(condition)


def customer_get(*, user, customer_id: int) -> Customer:
    """One customer (staff and managers), else NotFound / PermissionDenied."""
    if not is_team_member(user):
        raise PermissionDenied("Only staff and managers can look up customers.")
    customer = Customer.objects.filter(pk=parse_id(customer_id, "customer")).first()
    if customer is None:
        raise NotFound(f"Customer #{customer_id} not found.")
    return customer


# --- invoices -------------------------------------------------------------------------------------
def invoices_visible_to(user) -> QuerySet[Invoice]:
    """All invoices for staff and managers; a customer's own (not drafts); none otherwise."""
    invoices = Invoice.objects.select_related("customer")
    if is_team_member(user):
        return invoices
    if is_customer(user):
        return invoices.filter(customer__user=user).exclude(status=Invoice.Status.DRAFT)
    return invoices.none()


def invoice_get(*, user, invoice_id: int) -> Invoice:
    """One invoice this person may see, else NotFound."""
    invoice = invoices_visible_to(user).filter(pk=parse_id(invoice_id, "invoice")).first()
    if invoice is None:
        raise NotFound(f"Invoice #{invoice_id} not found.")
    return invoice


def invoice_list(*, user, state: str = "open", customer_id: int | None = None,
                 today: date | None = None) -> QuerySet[Invoice]:
    """Invoices this person may see: "open" (draft or sent), "overdue" (open and past due),
    "paid" or "all"; optionally of one customer. Open and overdue ones soonest due first."""
    key = (state or "open").strip().lower()
    invoices = invoices_visible_to(user)
    if customer_id not in (None, ""):
        invoices = invoices.filter(customer_id=parse_id(customer_id, "customer"))
    if key == "open":
        return invoices.open().order_by("due_on", "id")
    if key == "overdue":
        return invoices.overdue(today).order_by("due_on", "id")
    if key == "paid":
        return invoices.filter(status=Invoice.Status.PAID).order_by("-paid_on", "-id")
    if key == "all":
        return invoices
    raise ApplicationError(f"Unknown invoice state {state!r}. Use one of: {', '.join(INVOICE_STATES)}.")


def my_invoices(*, user) -> tuple[QuerySet[Invoice], list[dict]]:
    """The invoices of the Customer records linked to this person (not drafts), newest first, and
    what is outstanding on them (sent, not paid) per currency: [{"currency", "count", "net", "tax", "gross"}]."""
    if not (is_customer(user) or is_team_member(user)):
        return Invoice.objects.none(), []
    invoices = (Invoice.objects.select_related("customer").filter(customer__user=user)
                .exclude(status=Invoice.Status.DRAFT))
    return invoices, _totals(invoices.filter(status=Invoice.Status.SENT))


def invoice_totals(invoices: QuerySet) -> list[dict]:
    """Totals per currency: [{"currency", "count", "net", "tax", "gross"}], by currency code."""
    return _totals(invoices)


# --- people ---------------------------------------------------------------------------------------
def person_find(*, query: str, user=None) -> User:
    """The one staff member or manager a name, username or phone number means (for a manager's
    "expenses of Sheena"). NotFound if nobody matches; ApplicationError naming the candidates if
    several do. When `user` is given, only managers may look people up."""
    if user is not None and not is_manager(user):
        raise PermissionDenied("Only managers can look up other people.")
    text = " ".join((query or "").split())
    if not text:
        raise ApplicationError("Whose? Give a name or a phone number.")
    team = User.objects.filter(role__in=[User.Role.STAFF, User.Role.MANAGER])
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 4:
        matches = list(team.filter(phone_number__contains=digits)[:6])
    else:
        exact = list(team.filter(username__iexact=text)[:2])
        condition = Q()
        for word in text.split():
            condition &= Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(username__icontains=word)
        matches = exact if len(exact) == 1 else list(team.filter(condition)[:6])
        full = [p for p in matches if p.get_full_name().lower() == text.lower()]
        matches = full if len(full) == 1 else matches
    if not matches:
        raise NotFound(f"Nobody on the team matches {text!r}.")
    if len(matches) > 1:
        names = "; ".join(f"{p.display_name} ({p.phone_number or p.username})" for p in matches[:5])
        raise ApplicationError(f"{text!r} matches several people: {names}. Which one?")
    return matches[0]


# --- the agent's own records ----------------------------------------------------------------------
def conversation_usage(*, conversation_id: int) -> dict:
    """Turns and tokens the agent spent on one conversation (what its cost is computed from)."""
    totals = AgentTurn.objects.filter(conversation_id=conversation_id).aggregate(
        turns=Count("id"), prompt_tokens=Sum("prompt_tokens"), completion_tokens=Sum("completion_tokens"),
        total_tokens=Sum("total_tokens"),
    )
    return {key: value or 0 for key, value in totals.items()}


# --- helpers --------------------------------------------------------------------------------------
def parse_id(value, what: str = "record") -> int:
    """A record id from a number or its text; ApplicationError otherwise."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApplicationError(f"{value!r} is not a valid {what} id (ids are numbers).") from None


def _amount_range(records: QuerySet, amount_min, amount_max) -> QuerySet:
    if amount_min not in (None, ""):
        records = records.filter(gross__gte=parse_decimal(amount_min))
    if amount_max not in (None, ""):
        records = records.filter(gross__lte=parse_decimal(amount_max))
    return records


def _amounts_row(row: dict) -> dict:
    net, gross = round_cents(row["net"] or Decimal(0)), round_cents(row["gross"] or Decimal(0))
    return {"currency": row["currency"], "count": row["count"], "net": net, "tax": gross - net, "gross": gross}


def _totals(records: QuerySet) -> list[dict]:
    rows = (records.order_by().values("currency")
            .annotate(count=Count("id"), net=Sum("net"), gross=Sum("gross")).order_by("currency"))
    return [_amounts_row(row) for row in rows]


RECEIPT_LOOKBACK = timedelta(hours=24)


def receipt_message_unattached(*, user, conversation, before):
    """The latest photo or PDF `user` sent in this chat before `before` (within a day) that the
    assistant answered them about, is downloaded, and is not yet the source of any record.

    "The assistant answered them" (an AgentTurn for `user`) ties the file to this person even if the
    number once belonged to someone else."""
    used = [model.objects.filter(source_message__isnull=False).values("source_message_id")
            for model in (Expense, Revenue, Invoice)]
    earlier = Q(timestamp__lt=before.timestamp) | Q(timestamp=before.timestamp, id__lt=before.pk)
    rows = (Message.objects.filter(earlier, conversation=conversation, direction=Message.Direction.INBOUND,
                                   type__in=("image", "document"), status=Message.Status.HANDLED,
                                   timestamp__gte=before.timestamp - RECEIPT_LOOKBACK)
            .filter(Exists(AgentTurn.objects.filter(message=OuterRef("pk"), user=user)))
            .exclude(media_file=""))
    for sources in used:
        rows = rows.exclude(pk__in=sources)
    return rows.order_by("-timestamp", "-id").first()
