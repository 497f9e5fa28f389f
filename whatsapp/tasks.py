"""Celery tasks: thin wrappers around the services, each named after the service it calls.

With acks_late and reject_on_worker_lost (config/settings.py) a task is redelivered if its worker
dies; each task is idempotent, so a redelivery never answers or sends twice.
"""

import logging

from celery import shared_task
from django.db import DatabaseError

from whatsapp import retention, sweeper
from whatsapp.catalogue.sync import CatalogueNotConfigured, templates_sync
from whatsapp.inbound import inbound_handle
from whatsapp.models import Message
from whatsapp.outbound.errors import GraphRetryableError
from whatsapp.outbound.failed import outbound_failed_later
from whatsapp.outbound.sender import outbound_send
from whatsapp.sandbox import services as sandbox_services

logger = logging.getLogger(__name__)
DB_RETRY = dict(autoretry_for=(DatabaseError,), retry_backoff=5, retry_backoff_max=300, retry_jitter=True,
                max_retries=12)


@shared_task(**DB_RETRY)
def inbound_handle_task(message_id: int) -> None:
    delay = inbound_handle(message_id=message_id)
    # Eager mode ignores countdowns: re-running at once would recurse forever; the sweeper comes back.
    if delay is not None and not inbound_handle_task.request.is_eager:
        inbound_handle_task.apply_async((message_id,), countdown=delay)


@shared_task(**DB_RETRY)
def outbound_send_task(conversation_id: int) -> None:
    delay = outbound_send(conversation_id=conversation_id)
    if delay is not None and not outbound_send_task.request.is_eager:
        outbound_send_task.apply_async((conversation_id,), countdown=delay)


@shared_task(**DB_RETRY)
def outbound_failed_later_task(message_id: int) -> None:
    """Meta reported a message failed after Graph had accepted it (queued by whatsapp.statuses)."""
    message = Message.objects.select_related("conversation").filter(pk=message_id).first()
    if message is not None:
        outbound_failed_later(message=message)


@shared_task
def sweep_task() -> None:
    sweeper.sweep()


@shared_task(autoretry_for=(Exception,), retry_backoff=2, retry_backoff_max=120, retry_jitter=True, max_retries=10)
def status_post_task(delivery_id: int, status: str) -> None:
    """Sandbox mode: the Graph stand-in reports a status of a message it accepted, as Meta does."""
    sandbox_services.status_post(delivery_id=delivery_id, status=status)


@shared_task(autoretry_for=(GraphRetryableError, DatabaseError), retry_backoff=30, retry_backoff_max=300,
             retry_jitter=True, max_retries=5)
def templates_sync_task() -> None:
    """Every 15 minutes (beat), and when a webhook names a template the catalogue does not know."""
    try:
        templates_sync()
    except CatalogueNotConfigured as exc:
        logger.warning("Template catalogue not synced: %s", exc)  # and `manage.py check` says so


@shared_task
def retention_purge_task() -> None:
    """Daily: remove personal data older than its retention period (settings.RETENTION_PURGES)."""
    retention.retention_purge()
