"""Scheduled messages: overdue reminders to customers (daily, with the PDFs) and spend summaries to managers
(weekly)."""

import io
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import User
from agent import jobs, services
from agent.invoices.sending import my_invoices_send
from agent.models import Expense, Invoice
from config.display import local_date
from tests.agent import factories
from tests.agent.document_support import addressed_customer, complete_profile
from whatsapp.models import Conversation, Message
from whatsapp.outbound.notify import conversation_for_user

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
    older = factories.invoice(to=acme, by=staff, issued_on=TODAY - timedelta(days=40),
                              due_on=TODAY - timedelta(days=10), gross="119.00", net="100.00")
    newer = factories.invoice(to=acme, by=staff, issued_on=TODAY - timedelta(days=30),
                              due_on=TODAY - timedelta(days=1), gross="238.00", net="200.00")
    factories.invoice(to=acme, by=staff, issued_on=TODAY, due_on=TODAY + timedelta(days=14))  # not due yet

    result = flush(jobs.overdue_reminders_send, today=TODAY)

    assert result.sent == ["Acme GmbH"]
    [sent] = graph.sent("template")
    assert sent["to"] == "+4915112345678"
    assert sent["template"]["name"] == settings.WHATSAPP_REMINDER_TEMPLATE
    assert sent["template"]["language"] == {"code": "en_US"}
    assert _params(sent) == ["Lena", "2", "EUR 357.00", f"{older.number}, {newer.number}"]


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


# --- the overdue invoices' PDFs go with the reminder --------------------------------------------
@pytest.fixture
def issuable(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.WHATSAPP_INVOICE_TEMPLATE = "invoice_issued"
    complete_profile()


def overdue_invoice(customer, *, days_late: int, net: str):
    return services.invoice_create(user=factories.person(), customer_id=customer.pk, description="Repair", net=net,
                                   issued_on=TODAY - timedelta(days=days_late + 14),
                                   due_on=TODAY - timedelta(days=days_late))


def test_the_reminder_carries_each_overdue_invoices_pdf_through_the_invoice_template(flush, graph, issuable):
    acme = addressed_customer(company_name="Acme GmbH", contact_name="Lena", phone="+447700900123")
    older = overdue_invoice(acme, days_late=10, net="100")
    newer = overdue_invoice(acme, days_late=2, net="200")

    flush(jobs.overdue_reminders_send, today=TODAY)

    reminder, *documents = graph.sent("template")
    assert reminder["template"]["name"] == settings.WHATSAPP_REMINDER_TEMPLATE
    assert [d["template"]["name"] for d in documents] == ["invoice_issued", "invoice_issued"]
    uploads = graph.uploads()
    for invoice, document, upload in zip((older, newer), documents, uploads, strict=True):
        header = document["template"]["components"][0]["parameters"][0]["document"]
        assert header["filename"] == f"{invoice.number}.pdf"
        assert graph.media[header["id"]][0] == upload["content"]
        reader = PdfReader(io.BytesIO(upload["content"]))
        assert f"Invoice {invoice.number}" in reader.pages[0].extract_text()


def test_inside_the_window_the_reminders_pdfs_are_documents(flush, graph, issuable):
    lena = factories.person(role=User.Role.CUSTOMER, phone="+4915112345678")
    acme = addressed_customer(company_name="Acme GmbH", user=lena)
    invoice = overdue_invoice(acme, days_late=3, net="100")
    conversation = conversation_for_user(user=lena)
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now())

    flush(jobs.overdue_reminders_send, today=TODAY)

    assert [t["template"]["name"] for t in graph.sent("template")] == [settings.WHATSAPP_REMINDER_TEMPLATE]
    [document] = graph.sent("document")
    assert document["to"] == "+4915112345678"
    assert document["document"]["caption"] == f"Invoice {invoice.number}: EUR 119.00, was due on " \
                                              f"{local_date(invoice.due_on)}."


def test_a_second_run_the_same_day_sends_no_pdf_again(flush, graph, issuable):
    acme = addressed_customer(phone="+447700900123")
    overdue_invoice(acme, days_late=3, net="100")
    flush(jobs.overdue_reminders_send, today=TODAY)
    flush(jobs.overdue_reminders_send, today=TODAY)
    assert len(graph.uploads()) == 1 and len(graph.sent("template")) == 2


def test_an_invoice_that_cannot_be_issued_is_reminded_without_its_pdf_and_the_run_says_so(flush, graph, issuable):
    acme = addressed_customer(company_name="Acme GmbH", address="", phone="+447700900123")
    invoice = overdue_invoice(acme, days_late=3, net="100")
    result = flush(jobs.overdue_reminders_send, today=TODAY)
    assert result.sent == ["Acme GmbH"]
    assert result.skipped == [f"the PDF of {invoice.number} (Invoice {invoice.number} cannot be issued yet: the "
                              f"customer Acme GmbH lacks address.)"]
    assert [t["template"]["name"] for t in graph.sent("template")] == [settings.WHATSAPP_REMINDER_TEMPLATE]
    assert graph.uploads() == []


# --- each invoice's PDF goes with its first reminder only ---------------------------------------
def reminded(flush, graph, day) -> tuple[list[str], list[str]]:
    """Run the reminders on `day`: what the reminder template named, and the PDFs sent with it."""
    templates_before, uploads_before = len(graph.sent("template")), len(graph.uploads())
    flush(jobs.overdue_reminders_send, today=day)
    reminder, *documents = graph.sent("template")[templates_before:]
    assert reminder["template"]["name"] == settings.WHATSAPP_REMINDER_TEMPLATE
    assert [d["template"]["name"] for d in documents] == ["invoice_issued"] * len(documents)
    assert len(graph.uploads()) - uploads_before == len(documents)
    pdfs = [d["template"]["components"][0]["parameters"][0]["document"]["filename"] for d in documents]
    return _params(reminder), pdfs


def test_a_later_reminder_names_the_invoices_and_carries_only_the_pdfs_not_sent_before(
        flush, graph, issuable, django_capture_on_commit_callbacks):
    lena = factories.person(role=User.Role.CUSTOMER, first_name="Lena", phone="+4915112345678")
    acme = addressed_customer(company_name="Acme GmbH", contact_name="Lena", user=lena)
    first = overdue_invoice(acme, days_late=10, net="100")
    second = overdue_invoice(acme, days_late=2, net="200")
    third = overdue_invoice(acme, days_late=0, net="300")  # due today: overdue tomorrow

    values, pdfs = reminded(flush, graph, TODAY)
    assert values == ["Lena", "2", "EUR 357.00", f"{first.number}, {second.number}"]
    assert pdfs == [f"{first.number}.pdf", f"{second.number}.pdf"]
    assert all(i.reminder_message.type == "template" for i in Invoice.objects.filter(pk__in=[first.pk, second.pk]))

    values, pdfs = reminded(flush, graph, TODAY + timedelta(days=1))
    assert values == ["Lena", "3", "EUR 714.00", f"{first.number}, {second.number}, {third.number}"]
    assert pdfs == [f"{third.number}.pdf"]  # one paid invoice template, not three

    values, pdfs = reminded(flush, graph, TODAY + timedelta(days=2))
    assert values[3] == f"{first.number}, {second.number}, {third.number}" and pdfs == []
    [reminder] = Message.objects.filter(type="template", data__period=(TODAY + timedelta(days=2)).isoformat())
    assert reminder.text.endswith(f"EUR 714.00 in total: {first.number}, {second.number}, {third.number}. To get an "
                                  "invoice's PDF again, reply \"send me invoice\" and its number.")

    # Lena asks for the first one again: its PDF comes at once.
    with django_capture_on_commit_callbacks(execute=True):
        sent, _ = my_invoices_send(user=lena, numbers=[first.number])
    assert sent == [first]
    assert graph.uploads()[-1]["filename"] == f"{first.number}.pdf"


def test_a_reminders_pdf_that_failed_goes_with_the_next_reminder(flush, graph, issuable):
    acme = addressed_customer(company_name="Acme GmbH", phone="+447700900123")
    invoice = overdue_invoice(acme, days_late=3, net="100")
    reminded(flush, graph, TODAY)
    Message.objects.filter(pk=Invoice.objects.get(pk=invoice.pk).reminder_message_id).update(status="failed")
    assert reminded(flush, graph, TODAY + timedelta(days=1))[1] == [f"{invoice.number}.pdf"]
    assert reminded(flush, graph, TODAY + timedelta(days=2))[1] == []


def test_a_reminder_names_at_most_ten_invoices(flush, graph):
    acme = factories.customer(phone="+447700900123")
    invoices = [factories.invoice(to=acme, by=factories.person(), issued_on=TODAY - timedelta(days=40),
                                  due_on=TODAY - timedelta(days=20 - n)) for n in range(12)]
    flush(jobs.overdue_reminders_send, today=TODAY)
    [reminder] = graph.sent("template")
    assert _params(reminder)[3] == ", ".join(i.number for i in invoices[:10]) + " and 2 more"
