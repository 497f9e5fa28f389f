"""The REST API: thin views over the same services and selectors the assistant and admin use."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from agent import selectors, services
from agent.api.serializers import (
    ExpenseSerializer,
    InvoiceCreateSerializer,
    InvoiceSerializer,
    MarkPaidSerializer,
    ReviewSerializer,
)
from agent.invoices.document import invoice_document
from agent.invoices.sending import invoice_send
from agent.roles import is_team_member

REVIEW_PERMISSION = "agent.review_expense"


class Pages(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


class IsTeamMember(permissions.BasePermission):
    """Staff and managers (and superusers); customers use WhatsApp, not the API."""

    message = "The API is for staff and managers."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (user.is_superuser or is_team_member(user)))


class CanReviewExpenses(permissions.BasePermission):
    """Approve and reject need agent.review_expense (the Managers group has it), as in the admin."""

    message = "Only managers can approve or reject expenses."

    def has_permission(self, request, view):
        return request.user.has_perm(REVIEW_PERMISSION)


class ExpenseViewSet(viewsets.ReadOnlyModelViewSet):
    """Expenses: staff see their own, managers everyone's. Managers approve or reject, not their own
    while another manager can (four eyes: 403 with the reason; `self_reviewed` marks the exceptions)."""

    serializer_class = ExpenseSerializer
    permission_classes = [IsTeamMember]
    pagination_class = Pages

    def get_queryset(self):
        params = self.request.query_params
        filters = selectors.ExpenseFilters(
            status=params.get("status") or None, category=params.get("category") or None,
            date_from=params.get("date_from") or None, date_to=params.get("date_to") or None,
            submitted_by_id=params.get("person") or None,  # the selector refuses a non-number with a 400
        )
        return selectors.expense_list(user=self.request.user, filters=filters).order_by("-spent_on", "-id")

    @extend_schema(parameters=[OpenApiParameter(name, str) for name in
                               ("status", "category", "person", "date_from", "date_to")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _review(self, request, pk, approve: bool):
        note = ReviewSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        expense = services.expense_review(reviewer=request.user, expense_id=pk, approve=approve,
                                          note=note.validated_data["note"])
        return Response(ExpenseSerializer(expense).data)

    @extend_schema(request=ReviewSerializer, responses=ExpenseSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsTeamMember, CanReviewExpenses])
    def approve(self, request, pk=None):
        return self._review(request, pk, True)

    @extend_schema(request=ReviewSerializer, responses=ExpenseSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsTeamMember, CanReviewExpenses])
    def reject(self, request, pk=None):
        return self._review(request, pk, False)


class InvoiceViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Invoices: list (open, overdue, paid, all; by customer), create, mark paid, PDF, send on WhatsApp."""

    serializer_class = InvoiceSerializer
    permission_classes = [IsTeamMember]
    pagination_class = Pages

    def get_queryset(self):
        params = self.request.query_params
        if self.action != "list":
            return selectors.invoices_visible_to(self.request.user).select_related("sent_message")
        return selectors.invoice_list(user=self.request.user, state=params.get("state") or "all",
                                      customer_id=params.get("customer") or None).select_related("sent_message")

    @extend_schema(parameters=[OpenApiParameter("state", str, enum=["open", "overdue", "paid", "all"]),
                               OpenApiParameter("customer", int)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=InvoiceCreateSerializer, responses={201: InvoiceSerializer})
    def create(self, request, *args, **kwargs):
        data = InvoiceCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = services.invoice_create(user=request.user, **data.validated_data)
        return Response(InvoiceSerializer(invoice).data, status=201)

    @extend_schema(request=MarkPaidSerializer, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"], url_path="mark-paid")
    def mark_paid(self, request, pk=None):
        data = MarkPaidSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = services.invoice_mark_paid(user=request.user, invoice_id=pk,
                                             paid_on=data.validated_data.get("paid_on"))
        return Response(InvoiceSerializer(invoice).data)

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(
        OpenApiTypes.BINARY, description="The invoice as a PDF/A-3 with its Factur-X (EN 16931) XML attached."),
        400: OpenApiResponse(description="The invoice cannot be issued yet: `detail` says what is missing.")})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        """The invoice's PDF, for whoever may see the invoice (same object checks as its detail)."""
        document = invoice_document(invoice=self.get_object())
        response = HttpResponse(document.pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
        return response

    @extend_schema(request=None, responses={
        202: OpenApiResponse(InvoiceSerializer, description="Queued: its PDF goes to the customer on WhatsApp (a "
                                                            "document, or the invoice template outside their "
                                                            "24-hour window); `whatsapp` shows its ticks."),
        404: OpenApiResponse(description="No such invoice among those you may see."),
        409: OpenApiResponse(description="It cannot be sent now: void, not issuable (`missing` names what is "
                                         "missing), or the customer has no WhatsApp number.")})
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        """Send the invoice's PDF to its customer on WhatsApp (same object checks as its detail)."""
        invoice = invoice_send(user=request.user, invoice_id=pk)
        return Response(InvoiceSerializer(invoice).data, status=202)
