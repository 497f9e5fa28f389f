"""Invoice lines and the totals they make, in Decimal, the way EN 16931 computes them.

- A line's net amount is quantity × net unit price, rounded to cents half up (BT-131).
- Per tax rate: the rate's net is the sum of its lines' net amounts (BT-116), its tax is that
  net × the rate, rounded to cents half up once (BT-117: not a sum of per-line taxes).
- The invoice's net is the sum of the lines (BT-109), its tax the sum of the rates' taxes (BT-110),
  its gross net + tax (BT-112).

Pure functions: nothing here reads or writes the database.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from agent.amounts import LARGEST, RATE_PLACES, Amounts, parse_decimal, parse_tax_rate
from config.display import round_cents
from agent.errors import ApplicationError
from agent.invoices.models import Unit

QUANTITY_PLACES = Decimal("0.0001")
PRICE_PLACES = Decimal("0.0001")
MAX_LINES = 200
DESCRIPTION_LENGTH = 500
UNIT_NAMES = {label: code for code, label in Unit.choices} | {
    "h": Unit.HOUR, "hours": Unit.HOUR, "hr": Unit.HOUR, "days": Unit.DAY, "pc": Unit.PIECE, "pcs": Unit.PIECE,
    "piece": Unit.PIECE, "pieces": Unit.PIECE, "units": Unit.PIECE, "months": Unit.MONTH, "weeks": Unit.WEEK,
    "flat": Unit.LUMP_SUM, "kilogram": Unit.KILOGRAM, "litre": Unit.LITRE, "liter": Unit.LITRE,
}


@dataclass(frozen=True)
class Line:
    """A checked line: quantity and price with at most four decimals, a rate as a fraction."""

    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    tax_rate: Decimal

    @property
    def net_amount(self) -> Decimal:
        return round_cents(self.quantity * self.unit_price)


@dataclass(frozen=True)
class RateTotal:
    """The VAT breakdown of one rate (EN 16931 BG-23)."""

    rate: Decimal
    net: Decimal
    tax: Decimal

    @property
    def category(self) -> str:
        """UNCL 5305: S standard rate, Z zero rated."""
        return "S" if self.rate > 0 else "Z"


@dataclass(frozen=True)
class Totals:
    net: Decimal
    tax: Decimal
    gross: Decimal
    by_rate: tuple[RateTotal, ...]

    @property
    def tax_rate(self) -> Decimal:
        """The lines' rate; with several, the effective one (tax / net), to four decimals."""
        if len(self.by_rate) == 1:
            return self.by_rate[0].rate
        return (self.tax / self.net).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def totals_of(lines) -> Totals:
    """Totals per rate and overall of lines (Line or InvoiceLine: anything with quantity, unit_price
    and tax_rate), rounded as EN 16931 requires."""
    nets: dict[Decimal, Decimal] = {}
    for line in lines:
        rate = Decimal(line.tax_rate).quantize(RATE_PLACES)
        nets[rate] = nets.get(rate, Decimal("0.00")) + round_cents(Decimal(line.quantity) * Decimal(line.unit_price))
    by_rate = tuple(RateTotal(rate=rate, net=net, tax=round_cents(net * rate))
                    for rate, net in sorted(nets.items(), reverse=True))
    net = sum((r.net for r in by_rate), Decimal("0.00"))
    tax = sum((r.tax for r in by_rate), Decimal("0.00"))
    return Totals(net=net, tax=tax, gross=net + tax, by_rate=by_rate)


def line_check(*, description, quantity=1, unit=None, unit_price, tax_rate=None, default_tax_rate,
               position: int = 1) -> Line:
    """One line as people, models and forms give it; ApplicationError naming the line otherwise.

    Quantity above zero, price zero or more, both with at most four decimals; the unit a UN/ECE
    code (C62, HUR, DAY...) or its name ("hour", "day"); no rate means `default_tax_rate`.
    """
    where = f"Line {position}"
    text = " ".join(str(description or "").split())
    if not text:
        raise ApplicationError(f"{where} needs a description.")
    if len(text) > DESCRIPTION_LENGTH:
        raise ApplicationError(f"{where}: the description is too long (at most {DESCRIPTION_LENGTH} characters).")
    qty = _four_places(parse_decimal(quantity if quantity not in (None, "") else 1), f"{where}: the quantity")
    if qty <= 0:
        raise ApplicationError(f"{where}: the quantity must be more than zero.")
    price = _four_places(parse_decimal(unit_price), f"{where}: the unit price")
    if price < 0:
        raise ApplicationError(f"{where}: the unit price cannot be negative.")
    rate = parse_tax_rate(tax_rate if tax_rate not in (None, "") else default_tax_rate)
    line = Line(description=text, quantity=qty, unit=unit_code(unit, where=where), unit_price=price, tax_rate=rate)
    if line.net_amount > LARGEST:
        raise ApplicationError(f"{where}: the amount is too large.")
    return line


def lines_check(raw_lines, *, default_tax_rate) -> list[Line]:
    """Lines from a list of mappings (description, quantity, unit, unit_price, tax_rate); at least
    one, and a total above zero."""
    if not raw_lines:
        raise ApplicationError("An invoice needs at least one line.")
    if len(raw_lines) > MAX_LINES:
        raise ApplicationError(f"An invoice has at most {MAX_LINES} lines.")
    lines = []
    for position, raw in enumerate(raw_lines, start=1):
        if not isinstance(raw, dict):
            raise ApplicationError(f"Line {position} must be an object with description, quantity and unit_price.")
        if raw.get("unit_price") in (None, ""):
            raise ApplicationError(f"Line {position} needs a net unit price.")
        lines.append(line_check(description=raw.get("description"), quantity=raw.get("quantity"),
                                unit=raw.get("unit"), unit_price=raw.get("unit_price"),
                                tax_rate=raw.get("tax_rate"), default_tax_rate=default_tax_rate,
                                position=position))
    totals = totals_of(lines)
    if totals.net <= 0:
        raise ApplicationError("The invoice's lines add up to nothing: its net total must be more than zero.")
    if totals.gross > LARGEST:
        raise ApplicationError(f"The invoice's total is too large (at most {LARGEST:,}).")
    return lines


def single_line(*, description: str, amounts: Amounts) -> Line:
    """The one line of an invoice given as one amount ("1,200 for consulting"): quantity 1 at the net.

    When a gross was given, the net is the one whose tax, rounded as EN 16931 does, gives exactly
    that gross, where cents allow one (nearly always); otherwise the gross moves by a cent.
    """
    net = amounts.net
    for candidate in (net, net - Decimal("0.01"), net + Decimal("0.01")):
        if candidate > 0 and candidate + round_cents(candidate * amounts.tax_rate) == amounts.gross:
            net = candidate
            break
    return Line(description=" ".join(description.split())[:DESCRIPTION_LENGTH], quantity=Decimal(1),
                unit=Unit.PIECE, unit_price=net, tax_rate=amounts.tax_rate)


def unit_code(value, *, where: str = "The line") -> str:
    text = str(value or "").strip()
    if not text:
        return Unit.PIECE
    if text.upper() in Unit.values:
        return text.upper()
    code = UNIT_NAMES.get(text.lower())
    if code is None:
        names = ", ".join(f"{label} ({code})" for code, label in Unit.choices)
        raise ApplicationError(f"{where}: unknown unit {text!r}. Use one of: {names}.")
    return code


def _four_places(value: Decimal, what: str) -> Decimal:
    if value != value.quantize(QUANTITY_PLACES):
        raise ApplicationError(f"{what} has more than four decimals.")
    return value.quantize(QUANTITY_PLACES)
