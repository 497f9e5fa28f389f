"""Token budgets that cannot work are reported by `manage.py check`."""

from django.core.checks import run_checks


def warnings_of(ids=("agent.W001", "agent.W002")):
    return [w for w in run_checks() if w.id in ids]


def test_the_default_budgets_pass():
    assert warnings_of() == []


def test_a_turn_budget_under_twice_the_cap_is_reported(settings):
    settings.AGENT_TURN_PROMPT_TOKENS = 5000
    [warning] = warnings_of()
    assert warning.id == "agent.W001" and "never call a tool" in warning.msg


def test_a_cap_the_system_prompt_and_tools_do_not_fit_is_reported_per_role(settings):
    settings.AGENT_MAX_PROMPT_TOKENS = 1500
    settings.AGENT_TURN_PROMPT_TOKENS = 3000
    found = warnings_of()
    assert {w.id for w in found} == {"agent.W002"}
    assert any("staff" in w.msg for w in found) and any("manager" in w.msg for w in found)
    assert not any("customer" in w.msg for w in found)
