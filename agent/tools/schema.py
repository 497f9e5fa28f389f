"""JSON schema for tool parameters, derived from the DRF serializer that validates them."""

from rest_framework import serializers

from agent.tools.fields import AmountField, TaxRateField


def _field_schema(field: serializers.Field) -> dict:
    if isinstance(field, serializers.ListSerializer):
        schema = {"type": "array", "items": _field_schema(field.child)}
    elif isinstance(field, serializers.Serializer):
        schema = schema_for(type(field))
    elif isinstance(field, (AmountField, TaxRateField)):
        schema = {"type": ["string", "number"]}
    elif isinstance(field, serializers.BooleanField):
        schema = {"type": "boolean"}
    elif isinstance(field, serializers.IntegerField):
        schema = {"type": "integer"}
    elif isinstance(field, serializers.DecimalField):
        schema = {"type": ["string", "number"]}
    elif isinstance(field, serializers.DateField):
        schema = {"type": "string", "format": "date"}
    elif isinstance(field, serializers.ChoiceField):
        schema = {"type": "string", "enum": [str(c) for c in field.choices]}
    elif isinstance(field, serializers.ListField):
        schema = {"type": "array", "items": _field_schema(field.child)}
    elif isinstance(field, serializers.EmailField):
        schema = {"type": "string", "format": "email"}
    else:
        schema = {"type": "string"}
    if field.help_text:
        schema["description"] = str(field.help_text)
    return schema


def schema_for(serializer_class: type[serializers.Serializer]) -> dict:
    fields = serializer_class().fields
    return {
        "type": "object",
        "properties": {name: _field_schema(f) for name, f in fields.items()},
        "required": [name for name, f in fields.items() if f.required],
        "additionalProperties": False,
    }
