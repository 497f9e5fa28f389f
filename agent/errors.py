"""The agent's domain errors. Their message is written for a person (and the model): no internals."""


class ApplicationError(Exception):
    """Bad input or a refused action. `message` is safe to show to the person or the model."""

    def __init__(self, message: str, *, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}

    def __str__(self):
        return self.message


class NotFound(ApplicationError):
    """No such record among those this person may see (so it never reveals that others' exist)."""


class PermissionDenied(ApplicationError):
    """This person's role does not allow the action."""


class Conflict(ApplicationError):
    """The record cannot take this action in its present state (the API answers 409): an invoice
    whose customer has no WhatsApp number cannot be sent there."""
