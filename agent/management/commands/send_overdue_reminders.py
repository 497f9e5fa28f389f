from django.core.management.base import BaseCommand

from agent.jobs import overdue_reminders_send


class Command(BaseCommand):
    help = "Send today's reminder template to customers with overdue invoices (once a day; safe to rerun)."

    def handle(self, *args, **options):
        result = overdue_reminders_send()
        self.stdout.write(f"Reminders queued: {len(result.sent)} ({', '.join(result.sent) or 'none'}); "
                          f"skipped: {len(result.skipped)} ({', '.join(result.skipped) or 'none'}).")
