"""JSON schema for tool parameters, derived from the DRF serializer that validates them.

Compact, because every request carries the schemas of the person's tools: what amounts and dates
look like and the categories and periods are said once, in the system prompt (agent.prompt), and
the serializer, not the schema, refuses what is wrong (with an error the model reads).
"""

from rest_framework import serializers

from agent.tools.fields import ListedChoiceField


def _field_schema(field: serializers.Field) -> dict:
    if isinstance(field, serializers.ListSerializer):
        schema = {"type": "array", "items": schema_for(type(field.child))}
    elif isinstance(field, serializers.Serializer):
        schema = schema_for(type(field))
    elif isinstance(field, serializers.BooleanField):
        schema = {"type": "boolean"}
    elif isinstance(field, serializers.IntegerField):
        schema = {"type": "integer"}
    elif isinstance(field, serializers.ChoiceField) and not isinstance(field, ListedChoiceField):
        schema = {"type": "string", "enum": [str(c) for c in field.choices]}
    elif isinstance(field, serializers.ListField):
        schema = {"type": "array", "items": _field_schema(field.child)}
    else:  # text, dates, amounts (AmountField: "42.50") and choices the prompt lists
        schema = {"type": "string"}
    if field.help_text:
        schema["description"] = str(field.help_text)
    return schema


def schema_for(serializer_class: type[serializers.Serializer]) -> dict:
    fields = serializer_class().fields
    schema = {"type": "object", "properties": {name: _field_schema(f) for name, f in fields.items()}}
    required = [name for name, f in fields.items() if f.required]
    if required:
        schema["required"] = required
    return schema


