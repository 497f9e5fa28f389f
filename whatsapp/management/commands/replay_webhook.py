from django.core.management.base import BaseCommand, CommandError

from whatsapp.models import WebhookEvent
from whatsapp.payloads import MalformedPayload
from whatsapp.services import webhook_replay


class Command(BaseCommand):
    help = "Process a stored webhook body again (idempotent: nothing already stored is stored twice)."

    def add_arguments(self, parser):
        parser.add_argument("event_ids", nargs="+", type=int, metavar="ID", help="WebhookEvent id(s)")

    def handle(self, *args, event_ids, **options):
        for event_id in event_ids:
            event = WebhookEvent.objects.filter(pk=event_id).first()
            if event is None:
                raise CommandError(f"No webhook event with id {event_id}.")
            if event.body_purged_at:
                raise CommandError(f"Webhook event {event_id} cannot be replayed: its body was removed by the "
                                   f"retention policy on {event.body_purged_at:%Y-%m-%d}.")
            try:
                result = webhook_replay(event=event)
            except MalformedPayload as exc:
                raise CommandError(f"Webhook event {event_id} cannot be replayed: {exc}") from exc
            self.stdout.write(
                f"Replayed webhook event {event_id}: {result.new_messages} new message(s), "
                f"{result.duplicates} already stored, {result.statuses} status(es) applied."
            )
