"""Upgrading a database: the conversations of today's team members become private for good."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import User

BEFORE = [("whatsapp", "0008_heartbeat_and_retention"), ("accounts", "0004_user_identity_set_by")]
AFTER = [("whatsapp", "0009_conversation_private")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("latest_schema_afterwards")
def test_the_migration_marks_the_team_members_conversations_private_and_no_others():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    state = executor.loader.project_state(BEFORE).apps
    old, person = state.get_model("whatsapp", "Conversation"), state.get_model("accounts", "User")
    # Historical models: today's would run today's signals against yesterday's tables.
    people = {role: person.objects.create(username=role, role=role, phone_number=f"+1650555010{n}")
              for n, role in enumerate(User.Role.values)}
    root = person.objects.create(username="root", is_superuser=True, role=User.Role.CUSTOMER)
    chats = {name: old.objects.create(phone_number_id="106540352242922", contact_key=name, user_id=someone.pk)
             for name, someone in {**people, "root": root}.items()}
    chats["stranger"] = old.objects.create(phone_number_id="106540352242922", contact_key="stranger")

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    # Read as the schema is at AFTER: later migrations may add columns the current model has.
    then = executor.loader.project_state(AFTER).apps.get_model("whatsapp", "Conversation")
    private = {name for name, chat in chats.items() if then.objects.get(pk=chat.pk).private}
    assert private == {"staff", "manager", "root"}
