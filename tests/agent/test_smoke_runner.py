from agent.models import AgentTurn, Expense, ToolCall


def test_a_staff_member_records_an_expense_by_text(fake_openai, staff, say, graph):
    fake_openai.call(("record_expense", {"gross": "42.50", "category": "fuel", "description": "fuel"}))
    fake_openai.reply("Saved expense **#1**: EUR 42.50 for fuel.")
    say("spent 42.50 on fuel")
    expense = Expense.objects.get()
    assert str(expense.gross) == "42.50" and expense.submitted_by == staff
    assert graph.texts() == ["Saved expense *#1*: EUR 42.50 for fuel."]
    call = ToolCall.objects.get()
    assert call.name == "record_expense" and call.result["saved"]["id"] == expense.pk
    assert AgentTurn.objects.get().total_tokens == 240
