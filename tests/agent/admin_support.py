"""Users for the admin tests: a manager (every agent permission) and a staff member (own expenses only)."""

from django.contrib.auth.models import Permission

from accounts.models import User
from tests.agent.factories import person

STAFF_PERMISSIONS = ("view_expense", "add_expense", "change_expense", "view_invoice", "change_invoice",
                     "view_customer", "change_customer", "view_revenue")


def admin_manager(**fields) -> User:
    fields.setdefault("first_name", "Maya")
    fields.setdefault("last_name", "Boss")
    user = person(role=User.Role.MANAGER, phone=fields.pop("phone", "+4915100000001"), **fields)
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="agent"))
    return User.objects.get(pk=user.pk)


def admin_staff(*, phone: str = "+4915100000002", first_name: str = "Sam", codenames=STAFF_PERMISSIONS) -> User:
    """Group-less: exactly the agent permissions in `codenames` (saving the role put them in "Staff")."""
    user = person(role=User.Role.STAFF, phone=phone, first_name=first_name, last_name="Staff")
    user.is_staff = True
    user.save()
    user.groups.clear()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="agent", codename__in=codenames))
    return User.objects.get(pk=user.pk)


def group_staff(*, phone: str = "+4915100000006", first_name: str = "Gus") -> User:
    """A staff member as the data migration's "Staff" group makes them, with no permission of their own."""
    user = person(role=User.Role.STAFF, phone=phone, first_name=first_name, last_name="Staff")
    assert user.is_staff and user.groups.filter(name="Staff").exists()
    return User.objects.get(pk=user.pk)
