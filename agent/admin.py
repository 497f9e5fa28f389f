"""Admin of the business's records: expenses (agent.admin_expenses), revenue, customers, invoices and
the agent's log (agent.admin_records), and the managers' dashboard (agent.admin_dashboard)."""

from agent import admin_dashboard, admin_expenses, admin_records  # noqa: F401  (registers the admins)

admin_dashboard.install()
