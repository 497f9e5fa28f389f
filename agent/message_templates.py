"""The templates the assistant sends (listed in settings.WHATSAPP_TEMPLATE_DEFINITIONS): what each
says, with the values agent.jobs, agent.services and the invoice sending fill in, in that order.

`manage.py whatsapp_templates create` submits them to Meta under the names in settings.
"""

from django.utils.html import escape

from whatsapp.catalogue.definitions import TemplateDefinition

OVERDUE_REMINDER = TemplateDefinition(
    setting="WHATSAPP_REMINDER_TEMPLATE",
    purpose="the daily reminder to customers with overdue invoices",
    category="UTILITY",
    body=("Hello {{1}}, this is a reminder that you have {{2}} overdue invoice(s), {{3}} in total: {{4}}. "
          "To get an invoice's PDF again, reply \"send me invoice\" and its number."),
    body_example=("Ann Lee", "2", "EUR 1,250.00", "INV-2026-0012, INV-2026-0015"),
)
WEEKLY_SUMMARY = TemplateDefinition(
    setting="WHATSAPP_WEEKLY_SUMMARY_TEMPLATE",
    purpose="the weekly spend summary to managers",
    category="UTILITY",
    body=("Your weekly summary for {{1}}: {{2}} spent, {{3}} expense(s) waiting for your review. "
          "Reply to this message to see them."),
    body_example=("04 May - 10 May 2026", "EUR 842.10", "3"),
)
REVIEW_OUTCOME = TemplateDefinition(
    setting="WHATSAPP_REVIEW_OUTCOME_TEMPLATE",
    purpose="tells the submitter that a manager reviewed their expense",
    category="UTILITY",
    body="Your expense {{1}} was {{2}} by {{3}}. Reply to this message to read the full review.",
    body_example=("#12 (EUR 42.50, fuel)", "approved", "Maria Ortega"),
)
INVOICE_ISSUED = TemplateDefinition(
    setting="WHATSAPP_INVOICE_TEMPLATE",
    purpose="sends a customer an issued invoice, its PDF attached",
    category="UTILITY",
    header_format="DOCUMENT",
    body=("Hello {{1}}, here is invoice {{2}} for {{3}}, due on {{4}}. "
          "Reply to this message if you have any questions."),
    body_example=("Ann Lee", "INV-2026-0012", "EUR 1,250.00", "30 May 2026"),
    example_document=lambda: _sample_invoice_pdf(),
)


def agent_templates() -> list[TemplateDefinition]:
    return [OVERDUE_REMINDER, WEEKLY_SUMMARY, REVIEW_OUTCOME, INVOICE_ISSUED]


def _sample_invoice_pdf() -> bytes:
    """A one-page sample invoice for Meta's review of the invoice template's document header."""
    from agent.invoices.pdf import html_to_pdf

    example = INVOICE_ISSUED.body_example
    return html_to_pdf(f"<h1>Invoice {escape(example[1])}</h1><p>Sample for the review of a WhatsApp message "
                       f"template.</p><p>Bill to: {escape(example[0])}</p><p>Total: {escape(example[2])}, due on "
                       f"{escape(example[3])}.</p>")
