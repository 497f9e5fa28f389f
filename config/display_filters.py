"""The functions of config.display as template filters: `{% load display %}`, then
`{{ row.gross|money:row.currency }}`, `{{ person.phone_number|phone }}`, `{{ m.timestamp|local_time }}`,
`{{ m.timestamp|local_datetime }}`, `{{ invoice.due_on|local_date }}`, `{{ row.month|month }}`."""

from django import template

from config import display

register = template.Library()

register.filter("money", display.money)
register.filter("phone", display.phone)
register.filter("local_date", display.local_date)
register.filter("local_time", display.local_time)
register.filter("local_datetime", display.local_datetime)
register.filter("month", display.month)
