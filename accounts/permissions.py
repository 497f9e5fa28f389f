"""Who may change whom: the one rule the admin's forms, actions and services ask.

A person's phone number is their WhatsApp identity, their role is what the assistant lets them do,
and their active flag decides whether they may use it at all. So:

- staff manage customers (add them, change their numbers, business-scoped ids, names and state),
  nobody else;
- managers manage staff and customers;
- superusers manage everyone;
- everybody edits their own names and e-mail, but not their own number, role or state, and nobody
  deactivates themselves;
- only superusers hand out admin privileges (superuser status, groups, permissions) and set another
  person's password.
"""

from django.db.models import Q

from accounts.models import User

# Fields that decide who a person is on WhatsApp and what they may do there.
IDENTITY_FIELDS = frozenset({"username", "phone_number", "bsuid", "role", "is_active"})
# Fields only a superuser changes (Django's own bookkeeping included).
PRIVILEGE_FIELDS = frozenset({"is_superuser", "is_staff", "groups", "user_permissions", "last_login",
                              "date_joined"})
# What anybody may change on their own page.
OWN_FIELDS = frozenset({"first_name", "last_name", "email", "password"})

# The roles each role manages, lowest first.
MANAGED_ROLES = {
    User.Role.STAFF: (User.Role.CUSTOMER,),
    User.Role.MANAGER: (User.Role.CUSTOMER, User.Role.STAFF),
}
ROLE_PLURALS = {User.Role.CUSTOMER: "customers", User.Role.STAFF: "staff", User.Role.MANAGER: "managers"}


def _acts(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def roles_assignable(by) -> tuple[str, ...]:
    """The roles `by` may give a person (when adding them or changing their role)."""
    if not _acts(by):
        return ()
    if by.is_superuser:
        return tuple(User.Role.values)
    return MANAGED_ROLES.get(by.role, ())


def _manages(by, target: User) -> bool:
    if by.is_superuser:
        return True
    return not target.is_superuser and target.role in roles_assignable(by)


def person_change_refusal(*, by, target: User, field: str | None = None) -> str | None:
    """Why `by` may not change `field` of `target` (any field at all when None), or None when they may."""
    if not _acts(by):
        return "you are not signed in"
    is_self = target.pk is not None and target.pk == by.pk
    if is_self and field == "is_active":
        return "nobody deactivates themselves"
    if by.is_superuser:
        return None
    if field in PRIVILEGE_FIELDS:
        return "only a superuser changes admin privileges"
    if is_self:
        if field is None or field in OWN_FIELDS:
            return None
        return "nobody changes their own number, role or state; ask a manager"
    if field == "password":
        return "only a superuser sets another person's password"
    if _manages(by, target):
        return None
    if target.is_superuser:
        return "only a superuser changes a superuser"
    if target.role == User.Role.MANAGER:
        return "only a superuser changes a manager"
    managed = roles_assignable(by)
    if not managed:
        return "you manage nobody"
    return f"{by.get_role_display().lower()} manage {' and '.join(ROLE_PLURALS[r] for r in managed)} only"


def person_change_allowed(*, by, target: User, field: str | None = None) -> bool:
    """Whether `by` may change `field` of `target` (any field at all when None)."""
    return person_change_refusal(by=by, target=target, field=field) is None


def person_add_refusal(*, by, role: str) -> str | None:
    """Why `by` may not add a person with this role, or None when they may."""
    if role in roles_assignable(by):
        return None
    allowed = roles_assignable(by)
    if not allowed:
        return "you may not add people"
    return f"you may add {' and '.join(ROLE_PLURALS[r] for r in allowed)} only"


# --- privacy: whose conversations with the assistant the team reads ------------------------------
# Customers' conversations (and unknown senders') are the business's: the whole team reads them. A
# team member's own conversation with the assistant (its transcript, tool results, media, take-over
# and pause) is theirs: only they, managers and superusers see it, and it stays so when they leave
# the team (whatsapp.models.Conversation.private). whatsapp.visibility applies this to querysets.
PRIVATE_CONVERSATION_ROLES = (User.Role.STAFF, User.Role.MANAGER)


def conversations_private(person: User | None) -> bool:
    """Whether this person's own conversations are private to them (team members and superusers)."""
    return person is not None and (person.is_superuser or person.role in PRIVATE_CONVERSATION_ROLES)


def team_members(prefix: str = "") -> Q:
    """conversations_private as a filter on people (through `prefix`, e.g. "user__")."""
    return Q(**{f"{prefix}is_superuser": True}) | Q(**{f"{prefix}role__in": PRIVATE_CONVERSATION_ROLES})


def sees_private_conversations(viewer) -> bool:
    """Managers and superusers read every conversation."""
    return _acts(viewer) and (viewer.is_superuser or viewer.role == User.Role.MANAGER)


def sees_team_conversations(viewer) -> bool:
    """Team members (and superusers) read customers' and unknown senders' conversations."""
    return _acts(viewer) and (viewer.is_superuser or viewer.role in PRIVATE_CONVERSATION_ROLES)


def person_conversations_visible(*, viewer, person: User | None) -> bool:
    """Whether `viewer` may read the conversations of `person` (None: an unknown sender)."""
    if sees_private_conversations(viewer):
        return True
    if not sees_team_conversations(viewer):
        return False
    return not conversations_private(person) or person.pk == viewer.pk
