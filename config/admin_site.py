"""The admin site every app registers with (the default one, through config.apps.AdminConfig).

Its home page adds what the apps name in ADMIN_INDEX_CONTEXT (the channel's state: open alerts,
unknown senders, bodies kept raw), and its URLs and menu the pages they name in ADMIN_PAGES (the
managers' dashboard). They are named, not imported: the apps' admin modules register their models
on this site while it is being made, so the site imports none of them.
"""

from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import NoReverseMatch, path, reverse
from django.utils.module_loading import import_string


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records kept as evidence (what Meta sent, what the assistant did): listed and shown, never
    added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@dataclass(frozen=True)
class AdminPage:
    """A page of the admin beside the models' (settings.ADMIN_PAGES)."""

    path: str  # under /admin/
    view: str  # dotted path of the view
    name: str  # URL name, in the admin namespace
    title: str | None  # as the menu shows it; None: not in the menu (e.g. a page's live updates)
    app_label: str  # the app whose menu lists it
    permission: str  # who sees it in the menu (the view checks for itself)


def admin_pages() -> tuple[AdminPage, ...]:
    return tuple(AdminPage(**page) for page in settings.ADMIN_PAGES)


class AdminSite(admin.AdminSite):
    """Named after the business (settings.BUSINESS_NAME): "<name> back office" in the header and the
    browser's title."""

    index_title = "Back office"

    @property
    def site_header(self) -> str:
        return f"{settings.BUSINESS_NAME} back office"

    @property
    def site_title(self) -> str:
        return self.site_header

    def index(self, request, extra_context=None):
        context = {}
        for hook in settings.ADMIN_INDEX_CONTEXT:
            context.update(import_string(hook)(request))
        return super().index(request, extra_context={**context, **(extra_context or {})})

    def get_urls(self):
        pages = [path(page.path, self.admin_view(import_string(page.view)), name=page.name) for page in admin_pages()]
        return pages + super().get_urls()

    def get_app_list(self, request, app_label=None):
        """The apps and their models, with each page in its app's list for those who may open it."""
        app_list = super().get_app_list(request, app_label)
        for page in admin_pages():
            if (page.title is None or (app_label and page.app_label != app_label)
                    or not request.user.has_perm(page.permission)):
                continue
            app = next((a for a in app_list if a["app_label"] == page.app_label), None)
            if app is None:
                app = self._app_entry(page.app_label)
                if app is None:
                    continue
                app_list.append(app)
            app["models"].insert(0, {
                "model": None, "name": page.title, "object_name": page.name.title(), "perms": {"view": True},
                "admin_url": reverse(f"{self.name}:{page.name}"), "add_url": None, "view_only": True,
            })
        return app_list

    def _app_entry(self, label: str) -> dict | None:
        """An app's menu entry for someone who may open its page but none of its models."""
        try:
            url = reverse(f"{self.name}:app_list", kwargs={"app_label": label})
        except NoReverseMatch:
            return None
        return {"name": apps.get_app_config(label).verbose_name, "app_label": label, "app_url": url,
                "has_module_perms": True, "models": []}
