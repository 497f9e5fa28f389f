"""Upgrading a database where the bug already made a second conversation for a BSUID-only message."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


BEFORE = ("whatsapp", "0004_status_unattached_index")
AFTER = ("whatsapp", "0006_one_conversation_per_id")
BSUID = "US.13491208655302741918"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("latest_schema_afterwards")
def test_the_migration_keeps_the_bsuid_on_the_person_s_own_conversation_and_the_other_s_history():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    state = executor.loader.project_state([BEFORE]).apps
    old = state.get_model("whatsapp", "Conversation")
    # The historical model: today's would run today's signals against yesterday's tables.
    sheena = state.get_model("accounts", "User").objects.create(username="sheena", phone_number="+16505551234")
    own = old.objects.create(phone_number_id="106540352242922", contact_key="16505551234", wa_id="16505551234",
                             bsuid=BSUID, user_id=sheena.pk)
    second = old.objects.create(phone_number_id="106540352242922", contact_key=BSUID, bsuid=BSUID)
    elsewhere = old.objects.create(phone_number_id="999", contact_key=BSUID, bsuid=BSUID)  # another number of ours

    executor = MigrationExecutor(connection)
    executor.migrate([AFTER])

    # Read as the schema is at AFTER: later migrations may add columns the current model has.
    then = executor.loader.project_state([AFTER]).apps.get_model("whatsapp", "Conversation")
    own, second, elsewhere = (then.objects.get(pk=c.pk) for c in (own, second, elsewhere))
    assert (own.wa_id, own.bsuid, own.user_id) == ("16505551234", BSUID, sheena.pk)
    assert (second.wa_id, second.bsuid, second.user_id, second.contact_key) == ("", "", sheena.pk, f"#{second.pk}")
    assert elsewhere.bsuid == BSUID
