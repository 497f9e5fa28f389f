from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import member_upsert


class Command(BaseCommand):
    help = ("Add a person to the WhatsApp allow-list, or update the one with that number (or that "
            "business-scoped user id).")

    def add_arguments(self, parser):
        parser.add_argument("phone", nargs="?", default="",
                            help='Phone number in international form, e.g. "+1 555 010 2030". May be left out '
                                 "when --bsuid names the person.")
        parser.add_argument("--bsuid", default="",
                            help="Their WhatsApp business-scoped user id, e.g. US.13491208655302741918: recognises "
                                 "them when they write with a username instead of their number.")
        parser.add_argument("--name", default="", help='Full name, e.g. "Ann Lee".')
        parser.add_argument("--role", default=User.Role.STAFF, choices=User.Role.values)
        parser.add_argument("--inactive", action="store_true", help="Add or set the person as not allowed.")

    def handle(self, *args, phone, bsuid, name, role, inactive, **options):
        try:
            result = member_upsert(phone=phone, bsuid=bsuid, name=name, role=role, active=not inactive)
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from exc
        user = result.user
        ids = " ".join(i for i in (user.phone_number, user.bsuid) if i)
        who = f"{user.display_name} {ids} as {user.role}{'' if user.is_active else ' (inactive)'}"
        if result.created:
            self.stdout.write(self.style.SUCCESS(f"Added {who}."))
        elif result.changed:
            self.stdout.write(self.style.SUCCESS(f"Updated {who} ({', '.join(result.changed)} changed)."))
        else:
            self.stdout.write(f"Unchanged: {who} was already on the list.")
