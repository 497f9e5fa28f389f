from django.core.management.base import BaseCommand

from whatsapp.sweeper import sweep


class Command(BaseCommand):
    help = ("Re-queue unanswered inbound messages and outbound messages stuck in the queue, and attach early "
            "statuses (for cron).")

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=None, metavar="SECONDS",
                            help="Only work left for longer than this (default: WHATSAPP_SWEEP_AFTER_SECONDS).")

    def handle(self, *args, older_than, **options):
        result = sweep(older_than_seconds=older_than)
        line = f"Re-queued {result.inbound} inbound message(s) and {result.conversations} outbox(es)."
        if result.statuses:
            line += f" Attached {result.statuses} status(es) that arrived before their message."
        self.stdout.write(line)
