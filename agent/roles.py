"""Who may do what, by role (accounts.User.role). Inactive and anonymous users have no role."""

from accounts.models import User


def role_of(user) -> str | None:
    """The role of an active, signed-in user; None for anyone else (None, anonymous, inactive)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return getattr(user, "role", None)


def is_manager(user) -> bool:
    """Managers, and active superusers (who may do everything)."""
    return role_of(user) == User.Role.MANAGER or bool(role_of(user) and user.is_superuser)


def is_team_member(user) -> bool:
    """Staff and managers: the people who keep the books."""
    return role_of(user) in (User.Role.STAFF, User.Role.MANAGER)


def is_customer(user) -> bool:
    return role_of(user) == User.Role.CUSTOMER
