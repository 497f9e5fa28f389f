"""The project's admin site is Django's default site (AdminConfig.default_site), and what it adds
comes from the apps by name: the channel's state on the home page, the dashboard's URL and its
place in the menu."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import User
from config.admin_site import AdminSite
from tests.agent.admin_support import admin_manager, group_staff

pytestmark = pytest.mark.django_db


def menu(client, user) -> dict[str, list[str]]:
    """The apps and the entries of their menus, as the admin home page lists them for `user`."""
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return {app["app_label"]: [entry["name"] for entry in app["models"]] for app in response.context["app_list"]}


def test_the_default_admin_site_is_the_projects():
    assert isinstance(admin.site, AdminSite)
    assert admin.site.name == "admin"


def test_the_dashboard_is_in_the_menu_of_those_who_may_open_it(client):
    assert menu(client, admin_manager())["agent"][0] == "Dashboard"
    assert "Dashboard" not in menu(client, group_staff()).get("agent", [])


def test_the_menu_entry_leads_to_the_dashboard(client):
    client.force_login(admin_manager())
    apps = client.get(reverse("admin:index")).context["app_list"]
    (entry,) = [e for app in apps for e in app["models"] if e["name"] == "Dashboard"]
    assert entry["admin_url"] == reverse("admin:dashboard") == "/admin/dashboard/"
    assert client.get(entry["admin_url"]).status_code == 200


def test_the_home_page_gets_what_the_apps_name_and_nothing_else_without_them(client, settings):
    superuser = User.objects.create_superuser(username="root", password="x")
    client.force_login(superuser)
    assert "not_stored_count" in client.get(reverse("admin:index")).context
    settings.ADMIN_INDEX_CONTEXT = []
    assert "not_stored_count" not in client.get(reverse("admin:index")).context


def test_the_back_office_is_named_after_the_business(client, settings):
    settings.BUSINESS_NAME = "Becker Plumbing"
    client.force_login(admin_manager())
    page = client.get(reverse("admin:index")).content.decode()
    assert "<title>Back office | Becker Plumbing back office</title>" in page
    assert '<a href="/admin/">Becker Plumbing back office</a>' in page
    assert "Django administration" not in page and "Django site admin" not in page


def test_the_login_page_and_the_locked_out_page_name_it_too(client, settings):
    settings.BUSINESS_NAME = "Becker Plumbing"
    User.objects.create_user(username="ann", password="right", role=User.Role.STAFF)
    assert "Becker Plumbing back office" in client.get(reverse("admin:login")).content.decode()
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post(reverse("admin:login"), {"username": "ann", "password": "wrong"})
    assert response.status_code == 429
    assert "<title>Too many failed logins | Becker Plumbing back office</title>" in response.content.decode()
