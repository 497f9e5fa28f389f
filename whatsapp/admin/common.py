"""Small pieces every admin page of the channel uses: links to other admin pages, JSON as text."""

import json
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.html import format_html


def admin_url(obj, action="change") -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{action}", args=[obj.pk])


def changelist_url(model, **filters) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def pretty_json(value) -> str:
    if value in (None, "", {}, []):
        return "—"
    return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>',
                       json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))
