"""Celery tasks: thin wrappers around the services, so the logic is testable without a broker.

With acks_late and reject_on_worker_lost (config/celery.py) a task is redelivered if its worker
dies; each task is idempotent, so a redelivery never answers or sends twice.
"""

from celery import shared_task
from django.db import DatabaseError

from whatsapp import outbound, pipeline, retention, sweeper
from whatsapp.sandbox import services as sandbox_services

DB_RETRY = dict(autoretry_for=(DatabaseError,), retry_backoff=5, retry_backoff_max=300, retry_jitter=True,
                max_retries=12)


@shared_task(**DB_RETRY)
def process_inbound_task(message_id: int) -> None:
    delay = pipeline.inbound_handle(message_id=message_id)
    # Eager mode ignores countdowns: re-running at once would recurse forever; the sweeper comes back.
    if delay is not None and not process_inbound_task.request.is_eager:
        process_inbound_task.apply_async((message_id,), countdown=delay)


@shared_task(**DB_RETRY)
def flush_outbox_task(conversation_id: int) -> None:
    delay = outbound.outbox_flush(conversation_id=conversation_id)
    if delay is not None and not flush_outbox_task.request.is_eager:
        flush_outbox_task.apply_async((conversation_id,), countdown=delay)


@shared_task
def sweep_task() -> None:
    sweeper.sweep()


@shared_task(autoretry_for=(Exception,), retry_backoff=2, retry_backoff_max=120, retry_jitter=True, max_retries=10)
def sandbox_status_task(delivery_id: int, status: str) -> None:
    """Sandbox mode: the Graph stand-in reports a status of a message it accepted, as Meta does."""
    sandbox_services.status_post(delivery_id=delivery_id, status=status)


@shared_task
def retention_purge_task() -> None:
    """Daily: remove personal data older than its retention period (settings.RETENTION_PURGES)."""
    retention.retention_purge()
