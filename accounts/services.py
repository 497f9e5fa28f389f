"""Changes to people and the allow-list."""

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.bsuid import normalize_bsuid
from accounts.models import WHATSAPP_ID_FIELDS, User
from accounts.permissions import person_change_refusal
from accounts.phone import normalize_phone

logger = logging.getLogger(__name__)


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


class MemberConflict(ValidationError):
    """The number and the BSUID given belong to two different people."""


def user_identity_record(*, user: User, changed, by: User | None) -> None:
    """Note on `user` (not saved) who set their number or business-scoped user id, when `changed`
    names either: four eyes counts their expenses as that person's own (agent.services). `by` is
    None for the command line."""
    if WHATSAPP_ID_FIELDS & set(changed):
        user.identity_set_by = by


@transaction.atomic
def member_upsert(*, phone: str = "", bsuid: str = "", name: str = "", role: str = User.Role.STAFF,
                  active: bool = True) -> MemberResult:
    """Add a person to the allow-list, or update the one with that number (else that BSUID). Idempotent.

    A person is named by their phone number, their business-scoped user id (someone who writes with
    a WhatsApp username), or both; what is given is set on them (set from the command line: nobody
    of the team is recorded as having set them). Raises accounts.phone.InvalidPhoneNumber,
    accounts.bsuid.InvalidBSUID or MemberConflict (all ValidationErrors, with a message for a person).
    """
    if role not in User.Role.values:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(User.Role.values)}.")
    e164 = normalize_phone(phone) if (phone or "").strip() else ""
    user_id = normalize_bsuid(bsuid) if (bsuid or "").strip() else ""
    if not (e164 or user_id):
        raise ValidationError("Give a phone number or a business-scoped user id.")
    first, last = _split_name(name)
    by_phone = User.objects.select_for_update().filter(phone_number=e164).first() if e164 else None
    by_bsuid = User.objects.select_for_update().filter(bsuid=user_id).first() if user_id else None
    if by_phone and by_bsuid and by_phone.pk != by_bsuid.pk:
        raise MemberConflict(f"{e164} belongs to {by_phone.display_name} and {user_id} to "
                             f"{by_bsuid.display_name}: change one of them in the admin first.")
    user = by_phone or by_bsuid
    if user is None:
        user = User(username=e164 or user_id, phone_number=e164 or None, bsuid=user_id or None,
                    first_name=first, last_name=last, role=role, is_active=active)
        # People who only use WhatsApp never log in with a password.
        user.set_unusable_password()
        user.save()
        return MemberResult(user=user, created=True, changed=[])
    wanted = {"role": role, "is_active": active}
    if name:
        wanted.update(first_name=first, last_name=last)
    if e164:
        wanted["phone_number"] = e164
    if user_id:
        wanted["bsuid"] = user_id
    changed = [field for field, value in wanted.items() if getattr(user, field) != value]
    for field in changed:
        setattr(user, field, wanted[field])
    user_identity_record(user=user, changed=changed, by=None)
    if changed:
        user.save(update_fields=[*changed, *(["identity_set_by"] if WHATSAPP_ID_FIELDS & set(changed) else [])])
    return MemberResult(user=user, created=False, changed=changed)


def user_bsuid_learn(*, user_id: int, bsuid: str) -> None:
    """Meta sent this BSUID beside this person's number: remember it on them.

    Meta's pairing is the truth: a person who held it before (typed on the wrong person) loses it,
    so a message with the BSUID alone can only ever reach the person it belongs to.
    """
    stale = User.objects.filter(bsuid=bsuid).exclude(pk=user_id)
    for holder in stale.only("pk", "username"):
        logger.warning("BSUID %s moved from user %s to user %s: Meta paired it with the latter's number",
                       bsuid, holder.pk, user_id)
    stale.update(bsuid=None)
    User.objects.filter(pk=user_id).update(bsuid=bsuid)


def user_bsuid_release(*, bsuid: str, paired_with_phone: str) -> int:
    """Meta paired this BSUID with a number no person of ours has: whoever holds it with another
    number had it by mistake (typed on the wrong person) and loses it, so the stranger it belongs to
    is never taken for them. Returns how many lost it (almost always 0)."""
    wrong = User.objects.filter(bsuid=bsuid, phone_number__isnull=False).exclude(phone_number=paired_with_phone)
    for holder in wrong.only("pk"):
        logger.warning("BSUID %s taken from user %s: Meta paired it with %s, not their number", bsuid, holder.pk,
                       paired_with_phone)
    return wrong.update(bsuid=None)


def user_identity_change(*, user: User, old_phone: str, new_phone: str, new_bsuid: str) -> bool:
    """Meta says this person's number (and with it their BSUID), or their BSUID alone, changed.

    The number we knew follows the change (a number that was not theirs stays as it was); the
    BSUID becomes the new one, or none when Meta sent none (the old one is no longer valid).
    Returns False, changing nothing, when another person already has the new number: staff decide.
    """
    update = {"bsuid": new_bsuid or None}
    if new_phone and user.phone_number and user.phone_number == old_phone and new_phone != old_phone:
        if User.objects.filter(phone_number=new_phone).exclude(pk=user.pk).exists():
            logger.warning("User %s changed number to %s, which another person has: left unchanged",
                           user.pk, new_phone)
            return False
        update["phone_number"] = new_phone
    if new_bsuid:
        User.objects.filter(bsuid=new_bsuid).exclude(pk=user.pk).update(bsuid=None)
    User.objects.filter(pk=user.pk).update(**update)
    for field, value in update.items():
        setattr(user, field, value)
    return True


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
