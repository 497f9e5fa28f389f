from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agent.demo import demo_seed
from agent.errors import ApplicationError

KINDS = [("people", "person", "people"), ("expenses", "expense", "expenses"), ("customers", "customer", "customers"),
         ("invoices", "invoice", "invoices"), ("payments", "payment", "payments")]


class Command(BaseCommand):
    help = ("Create a demo business once: an admin login, a manager, a staff member and a customer on the "
            "allow-list, expenses, customers and invoices. Safe to rerun: it creates and changes nothing then, "
            "and prints the login again (with -v 0, only the line saying what it created).")

    def add_arguments(self, parser):
        parser.add_argument("--login-file", type=Path, default=None,
                            help="Where the admin password is kept (default: var/demo-login.txt).")
        parser.add_argument("--base-url", default="",
                            help="Where the web server answers (e.g. http://127.0.0.1:8000), for full URLs.")

    def handle(self, *args, login_file, base_url, **options):
        login_file = login_file or Path(settings.BASE_DIR) / "var" / "demo-login.txt"
        try:
            result = demo_seed(login_file=login_file)
        except ApplicationError as exc:
            raise CommandError(f"Could not create the demo business: {exc}") from exc

        made = ["the admin login"] if result.admin.created else []
        made += [_count(result.created[kind], one, many) for kind, one, many in KINDS if result.created.get(kind)]
        if made:
            self.stdout.write(self.style.SUCCESS(f"Demo business: created {', '.join(made)}."))
        else:
            self.stdout.write("Demo business: already there, nothing changed.")

        if options["verbosity"] < 1:
            return  # ./bin/run prints the login itself, last, with the address
        admin = result.admin
        password = admin.password or (f"whatever was set (not saved in {admin.saved_in}; "
                                      f"`manage.py changepassword {admin.username}` sets a new one)")
        self.stdout.write(f"Admin login (kept in {admin.saved_in}):\n"
                          f"  URL       {base_url.rstrip('/')}/admin/\n"
                          f"  username  {admin.username}\n"
                          f"  password  {password}")
        self.stdout.write("Demo people on the WhatsApp allow-list:")
        width = max(len(user.display_name) for user in result.people)
        for user in result.people:
            active = "" if user.is_active else " (inactive)"
            self.stdout.write(f"  {user.display_name:<{width}}  {user.phone_number}  {user.role}{active}")


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"
