from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.phone import InvalidPhoneNumber
from accounts.services import member_upsert


class Command(BaseCommand):
    help = "Add a person to the WhatsApp allow-list, or update the one with that number."

    def add_arguments(self, parser):
        parser.add_argument("phone", help='Phone number in international form, e.g. "+1 555 010 2030".')
        parser.add_argument("--name", default="", help='Full name, e.g. "Ann Lee".')
        parser.add_argument("--role", default=User.Role.STAFF, choices=User.Role.values)
        parser.add_argument("--inactive", action="store_true", help="Add or set the person as not allowed.")

    def handle(self, *args, phone, name, role, inactive, **options):
        try:
            result = member_upsert(phone=phone, name=name, role=role, active=not inactive)
        except InvalidPhoneNumber as exc:
            raise CommandError(exc.messages[0]) from exc
        user = result.user
        who = f"{user.display_name} {user.phone_number} as {user.role}{'' if user.is_active else ' (inactive)'}"
        if result.created:
            self.stdout.write(self.style.SUCCESS(f"Added {who}."))
        elif result.changed:
            self.stdout.write(self.style.SUCCESS(f"Updated {who} ({', '.join(result.changed)} changed)."))
        else:
            self.stdout.write(f"Unchanged: {who} was already on the list.")
