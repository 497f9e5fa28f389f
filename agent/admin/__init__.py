"""The business's records in the admin, and what the admin shows of the assistant's work.

    expenses.py    expenses: filters, totals, receipts, CSV
    expense_review.py  the review: pending first, one at a time with the next after it, or many
    records.py     revenue, customers, invoices (CSV, mark paid), and the assistant's log (read-only)
    dashboard.py   the managers' dashboard (settings.ADMIN_PAGES), drawn by charts.py
    csv_export.py  the CSV export of a filtered list
    columns.py     list columns showing money with its currency
    transcript.py  the assistant's work in a conversation's transcript (settings.WHATSAPP_AGENT_WORK)
    people.py      a person's expenses and invoices on their page (settings.ACCOUNTS_PERSON_SECTIONS)
"""

from agent.admin import expenses, records  # noqa: F401  (registers the admins)
