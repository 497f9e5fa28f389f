"""A template's shape from Meta's components: its slots, the text the person reads, and the
components a send carries (whatsapp.catalogue.components; pure, no database)."""

import pytest

from whatsapp.catalogue.components import (
    Fill,
    components,
    fill_of,
    parameter_text,
    preview_parts,
    render,
    shape_of,
    template_components,
)

# As Meta lists a template with a text header, a body, a footer and buttons.
ORDER_UPDATE = [
    {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["A-17"]}},
    {"type": "BODY", "text": "Hello {{1}}, your order ships on {{2}}. Thank you!",
     "example": {"body_text": [["Ann", "12 May"]]}},
    {"type": "FOOTER", "text": "Reply STOP to opt out"},
    {"type": "BUTTONS", "buttons": [
        {"type": "URL", "text": "Track it", "url": "https://example.com/track/{{1}}",
         "example": ["https://example.com/track/A-17"]},
        {"type": "QUICK_REPLY", "text": "Thanks"},
    ]},
]
INVOICE = [
    {"type": "HEADER", "format": "DOCUMENT", "example": {"header_handle": ["4::aW..."]}},
    {"type": "BODY", "text": "Hello {{1}}, here is invoice {{2}}.", "example": {"body_text": [["Ann", "INV-1"]]}},
]


def test_the_slots_are_the_header_body_and_link_placeholders_with_meta_s_examples():
    shape = shape_of(ORDER_UPDATE)
    assert [(s.key, s.label, s.example) for s in shape.slots] == [
        ("header.1", "Header {{1}}", "A-17"),
        ("body.1", "Text {{1}}", "Ann"),
        ("body.2", "Text {{2}}", "12 May"),
        ("button.0.1", "Button 1 link {{1}}", "https://example.com/track/A-17"),
    ]
    assert shape.footer == "Reply STOP to opt out"
    assert [b.text for b in shape.buttons] == ["Track it", "Thanks"]
    assert not shape.named and shape.media_header == ""


def test_positional_placeholders_are_filled_in_their_number_s_order_whatever_the_text_s_order():
    shape = shape_of([{"type": "BODY", "text": "Due {{2}} for {{1}}."}])
    assert shape.slot_keys == ["body.1", "body.2"]


def test_a_placeholder_used_twice_is_one_slot():
    shape = shape_of([{"type": "BODY", "text": "Hi {{1}}! Yes, {{1}}, you."}])
    assert shape.slot_keys == ["body.1"]
    assert render(shape, Fill(values={"body.1": "Ann"})) == "Hi Ann! Yes, Ann, you."


def test_a_document_header_takes_the_document_and_no_slot():
    shape = shape_of(INVOICE)
    assert shape.media_header == "document"
    assert shape.slot_keys == ["body.1", "body.2"]


def test_named_parameters_are_slots_by_name_and_sent_with_their_names():
    shape = shape_of([{"type": "BODY", "text": "Hi {{first_name}}, see {{order_id}}.", "example": {
        "body_text_named_params": [{"param_name": "first_name", "example": "Ann"},
                                   {"param_name": "order_id", "example": "A-1"}]}}], "NAMED")
    assert shape.named and shape.slot_keys == ["body.first_name", "body.order_id"]
    assert [s.example for s in shape.slots] == ["Ann", "A-1"]
    sent = components(Fill(values={"body.first_name": "Bo", "body.order_id": "B-2"}))
    assert sent == [{"type": "body", "parameters": [
        {"type": "text", "text": "Bo", "parameter_name": "first_name"},
        {"type": "text", "text": "B-2", "parameter_name": "order_id"}]}]


def test_the_components_of_a_send_carry_header_body_and_link_values_as_graph_takes_them():
    sent = components(Fill(values={"body.2": "12 May", "header.1": "A-17", "body.1": "Ann", "button.0.1": "A-17"}))
    assert sent == [
        {"type": "header", "parameters": [{"type": "text", "text": "A-17"}]},
        {"type": "body", "parameters": [{"type": "text", "text": "Ann"}, {"type": "text", "text": "12 May"}]},
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "A-17"}]},
    ]


def test_a_send_s_components_read_back_as_what_they_fill():
    values = {"header.1": "A-17", "body.1": "Ann", "body.2": "12 May", "button.0.1": "A-17"}
    assert fill_of(components(Fill(values=values))).values == values


def test_the_invoice_document_goes_in_the_header_beside_the_body_values():
    sent = template_components(body=["Ann", "INV-1"], header_document={"id": "42", "filename": "INV-1.pdf"})
    assert sent == [
        {"type": "header", "parameters": [{"type": "document", "document": {"id": "42", "filename": "INV-1.pdf"}}]},
        {"type": "body", "parameters": [{"type": "text", "text": "Ann"}, {"type": "text", "text": "INV-1"}]},
    ]
    fill = fill_of(sent)
    assert fill.values == {"body.1": "Ann", "body.2": "INV-1"}
    assert fill.header_media == {"type": "document", "document": {"id": "42", "filename": "INV-1.pdf"}}


def test_the_person_reads_the_header_body_footer_and_buttons_with_the_values_in():
    shape = shape_of(ORDER_UPDATE)
    text = render(shape, Fill(values={"header.1": "A-17", "body.1": "Ann", "body.2": "12 May"}))
    assert text == ("Order A-17\nHello Ann, your order ships on 12 May. Thank you!\nReply STOP to opt out\n"
                    "[Track it] [Thanks]")


def test_an_empty_slot_shows_its_marker():
    assert render(shape_of(INVOICE), Fill(values={"body.1": "Ann"})) == "[document]\nHello Ann, here is invoice {{2}}."


def test_a_document_header_is_named_by_its_file():
    fill = fill_of(template_components(body=["Ann", "INV-1"], header_document={"id": "42", "filename": "INV-1.pdf"}))
    assert render(shape_of(INVOICE), fill).startswith("[document: INV-1.pdf]\n")


def test_the_preview_parts_join_to_the_rendered_text():
    shape = shape_of(ORDER_UPDATE)
    parts = preview_parts(shape)
    assert parts["body"] == [{"text": "Hello ", "slot": ""}, {"text": "{{1}}", "slot": "body.1"},
                             {"text": ", your order ships on ", "slot": ""}, {"text": "{{2}}", "slot": "body.2"},
                             {"text": ". Thank you!", "slot": ""}]
    assert parts["buttons"] == ["Track it", "Thanks"] and parts["footer"] == "Reply STOP to opt out"


@pytest.mark.parametrize("value, sent", [("two\nlines", "two lines"), ("a\ttab", "a tab"),
                                         ("wide      gap", "wide gap"), ("  padded ", "padded")])
def test_a_value_is_sent_as_meta_takes_a_parameter(value, sent):
    assert parameter_text(value) == sent


@pytest.mark.parametrize("junk", [None, "BODY", [None, 3, {"type": 5}], [{"type": "BODY", "text": ["x"]}],
                                  [{"type": "BUTTONS", "buttons": "none"}]])
def test_components_that_are_not_meta_s_shape_make_an_empty_template_not_an_error(junk):
    shape = shape_of(junk)
    assert shape.slots == () and render(shape, Fill()) == ""


@pytest.mark.parametrize("junk", [None, "x", [None, {"type": "body", "parameters": "no"}, {"parameters": [1]}]])
def test_sent_components_that_are_not_graph_s_shape_fill_nothing(junk):
    assert fill_of(junk) == Fill()
