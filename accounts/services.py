"""Changes to people and the allow-list."""

from dataclasses import dataclass

from django.db import transaction

from accounts.models import User
from accounts.permissions import person_change_refusal
from accounts.phone import normalize_phone


@dataclass(frozen=True)
class MemberResult:
    user: User
    created: bool
    changed: list[str]


def _split_name(name: str) -> tuple[str, str]:
    parts = (name or "").strip().split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


@transaction.atomic
def member_upsert(*, phone: str, name: str = "", role: str = User.Role.STAFF, active: bool = True) -> MemberResult:
    """Add a person to the allow-list, or update the one with that number. Idempotent.

    Raises accounts.phone.InvalidPhoneNumber for a number that is not valid.
    """
    if role not in User.Role.values:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(User.Role.values)}.")
    e164 = normalize_phone(phone)
    first, last = _split_name(name)
    user = User.objects.select_for_update().filter(phone_number=e164).first()
    if user is None:
        user = User(username=e164, phone_number=e164, first_name=first, last_name=last, role=role, is_active=active)
        # People who only use WhatsApp never log in with a password.
        user.set_unusable_password()
        user.save()
        return MemberResult(user=user, created=True, changed=[])
    wanted = {"role": role, "is_active": active}
    if name:
        wanted.update(first_name=first, last_name=last)
    changed = [field for field, value in wanted.items() if getattr(user, field) != value]
    for field in changed:
        setattr(user, field, wanted[field])
    if changed:
        user.save(update_fields=changed)
    return MemberResult(user=user, created=False, changed=changed)


@dataclass(frozen=True)
class DeactivateResult:
    deactivated: list[User]
    skipped: list[tuple[User, str]]  # (person, why they were left as they were)


@transaction.atomic
def users_deactivate(*, users, by) -> DeactivateResult:
    """Take people off the allow-list and out of the admin (their history stays), each one only if
    `by` may change their active flag (accounts.permissions); the others are skipped, with the reason.
    """
    deactivated, skipped = [], []
    pks = [user.pk for user in users]
    for user in User.objects.select_for_update().filter(pk__in=pks).order_by("pk"):
        refusal = person_change_refusal(by=by, target=user, field="is_active")
        if refusal is not None:
            skipped.append((user, refusal))
        elif not user.is_active:
            skipped.append((user, "already inactive"))
        else:
            user.is_active = False
            user.save(update_fields=["is_active"])
            deactivated.append(user)
    return DeactivateResult(deactivated=deactivated, skipped=skipped)
