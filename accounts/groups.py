"""The admin's two groups; a person's role decides which one they are in.

What each group may do is set by the migration that creates them
(accounts/migrations/0002_staff_and_managers_groups.py): changing it needs a new migration.
"""

from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import User

STAFF_GROUP = "Staff"
MANAGERS_GROUP = "Managers"
ROLE_GROUPS = {User.Role.STAFF: STAFF_GROUP, User.Role.MANAGER: MANAGERS_GROUP}


@transaction.atomic
def user_role_sync(*, user: User) -> None:
    """Put a person in the group of their role (and out of the other one); staff and managers may log
    in to the admin (is_staff), customers never (superusers keep their access whatever their role).
    """
    wanted_group = ROLE_GROUPS.get(user.role)
    role_groups = list(Group.objects.filter(name__in=ROLE_GROUPS.values()))
    current = set(user.groups.filter(pk__in=[g.pk for g in role_groups]))
    for group in role_groups:
        if group.name == wanted_group and group not in current:
            user.groups.add(group)
        elif group.name != wanted_group and group in current:
            user.groups.remove(group)
    is_staff = wanted_group is not None or (user.is_superuser and user.is_staff)
    if user.is_staff != is_staff:
        # update(), not save(): no second post_save, and nothing else the caller holds is overwritten.
        User.objects.filter(pk=user.pk).update(is_staff=is_staff)
        user.is_staff = is_staff
