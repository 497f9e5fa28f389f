"""Scheduled messages: overdue reminders to customers (daily) and spend summaries to managers (weekly)."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.models import User
from agent import jobs
from agent.models import Expense
from tests.agent import factories

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 25)  # a Wednesday


@pytest.fixture
def flush(django_capture_on_commit_callbacks, catalogue):
    """Run a job and deliver what it queued (the autouse `graph` fake records it); the templates are
    approved in the catalogue."""
    def run(job, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return job(**kwargs)
    return run


def _params(template_body: dict) -> list[str]:
    return [p["text"] for p in template_body["template"]["components"][0]["parameters"]]


def test_a_customer_with_overdue_invoices_gets_the_reminder_template(flush, graph):
    staff = factories.person()
    client_user = factories.person(role=User.Role.CUSTOMER, phone="+4915112345678")
    acme = factories.customer(company_name="Acme GmbH", contact_name="Lena", user=client_user)
    factories.invoice(to=acme, by=staff, issued_on=TODAY - timedelta(days=40), due_on=TODAY - timedelta(days=10),
                      gross="119.00", net="100.00")
    factories.invoice(to=acme, by=staff, issued_on=TODAY - timedelta(days=30), due_on=TODAY - timedelta(days=1),
                      gross="238.00", net="200.00")
    factories.invoice(to=acme, by=staff, issued_on=TODAY, due_on=TODAY + timedelta(days=14))  # not due yet

    result = flush(jobs.overdue_reminders_send, today=TODAY)

    assert result.sent == ["Acme GmbH"]
    [sent] = graph.sent("template")
    assert sent["to"] == "+4915112345678"
    assert sent["template"]["name"] == settings.WHATSAPP_REMINDER_TEMPLATE
    assert sent["template"]["language"] == {"code": "en_US"}
    assert _params(sent) == ["Lena", "2", "EUR 357.00"]


def test_a_customer_without_a_user_is_reminded_on_their_phone(flush, graph):
    acme = factories.customer(company_name="Beta Ltd", phone="+447700900123")
    factories.invoice(to=acme, by=factories.person(), issued_on=TODAY - timedelta(days=40),
                      due_on=TODAY - timedelta(days=3))
    flush(jobs.overdue_reminders_send, today=TODAY)
    assert [m["to"] for m in graph.sent("template")] == ["+447700900123"]


def test_customers_with_nothing_overdue_get_nothing(flush, graph):
    acme = factories.customer(phone="+447700900123")
    factories.invoice(to=acme, by=factories.person(), issued_on=TODAY, due_on=TODAY + timedelta(days=5))
    factories.invoice(to=acme, by=factories.person(), issued_on=TODAY - timedelta(days=40),
                      due_on=TODAY - timedelta(days=3), status="paid")
    assert flush(jobs.overdue_reminders_send, today=TODAY).sent == []
    assert graph.sent() == []


def test_running_the_reminders_twice_the_same_day_sends_once(flush, graph):
    acme = factories.customer(phone="+447700900123")
    factories.invoice(to=acme, by=factories.person(), issued_on=TODAY - timedelta(days=40),
                      due_on=TODAY - timedelta(days=3))
    flush(jobs.overdue_reminders_send, today=TODAY)
    second = flush(jobs.overdue_reminders_send, today=TODAY)
    assert second.sent == [] and len(graph.sent("template")) == 1
    flush(jobs.overdue_reminders_send, today=TODAY + timedelta(days=1))
    assert len(graph.sent("template")) == 2


def test_managers_get_last_weeks_spend_once_a_week(flush, graph):
    boss = factories.person(role=User.Role.MANAGER, first_name="Maya", phone="+16505550001")
    staff = factories.person(phone="+16505550002")
    last_monday = TODAY - timedelta(days=TODAY.weekday() + 7)
    factories.expense(by=staff, spent_on=last_monday, gross="11.90", net="10.00")
    factories.expense(by=staff, spent_on=last_monday + timedelta(days=2), gross="23.80", net="20.00",
                      status=Expense.Status.APPROVED)
    factories.expense(by=staff, spent_on=last_monday, gross="99.00", net="90.00", status=Expense.Status.REJECTED)
    factories.expense(by=staff, spent_on=TODAY, gross="5.00", net="4.20")  # this week: not in the summary

    result = flush(jobs.weekly_summary_send, today=TODAY)

    assert result.sent == ["Maya"]
    [sent] = graph.sent("template")
    assert sent["to"] == "+16505550001"
    assert sent["template"]["name"] == settings.WHATSAPP_WEEKLY_SUMMARY_TEMPLATE
    assert _params(sent)[1:] == ["EUR 35.70", "2"]
    assert flush(jobs.weekly_summary_send, today=TODAY + timedelta(days=1)).sent == []
    assert len(graph.sent("template")) == 1


def test_the_commands_print_what_they_did(capsys):
    factories.person(role=User.Role.MANAGER, first_name="Maya", phone="+16505550001")
    call_command("send_weekly_summary")
    call_command("send_overdue_reminders")
    out = capsys.readouterr().out
    assert "Summaries queued: 1 (Maya)" in out
    assert "Reminders queued: 0" in out


def test_beat_runs_both_jobs():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"agent.tasks.overdue_reminders_send_task", "agent.tasks.weekly_summary_send_task"} <= tasks
