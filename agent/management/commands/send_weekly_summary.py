from django.core.management.base import BaseCommand

from agent.jobs import weekly_summary_send


class Command(BaseCommand):
    help = "Send last week's spend summary template to managers (once a week; safe to rerun)."

    def handle(self, *args, **options):
        result = weekly_summary_send()
        self.stdout.write(f"Summaries queued: {len(result.sent)} ({', '.join(result.sent) or 'none'}); "
                          f"skipped: {len(result.skipped)} ({', '.join(result.skipped) or 'none'}).")
