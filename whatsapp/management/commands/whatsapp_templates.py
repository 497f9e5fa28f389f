from django.core.management.base import BaseCommand, CommandError

from whatsapp.catalogue.create import templates_create
from whatsapp.catalogue.sync import CatalogueNotConfigured, templates_sync
from whatsapp.models import MessageTemplate
from whatsapp.outbound.errors import GraphError


class Command(BaseCommand):
    help = ("The message templates of the WhatsApp Business Account. `sync` reads them all from Graph into the "
            "catalogue (beat does it every 15 minutes) and releases messages held for a template that may go out "
            "now; `create` submits the templates this project sends that the account does not have yet (those "
            "it has are left alone); `list` shows the catalogue.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["sync", "create", "list"])

    def handle(self, *args, action, **options):
        try:
            getattr(self, action)()
        except CatalogueNotConfigured as exc:
            raise CommandError(str(exc)) from exc
        except GraphError as exc:
            hint = " (it may work on a second try)" if exc.retryable else ""
            raise CommandError(f"Graph refused: {exc}{hint}") from exc

    def sync(self):
        result = templates_sync()
        self.stdout.write(f"Synced {result.listed} template(s): {len(result.added)} new, {len(result.changed)} "
                          f"changed, {len(result.removed)} no longer listed (marked deleted); "
                          f"{result.released} held message(s) released.")
        for label, keys in (("new", result.added), ("changed", result.changed), ("no longer listed", result.removed)):
            for key in keys:
                self.stdout.write(f"  {label}: {key}")

    def create(self):
        result = templates_create()
        for key in result.created:
            self.stdout.write(f"Submitted {key}: Meta reviews it; messages that need it go out once approved.")
        for key in result.existing:
            self.stdout.write(f"Left alone {key}: the account has it.")
        for line in result.failed:
            self.stderr.write(f"Not created {line}")
        if result.failed:
            raise CommandError(f"{len(result.failed)} template(s) could not be created (above).")

    def list(self):
        for template in MessageTemplate.objects.all():
            synced = f"{template.last_synced_at:%Y-%m-%d %H:%M}" if template.last_synced_at else "never"
            self.stdout.write(f"{template.key}\t{template.status}\t{template.category or '-'}\t"
                              f"{template.quality_score or '-'}\tsynced {synced}")
