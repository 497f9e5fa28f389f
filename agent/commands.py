"""Commands answered by code, fast and free, with or without the LLM.

/help · /expense 12.50 fuel [category] · /expenses [this month|last month] · /invoices [overdue]
"""

from django.utils import timezone

from agent import selectors, services
from agent.amounts import parse_decimal
from config.display import money
from agent.errors import ApplicationError
from agent.models import Expense

STAFF_ROLES = {"staff", "manager"}
CATEGORIES = [c for c, _ in Expense.Category.choices]
MAX_LINES = 15

HELP_STAFF = (
    "Commands that always work:\n"
    "/expense 12.50 fuel [category]: record an expense (amount with tax)\n"
    "/expenses [this month|last month]: your expenses and totals\n"
    "/invoices [overdue]: open (or overdue) invoices\n"
    "/help: this list\n"
    f"Categories: {', '.join(CATEGORIES)}."
)
HELP_CUSTOMER = (
    "Commands that always work:\n"
    "/invoices: your invoices and what is outstanding\n"
    "/help: this list"
)


def is_command(text: str) -> bool:
    return text.startswith("/")


def help_text(user) -> str:
    return HELP_STAFF if user.role in STAFF_ROLES else HELP_CUSTOMER


def run(*, user, text: str, message=None) -> str:
    """Answer a /command. Unknown commands and bad arguments get the help, never an error."""
    name, _, rest = text.strip().partition(" ")
    name = name.lower()
    rest = rest.strip()
    handler = {"/help": _help, "/expense": _expense, "/expenses": _expenses, "/invoices": _invoices}.get(name)
    if handler is None:
        return f"I don't know the command {name}.\n\n{help_text(user)}"
    if name in ("/expense", "/expenses") and user.role not in STAFF_ROLES:
        return f"That command is for staff.\n\n{help_text(user)}"
    try:
        return handler(user=user, rest=rest, message=message)
    except ApplicationError as exc:
        return f"{exc}\n\n{help_text(user)}"


def _help(*, user, rest, message):
    return help_text(user)


def _expense(*, user, rest, message):
    words = rest.split()
    if not words:
        raise ApplicationError("Usage: /expense 12.50 fuel [category]")
    amount = parse_decimal(words[0])
    words = words[1:]
    category = "other"
    if words and words[-1].lower() in CATEGORIES:
        category = words[-1].lower()
        if len(words) > 1:
            words = words[:-1]
    elif words and any(w.lower() in CATEGORIES for w in words):
        category = next(w.lower() for w in words if w.lower() in CATEGORIES)
    description = " ".join(words)
    expense = services.expense_record(user=user, gross=amount, category=category, description=description,
                                      source_message=message)
    return (f"Saved expense #{expense.pk}: {money(expense.gross, expense.currency)} gross "
            f"({money(expense.net, expense.currency)} net + {money(expense.gross - expense.net, expense.currency)} "
            f"tax), {expense.category}, {expense.description or 'no description'}, {expense.spent_on:%Y-%m-%d}. "
            "Status: pending review.")


def _expenses(*, user, rest, message):
    period = rest.lower() or "this month"
    if period not in ("this month", "last month"):
        raise ApplicationError("Usage: /expenses [this month|last month]")
    filters = selectors.ExpenseFilters(period=period)
    expenses = selectors.expense_list(user=user, filters=filters)
    totals = selectors.expense_totals(expenses)
    rows = list(expenses.order_by("-spent_on", "-id")[:MAX_LINES])
    if not rows:
        return f"No expenses {period}."
    lines = [f"Expenses {period}:"]
    for e in rows:
        lines.append(f"#{e.pk} {e.spent_on:%d %b} {money(e.gross, e.currency)} {e.category}"
                     f"{' · ' + e.description if e.description else ''} ({e.status})")
    count = sum(t["count"] for t in totals)
    if count > len(rows):
        lines.append(f"… and {count - len(rows)} more.")
    for t in totals:
        lines.append(f"Total: {money(t['gross'], t['currency'])} gross, {money(t['net'], t['currency'])} net "
                     f"({t['count']} expenses)")
    return "\n".join(lines)


def _invoices(*, user, rest, message):
    today = timezone.localdate()
    if user.role not in STAFF_ROLES:
        invoices, outstanding = selectors.my_invoices(user=user)
        rows = list(invoices[:MAX_LINES])
        if not rows:
            return "You have no invoices with us."
        lines = ["Your invoices:"] + [_invoice_line(i, today) for i in rows]
        lines += [f"Outstanding: {money(t['gross'], t['currency'])}" for t in outstanding] or ["Nothing outstanding."]
        return "\n".join(lines)
    state = rest.lower() or "open"
    if state not in ("open", "overdue"):
        raise ApplicationError("Usage: /invoices [overdue]")
    invoices = selectors.invoice_list(user=user, state=state)
    rows = list(invoices[:MAX_LINES])
    if not rows:
        return "No overdue invoices." if state == "overdue" else "No open invoices."
    lines = [f"{'Overdue' if state == 'overdue' else 'Open'} invoices:"] + [_invoice_line(i, today) for i in rows]
    return "\n".join(lines)


def _invoice_line(invoice, today) -> str:
    overdue = " OVERDUE" if invoice.is_overdue else ""
    return (f"{invoice.number} {invoice.customer} {money(invoice.gross, invoice.currency)} "
            f"due {invoice.due_on:%d %b %Y} ({invoice.status}{overdue})")
