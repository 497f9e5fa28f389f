"""CSV export for admin changelists: an action for the selected rows and an "Export CSV" link
(`<changelist>/export/?<the current filters>`) for the whole filtered list.

Cells: Decimal as plain strings ("11.90"), dates ISO, None empty. The first row is the header.
Text that a spreadsheet would run as a formula ("=HYPERLINK(...)" in a merchant name sent over
WhatsApp) gets a leading apostrophe; numbers and phone numbers ("-5", "+49 151 ...") stay as they are.
"""

import csv
import re
from datetime import date, datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path, reverse

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER_LIKE = re.compile(r"[+-]?[\d\s().,/-]*\d[\d\s().,/-]*")


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return text_cell(str(value))


def text_cell(text: str) -> str:
    if text.startswith(FORMULA_START) and not NUMBER_LIKE.fullmatch(text):
        return "'" + text
    return text


def value_of(obj, accessor):
    if callable(accessor):
        return accessor(obj)
    for part in accessor.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj


def csv_response(filename: str, columns, records) -> HttpResponse:
    """`columns`: [(header, accessor)]; an accessor is a field path ("customer__company_name") or a callable."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow([header for header, _ in columns])
    for record in records:
        writer.writerow([cell(value_of(record, accessor)) for _, accessor in columns])
    return response


class CsvExportMixin:
    """For a ModelAdmin: set `csv_columns`; adds the "export_csv" action and the export/ URL,
    and puts `export_url` (with the current filters) into the changelist context."""

    csv_columns: list = []

    def _csv_filename(self) -> str:
        return f"{self.model._meta.model_name}.csv"

    def _csv(self, queryset):
        return csv_response(self._csv_filename(), self.csv_columns, queryset)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.has_view_permission(request):
            actions["export_csv"] = (CsvExportMixin.export_csv, "export_csv", "Export selected to CSV")
        return actions

    def export_csv(self, request, queryset):
        return self._csv(queryset)

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [path("export/", self.admin_site.admin_view(self.export_view), name="%s_%s_export" % info)] + super().get_urls()

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            messages.error(request, "Those filters are not valid.")
            return HttpResponseRedirect(self._changelist_url())
        return self._csv(changelist.queryset)

    def _changelist_url(self) -> str:
        info = self.model._meta.app_label, self.model._meta.model_name
        return reverse("admin:%s_%s_changelist" % info, current_app=self.admin_site.name)

    def changelist_extra(self, request, changelist) -> dict:
        """Extra changelist context: the export link; subclasses add totals."""
        query = request.GET.urlencode()
        return {"export_url": "export/" + (f"?{query}" if query else "")}

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            context.update(self.changelist_extra(request, context["cl"]))
        return response
