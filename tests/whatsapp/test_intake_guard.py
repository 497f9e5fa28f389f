"""The PostgreSQL intake statements fill every field of the rows they insert: a field added to a
model fails here until whatsapp/intake/sql.py says how the statements fill it. No database needed:
the statements are checked as text, and their parameters as the store computes them."""

import itertools

import pytest
from django.utils import timezone

from tests.conftest import fresh
from whatsapp.intake import sql
from whatsapp.intake.postgres import PostgresStore, default_is_fixed
from whatsapp.models import Conversation, Message, StatusUpdate, WebhookEvent
from whatsapp.payloads import parse_body

MODELS = [WebhookEvent, Conversation, Message, StatusUpdate]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_of_the_model_is_listed_once_in_the_statements(model):
    fields = sql.FIELDS[model]
    listed = [*fields.row, *fields.sql, *fields.defaults]
    assert len(listed) == len(set(listed)), "a field is listed twice"
    assert set(listed) == {f.name for f in model._meta.concrete_fields}, (
        f"{model.__name__} gained or lost a field: say in whatsapp/intake/sql.py how the statements fill it")


def inserted_columns(statement: str, model) -> set[str]:
    """The columns of the statement's INSERT INTO the model's table."""
    head = statement.split(f"INSERT INTO {sql.table(model)}", 1)[1]
    listed = head.split("(", 1)[1].split(")", 1)[0]
    return {name.strip().strip('"') for name in listed.split(",")}


@pytest.mark.parametrize(("statement", "models"), [
    (lambda: sql.message_statement(with_event=True)[0], [WebhookEvent, Conversation, Message]),
    (lambda: sql.message_statement(with_event=False)[0], [Conversation, Message]),
    (sql.status_statement, [WebhookEvent, StatusUpdate]),
    (sql.event_statement, [WebhookEvent]),
], ids=["event and message", "message", "event and status", "event"])
def test_each_insert_writes_every_column_but_the_primary_key(statement, models):
    text = statement()
    for model in models:
        columns = {f.column for f in model._meta.concrete_fields if not f.primary_key}
        assert inserted_columns(text, model) == columns, model.__name__


def test_the_models_defaults_are_computed_for_each_row_not_once(db, monkeypatch):
    """A default that changes per row (a callable) gets a new value on every row, as with the ORM."""
    field = Message._meta.get_field("transcript")
    counter = itertools.count()
    def per_row():
        return f"default #{next(counter)}"

    monkeypatch.setattr(field, "default", per_row)
    monkeypatch.setitem(field.__dict__, "_get_default", per_row)  # what get_default() calls (cached by Django)
    store = PostgresStore()
    (inbound,) = parse_body(fresh("messages__text")).messages
    first = store.message_statement(inbound, event_id=None, now=timezone.now(), ours=True)[1]
    second = store.message_statement(inbound, event_id=None, now=timezone.now(), ours=True)[1]
    assert (first["m_transcript"], second["m_transcript"]) == ("default #0", "default #1")


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_defaults_computed_once_are_fixed_values_the_same_for_every_row(model):
    """The store computes a default's database value once only when the model's default is a value
    (or none), never a function: so today's defaults are all fixed, and stay right if one changes."""
    for name in sql.FIELDS[model].defaults:
        field = model._meta.get_field(name)
        function = field.has_default() and callable(field.default)
        assert default_is_fixed(field) is not function, name
        if not function:
            assert field.get_default() == field.get_default(), name


def test_the_statement_texts_hold_no_value_of_a_row():
    """Built once per process, so nothing of one webhook may be in them: the values are parameters."""
    store = PostgresStore()
    (inbound,) = parse_body(fresh("messages__text")).messages
    for statement in (store.event_sql, store.message_sql, store.event_message_sql, store.status_sql):
        text = statement.text
        for value in (inbound.wamid, inbound.wa_id, inbound.text, inbound.phone_number_id):
            assert value not in text
