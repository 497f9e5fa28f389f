"""The allow-list in the admin: people, their WhatsApp numbers and roles."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.models import User
from accounts.phone import normalize_phone

# Fewer digits than this match too many numbers to be worth a phone search.
MIN_SEARCH_DIGITS = 3


class PhoneNumberFormMixin:
    """Stores what people type ("+1 (650) 555-1234") as E.164; refuses what is not a number."""

    def clean_phone_number(self):
        raw = self.cleaned_data.get("phone_number")
        if not raw:
            return None  # NULL, not "": only real numbers are unique
        return normalize_phone(raw)  # InvalidPhoneNumber is a ValidationError with a readable message


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
        fields = ("username", "phone_number", "first_name", "last_name", "role")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].required = False
        self.fields["username"].help_text = "Leave empty to use the phone number."
        self.fields["phone_number"].help_text = "In international form, e.g. +1 650 555 1234."
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
            phone = cleaned.get("phone_number")
            if phone:
                cleaned["username"] = phone
            elif "phone_number" not in self.errors:
                self.add_error("username", "Give a username or a phone number.")
        return cleaned


def phone_digits(term: str) -> str:
    return "".join(ch for ch in term if ch.isdigit())


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    list_display = ("name", "phone_number", "role", "is_active", "is_staff")
    list_filter = ("role", "is_active", "is_staff", "is_superuser", "groups")
    search_fields = ("username", "first_name", "last_name", "email", "phone_number")
    ordering = ("first_name", "last_name", "username")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("WhatsApp allow-list", {
            "fields": ("phone_number", "role"),
            "description": "Active people with a phone number may write to the business number.",
        }),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        ("WhatsApp allow-list", {
            "classes": ("wide",),
            "fields": ("phone_number", "first_name", "last_name", "role"),
        }),
        ("Admin login", {
            "classes": ("wide",),
            "fields": ("username", "usable_password", "password1", "password2"),
        }),
    )

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
