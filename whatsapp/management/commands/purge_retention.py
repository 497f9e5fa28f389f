from django.core.management.base import BaseCommand

from whatsapp.retention import retention_purge


class Command(BaseCommand):
    help = ("Remove personal data older than its retention period: raw webhook bodies, chat media, and "
            "expense receipts after the bookkeeping period (what the daily job does).")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be removed.")

    def handle(self, *args, dry_run, **options):
        done = "would be removed (dry run)" if dry_run else "removed"
        for description, count in retention_purge(dry_run=dry_run):
            self.stdout.write(f"{description[0].upper()}{description[1:]}: {count} {done}.")
