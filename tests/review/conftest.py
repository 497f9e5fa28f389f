"""The independent review of issue 10: the assistant's fixtures (fake model, Sheena, Maya, `say`) here too."""

from tests.agent.conftest import fake_openai, manager, say, staff  # noqa: F401  (fixtures)
