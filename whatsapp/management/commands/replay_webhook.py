from django.core.management.base import BaseCommand, CommandError

from config.display import local_date
from whatsapp.intake import webhook_replay
from whatsapp.models import WebhookEvent
from whatsapp.payloads import MalformedPayload


class Command(BaseCommand):
    help = ("Process a stored webhook body again (idempotent: nothing already stored is stored twice). "
            "--not-stored replays every body that was kept raw because it could not be stored.")

    def add_arguments(self, parser):
        parser.add_argument("event_ids", nargs="*", type=int, metavar="ID", help="WebhookEvent id(s)")
        parser.add_argument("--not-stored", action="store_true",
                            help="every event kept raw, not stored (after fixing what kept it from being stored)")

    def handle(self, *args, event_ids, not_stored, **options):
        if not_stored:
            event_ids = [*event_ids, *WebhookEvent.objects.filter(status=WebhookEvent.Status.NOT_STORED)
                         .order_by("received_at", "id").values_list("pk", flat=True)]
        elif not event_ids:
            raise CommandError("Name the webhook event id(s) to replay, or give --not-stored.")
        failed = []
        for event_id in event_ids:
            event = WebhookEvent.objects.filter(pk=event_id).first()
            if event is None:
                raise CommandError(f"No webhook event with id {event_id}.")
            if event.body_purged_at:
                raise CommandError(f"Webhook event {event_id} cannot be replayed: its body was removed by the "
                                   f"retention policy on {local_date(event.body_purged_at)}.")
            try:
                result = webhook_replay(event=event)
            except MalformedPayload as exc:
                raise CommandError(f"Webhook event {event_id} cannot be replayed: {exc}") from exc
            except Exception as exc:  # still not storable: say why, go on with the others
                failed.append(event_id)
                self.stderr.write(f"Webhook event {event_id} still cannot be stored: {type(exc).__name__}: {exc}")
                continue
            self.stdout.write(
                f"Replayed webhook event {event_id}: {result.new_messages} new message(s), "
                f"{result.duplicates} already stored, {result.statuses} status(es) applied."
            )
        if failed:
            raise CommandError(f"{len(failed)} webhook event(s) still not stored: {', '.join(map(str, failed))}.")
