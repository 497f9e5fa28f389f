"""Celery tasks of the assistant: thin wrappers around agent.jobs (scheduled by beat)."""

from celery import shared_task

from agent import jobs


@shared_task
def overdue_reminders_task() -> None:
    jobs.overdue_reminders_send()


@shared_task
def weekly_summary_task() -> None:
    jobs.weekly_summary_send()
