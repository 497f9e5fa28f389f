"""The model's Markdown is converted to WhatsApp formatting on the way out."""

from agent.formatting import to_whatsapp


def test_a_bold_markdown_reply_reaches_whatsapp_with_single_stars(fake_openai, staff, say, graph):
    fake_openai.reply("Saved expense **#7**: __EUR 42.50__.")
    say("hi")
    assert graph.texts() == ["Saved expense *#7*: *EUR 42.50*."]


def test_headings_become_bold_lines(fake_openai, staff, say, graph):
    fake_openai.reply("## Travel last month\nEUR 120.00")
    say("travel?")
    assert graph.texts() == ["*Travel last month*\nEUR 120.00"]


def test_a_table_becomes_one_plain_line_per_row(fake_openai, staff, say, graph):
    fake_openai.reply("| Category | Gross |\n|---|---:|\n| fuel | 42.50 |\n| meals | 8.00 |")
    say("by category")
    assert graph.texts() == ["- Category: fuel, Gross: 42.50\n- Category: meals, Gross: 8.00"]


def test_italic_strike_bullets_and_links_are_converted():
    text = "*maybe* ~~old~~\n* one\n+ two\n[site](https://example.com)"
    assert to_whatsapp(text) == "_maybe_ ~old~\n- one\n- two\nsite (https://example.com)"


def test_code_blocks_are_left_alone():
    assert to_whatsapp("**a**\n```\n**b**\n```") == "*a*\n```\n**b**\n```"


def test_horizontal_rules_and_extra_blank_lines_are_dropped():
    assert to_whatsapp("one\n\n---\n\n\n\ntwo") == "one\n\ntwo"
