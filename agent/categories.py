"""Expense categories as people name them ("petrol", "Lunch") mapped to the fixed list."""

from agent.errors import ApplicationError
from agent.models import Expense

# Common words for a category; the category values and labels themselves always match.
SYNONYMS = {
    "petrol": "fuel", "gas": "fuel", "gasoline": "fuel", "diesel": "fuel", "charging": "fuel",
    "hotel": "travel", "taxi": "travel", "train": "travel", "flight": "travel", "parking": "travel",
    "transport": "travel", "uber": "travel",
    "food": "meals", "meal": "meals", "lunch": "meals", "dinner": "meals", "breakfast": "meals",
    "restaurant": "meals", "coffee": "meals", "entertainment": "meals",
    "supplies": "office", "stationery": "office", "office supplies": "office",
    "subscription": "software", "subscriptions": "software", "saas": "software", "license": "software",
    "internet": "utilities", "phone": "utilities", "electricity": "utilities", "power": "utilities",
    "water": "utilities", "utility": "utilities",
    "hardware": "equipment", "tools": "equipment", "computer": "equipment",
    "ads": "marketing", "advertising": "marketing", "promotion": "marketing",
    "lease": "rent",
}


def parse_category(value: str | None) -> str:
    """The category value for what a person or model wrote; ApplicationError naming the list if none fits."""
    key = " ".join((value or "").lower().split())
    if key in Expense.Category.values:
        return key
    for choice, label in Expense.Category.choices:
        if key == label.lower():
            return choice
    if key in SYNONYMS:
        return SYNONYMS[key]
    raise ApplicationError(
        f"{value!r} is not an expense category. Use one of: {', '.join(Expense.Category.values)}."
    )
