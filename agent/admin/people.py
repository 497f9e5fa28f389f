"""A person's expenses and invoices on their admin page (settings.ACCOUNTS_PERSON_SECTIONS).

Someone's expenses show only to themselves and to those who review expenses. A customer's invoices
are those of the customer records linked to them; for staff and managers, the invoices they created.
"""

from accounts.admin import person_section
from accounts.models import User
from agent.models import Expense, Invoice


def person_sections(person, *, viewer) -> list[dict]:
    sections = []
    if viewer.pk == person.pk or viewer.has_perm("agent.review_expense"):
        sections.append(person_section(
            "Expenses", Expense.objects.filter(submitted_by=person).order_by("-spent_on", "-id"),
            lambda e: [f"#{e.pk}", e.spent_on, e.get_category_display(), e.gross_display, e.get_status_display()],
            "No expenses submitted."))
    if person.role == User.Role.CUSTOMER:
        invoices, title = Invoice.objects.filter(customer__user=person), "Invoices (to their customers)"
    else:
        invoices, title = Invoice.objects.filter(created_by=person), "Invoices (created by them)"
    sections.append(person_section(
        title, invoices.select_related("customer").order_by("-issued_on", "-id"),
        lambda i: [i.number, i.customer, i.issued_on, i.gross_display, i.get_status_display(),
                   "overdue" if i.is_overdue else ""],
        "No invoices."))
    return sections
