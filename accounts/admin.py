"""The allow-list in the admin: people, their WhatsApp numbers and roles."""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from accounts.bsuid import normalize_bsuid
from accounts.groups import user_role_sync
from accounts.models import User
from accounts.permissions import person_change_allowed, roles_assignable
from accounts.phone import normalize_phone
from accounts.services import user_identity_record, users_deactivate

# Fewer digits than this match too many numbers to be worth a phone search.
MIN_SEARCH_DIGITS = 3
# A person's page lists this many of the newest of each of their records.
RECORDS_SHOWN = 20


class PhoneNumberFormMixin:
    """Stores what people type ("+1 (650) 555-1234") as E.164; refuses what is not a number.
    The same for a business-scoped user id: stored as Meta writes it, refused when it is not one."""

    def clean_phone_number(self):
        raw = self.cleaned_data.get("phone_number")
        if not raw:
            return None  # NULL, not "": only real numbers are unique
        return normalize_phone(raw)  # InvalidPhoneNumber is a ValidationError with a readable message

    def clean_bsuid(self):
        raw = self.cleaned_data.get("bsuid")
        if not raw:
            return None  # NULL, not "": only real ids are unique
        return normalize_bsuid(raw)  # InvalidBSUID: a ValidationError saying what the format is


class UserAdminChangeForm(PhoneNumberFormMixin, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


class UserAdminCreationForm(PhoneNumberFormMixin, AdminUserCreationForm):
    """Adds a person. WhatsApp-only people need no username and no password.

    Without a username the phone number is the username (as `add_member` does); without a
    password the account gets an unusable one.
    """

    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "phone_number", "bsuid", "first_name", "last_name", "role")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].required = False
        self.fields["username"].help_text = "Leave empty to use the phone number (or the business-scoped user id)."
        self.fields["phone_number"].help_text = "In international form, e.g. +1 650 555 1234."
        if "usable_password" not in self.fields:
            return  # the viewer adds customers only: no admin login to set up
        self.fields["usable_password"].initial = "false"
        self.fields["usable_password"].help_text = (
            "People who only use WhatsApp need no password: leave it disabled (or the password empty). "
            "Enable it for staff who log in here."
        )

    def clean_username(self):
        if not self.cleaned_data.get("username"):
            return ""  # filled in from the phone number in clean()
        return super().clean_username()

    def validate_passwords(self, *args, **kwargs):
        if not self.cleaned_data.get("password1") and not self.cleaned_data.get("password2"):
            self.cleaned_data["usable_password"] = "false"
        super().validate_passwords(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("username") and "username" not in self.errors:
            named_by = cleaned.get("phone_number") or cleaned.get("bsuid")
            if named_by:
                cleaned["username"] = named_by
            elif "phone_number" not in self.errors and "bsuid" not in self.errors:
                self.add_error("username", "Give a username, a phone number or a business-scoped user id.")
        return cleaned


def phone_digits(term: str) -> str:
    return "".join(ch for ch in term if ch.isdigit())


def _change_url(obj) -> str | None:
    try:
        return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return None  # that model is not in the admin


def person_section(title: str, queryset, cells, empty: str) -> dict:
    """One section of a person's records (the newest RECORDS_SHOWN rows, each linking to its page),
    for the apps' functions in settings.ACCOUNTS_PERSON_SECTIONS."""
    rows = [{"url": _change_url(obj), "cells": cells(obj)} for obj in queryset[:RECORDS_SHOWN]]
    return {"title": title, "rows": rows, "total": queryset.count(), "empty": empty}


def person_sections(user: User, *, viewer: User) -> list[dict]:
    """What a person's page lists of their records, as far as `viewer` may read them: each app that
    keeps records of people says which, through settings.ACCOUNTS_PERSON_SECTIONS (accounts
    imports neither whatsapp nor agent)."""
    return [section for hook in settings.ACCOUNTS_PERSON_SECTIONS
            for section in import_string(hook)(user, viewer=viewer)]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    list_display = ("name", "phone_number", "bsuid", "role", "is_active", "is_staff")
    list_filter = ("role", "is_active", "is_staff", "is_superuser", "groups")
    actions = ("deactivate",)
    search_fields = ("username", "first_name", "last_name", "email", "phone_number", "bsuid")
    ordering = ("first_name", "last_name", "username")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("WhatsApp allow-list", {
            "fields": ("phone_number", "bsuid", "role", "identity_set_by"),
            "description": "Active people with a phone number or a business-scoped user id may write to the "
                           "business number.",
        }),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        ("WhatsApp allow-list", {
            "classes": ("wide",),
            "fields": ("phone_number", "bsuid", "first_name", "last_name", "role"),
        }),
        ("Admin login", {
            "classes": ("wide",),
            "fields": ("username", "usable_password", "password1", "password2"),
        }),
    )

    # Who may change whom lives in accounts.permissions: fields a viewer may not change are shown
    # read-only (and so are not even in the form they post), people they may not change at all are
    # shown view-only, and the role choices are the roles they may give.
    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            if set(roles_assignable(request.user)) <= {User.Role.CUSTOMER}:
                # Customers never log in here: no password for those who add only them.
                return tuple((name, {**options, "fields": ("username",)}) if name == "Admin login"
                             else (name, options) for name, options in fieldsets)
            return fieldsets
        if not person_change_allowed(by=request.user, target=obj, field="password"):
            # No "Reset password" button for someone who cannot use it.
            fieldsets = tuple((name, {**options, "fields": tuple(f for f in options["fields"] if f != "password")})
                              for name, options in fieldsets)
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return fields
        fields.append("identity_set_by")  # recorded by save_model, never typed
        fields += [f for f in flatten_fieldsets(self.fieldsets)
                   if f not in fields and f != "password"
                   and not person_change_allowed(by=request.user, target=obj, field=f)]
        return fields

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or person_change_allowed(by=request.user, target=obj)

    def has_delete_permission(self, request, obj=None):
        # Deleting someone is at least as much as deactivating them.
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or person_change_allowed(by=request.user, target=obj, field="is_active")

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            allowed = roles_assignable(request.user)
            kwargs["choices"] = [(v, label) for v, label in User.Role.choices if v in allowed]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def user_change_password(self, request, id, form_url=""):
        # Setting someone else's password is taking over their account: superusers only.
        target = self.get_object(request, id)
        if target is not None and not person_change_allowed(by=request.user, target=target, field="password"):
            raise PermissionDenied("Only a superuser can set another person's password.")
        return super().user_change_password(request, id, form_url)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A person's page, with their conversations, expenses and invoices as far as the viewer
        may read them (templates/admin/accounts/user/change_form.html)."""
        person = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if person is not None:  # else Django answers "does not exist"
            context["person_sections"] = person_sections(person, viewer=request.user)
        return super().change_view(request, object_id, form_url, extra_context=context)

    def save_model(self, request, obj, form, change):
        user_identity_record(user=obj, changed=form.changed_data, by=request.user)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The form's groups were just written over the role's: the role decides the admin group.
        user_role_sync(user=form.instance)

    @admin.action(description="Deactivate (off the allow-list, no admin login)", permissions=["change"])
    def deactivate(self, request, queryset):
        """Each selected person is decided on their own (accounts.permissions); the others are named."""
        result = users_deactivate(users=list(queryset), by=request.user)
        if result.deactivated:
            names = ", ".join(user.display_name for user in result.deactivated)
            self.message_user(request, f"{len(result.deactivated)} person(s) deactivated: {names}.", messages.SUCCESS)
        if result.skipped:
            skipped = "; ".join(f"{user.display_name} ({reason})" for user, reason in result.skipped)
            self.message_user(request, f"Left as they were: {skipped}.", messages.WARNING)

    @admin.display(description="Name", ordering="first_name")
    def name(self, obj):
        return obj.display_name

    def get_search_results(self, request, queryset, search_term):
        """Also find numbers however they are typed: "+1 650", "(650) 555-12", "1650555"."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digits = phone_digits(search_term)
        if len(digits) >= MIN_SEARCH_DIGITS:
            results = results | queryset.filter(phone_number__contains=digits)
        return results, may_have_duplicates
