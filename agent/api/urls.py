from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from agent.api.views import ExpenseViewSet, InvoiceViewSet, IsTeamMember, TokenView, not_found

router = DefaultRouter()
router.include_format_suffixes = False  # JSON only: "/api/expenses/1.5/" is no expense, not a format
router.register("expenses", ExpenseViewSet, basename="expense")
router.register("invoices", InvoiceViewSet, basename="invoice")

urlpatterns = [
    # Like the API itself, its schema and docs are for staff and managers (log in to the admin first).
    path("schema/", SpectacularAPIView.as_view(permission_classes=[IsTeamMember]), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=[IsTeamMember]),
         name="api-docs"),
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("", include(router.urls)),
    # Anything else under /api/ (an id with a dot, say) answers as the API does: JSON, not a page
    # (a URL without its final slash is still redirected to the one with it first).
    re_path(r"^.*/$", not_found),
]
