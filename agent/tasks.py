"""Celery tasks of the assistant: thin wrappers around agent.jobs (scheduled by beat), each named after
the service it calls."""

from celery import shared_task

from agent.jobs import overdue_reminders_send, weekly_summary_send


@shared_task
def overdue_reminders_send_task() -> None:
    overdue_reminders_send()


@shared_task
def weekly_summary_send_task() -> None:
    weekly_summary_send()
