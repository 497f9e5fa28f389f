"""Reading an e-invoice someone sent: a PDF with Factur-X / ZUGFeRD XML inside, or an XML file
(XRechnung or Factur-X in CII, or UBL). Pure: bytes in, what the XML says out; no database, no model.

The factur-x library finds the XML in the PDF, checks it against the official schema (Factur-X
EN 16931 for CII, which XRechnung's CII also follows; UBL 2.1) and reads it by EN 16931 business
terms. Then the totals are checked as EN 16931 adds them up (BR-CO-10..16: the VAT breakdown per
rate and the totals), so a file whose numbers disagree is never booked.
"""

import io
import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import facturx
from lxml import etree
from pypdf import PdfReader
from pypdf.errors import PdfReadError

logger = logging.getLogger(__name__)

XML_TYPES = ("application/xml", "text/xml")
CREDIT_NOTES = {"81", "83", "381", "396", "532"}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class RateAmount:
    rate: Decimal  # a fraction (0.19)
    net: Decimal
    tax: Decimal


@dataclass(frozen=True)
class EInvoice:
    """What the e-invoice says, exactly (amounts in its currency)."""

    syntax: str  # "Factur-X / ZUGFeRD PDF (CII)", "XRechnung XML (CII)", "EN 16931 XML (UBL)"
    seller: str
    seller_vat_id: str
    number: str
    issued_on: date
    currency: str
    net: Decimal
    tax: Decimal
    gross: Decimal
    due: Decimal
    by_rate: tuple[RateAmount, ...]
    line_names: tuple[str, ...]

    @property
    def tax_rate(self) -> Decimal | None:
        """The one rate of a single-rate invoice; None with several."""
        return self.by_rate[0].rate if len(self.by_rate) == 1 else None


class Unreadable(Exception):
    """An e-invoice that cannot be booked. `reason` is for the person who sent it, `detail` for staff."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail or reason


def looks_like_xml(*, mime_type: str, filename: str) -> bool:
    mime = (mime_type or "").split(";")[0].strip().lower()
    return mime in XML_TYPES or mime.endswith("+xml") or (filename or "").lower().endswith(".xml")


def looks_like_pdf(*, mime_type: str, filename: str) -> bool:
    return "pdf" in (mime_type or "").lower() or (filename or "").lower().endswith(".pdf")


def einvoice_read(data: bytes, *, mime_type: str = "", filename: str = "") -> EInvoice | None:
    """The e-invoice in `data`: None for a PDF without one (an ordinary PDF), Unreadable for a file
    that is (or claims to be) an e-invoice but cannot be read or does not add up."""
    if looks_like_pdf(mime_type=mime_type, filename=filename) or data[:5] == b"%PDF-":
        found = _xml_in_pdf(data)
        if found is None:
            return None
        name, xml = found
        return _parse(xml, container="PDF")
    return _parse(data, container="XML")


def _xml_in_pdf(data: bytes) -> tuple[str, bytes] | None:
    try:
        reader = PdfReader(io.BytesIO(data))
        attachments = [(a.name, a.content) for a in reader.attachment_list]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        logger.info("PDF attachments could not be listed: %s", exc)
        return None  # an ordinary PDF path reads it (or says it cannot)
    xml_files = [(name, content) for name, content in attachments if str(name).lower().endswith(".xml")]
    if not xml_files:
        return None
    try:
        name, xml = facturx.get_xml_from_pdf(data, check_xsd=False)
    except Exception as exc:  # the library raises plain Exception
        raise Unreadable("its embedded e-invoice could not be taken out of the PDF", str(exc)) from exc
    if not xml:
        names = ", ".join(str(name) for name, _ in xml_files)
        raise Unreadable("the PDF carries an XML file that is not a readable e-invoice",
                         f"XML attachments {names}: none is Factur-X, ZUGFeRD or XRechnung") from None
    return name, xml


def _parse(xml: bytes, *, container: str) -> EInvoice:
    try:
        root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise Unreadable("the file is not well-formed XML", f"{container}: {exc}") from exc
    try:
        flavor = facturx.get_flavor(root)
    except Exception as exc:
        raise Unreadable("the XML is not an e-invoice (neither CII nor UBL)", f"{container}: {exc}") from exc
    if flavor not in ("factur-x", "ubl-2.1-invoice", "ubl-2.1-creditnote"):
        raise Unreadable("this kind of XML document is not read here (only invoices)", f"{container}: {flavor}")
    try:
        data = facturx.parse_ubl_cii_xml(root, flavor=flavor, check_xsd=True, float_as="string")
    except Exception as exc:
        raise Unreadable("the e-invoice does not follow the standard's schema", f"{container}: {exc}") from exc
    return _einvoice(data, syntax=_syntax(root, flavor, container))


def _syntax(root, flavor: str, container: str) -> str:
    ids = root.xpath("//*[local-name()='GuidelineSpecifiedDocumentContextParameter']/*[local-name()='ID']/text()"
                     " | /*/*[local-name()='CustomizationID']/text()")
    guideline = (ids[0] if ids else "").lower()
    standard = "XRechnung" if "xrechnung" in guideline else "Factur-X / ZUGFeRD" if flavor == "factur-x" else "EN 16931"
    return f"{standard} {container} ({'CII' if flavor == 'factur-x' else 'UBL'})"[:40]


def _einvoice(data: dict, *, syntax: str) -> EInvoice:
    if str(data.get("BT-3", "")) in CREDIT_NOTES:
        raise Unreadable("it is a credit note, not an invoice: credit notes are not booked automatically",
                         f"type code {data.get('BT-3')}")
    seller = data.get("BG-4") or {}
    name = str(seller.get("name") or seller.get("biz_name") or "").strip()
    number = str(data.get("BT-1") or "").strip()
    issued = data.get("BT-2")
    currency = str(data.get("BT-5") or "").strip().upper()
    missing = [what for what, value in (("seller name", name), ("invoice number", number),
                                        ("issue date", issued), ("currency", currency)) if not value]
    if missing:
        raise Unreadable(f"it does not say its {', '.join(missing)}", f"missing: {', '.join(missing)}")
    net, tax, gross = _amount(data, "BT-109"), _amount(data, "BT-110", default=Decimal("0.00")), _amount(data, "BT-112")
    due = _amount(data, "BT-115", default=gross)
    by_rate = tuple(RateAmount(rate=(_decimal(r.get("BT-119"), "BT-119") / 100).quantize(Decimal("0.0001")),
                               net=_decimal(r.get("BT-116"), "BT-116"), tax=_decimal(r.get("BT-117"), "BT-117"))
                    for r in data.get("BG-23") or [])
    _check_totals(net=net, tax=tax, gross=gross, by_rate=by_rate)
    lines = tuple(str(line.get("BT-153") or "").strip() for line in data.get("BG-25") or [])
    return EInvoice(syntax=syntax, seller=name[:200], seller_vat_id=str(seller.get("vat_identifier") or "")[:32],
                    number=number[:100], issued_on=issued, currency=currency, net=net, tax=tax, gross=gross,
                    due=due, by_rate=by_rate, line_names=tuple(name for name in lines if name))


def _check_totals(*, net, tax, gross, by_rate) -> None:
    """EN 16931's sums: gross = net + tax (BR-CO-15), tax = the rates' taxes (BR-CO-14), net = the
    rates' nets (BR-CO-13 without allowances), each rate's tax = its net × rate (BR-S-08 / BR-CO-17)."""
    problems = []
    if net + tax != gross:
        problems.append(f"net {net} + tax {tax} is not the gross {gross}")
    if not by_rate:
        problems.append("it has no VAT breakdown")
    else:
        if sum((r.tax for r in by_rate), Decimal(0)) != tax:
            problems.append(f"the taxes per rate do not add up to the tax {tax}")
        if sum((r.net for r in by_rate), Decimal(0)) != net:
            problems.append(f"the nets per rate do not add up to the net {net}")
        for r in by_rate:
            if abs(r.net * r.rate - r.tax) > CENT:
                problems.append(f"tax {r.tax} is not {(r.rate * 100).normalize():f}% of {r.net}")
    if gross <= 0 or net <= 0:
        problems.append("its amounts are not above zero")
    if problems:
        raise Unreadable("its amounts do not add up (" + "; ".join(problems) + ")", "; ".join(problems))


def _amount(data: dict, term: str, default: Decimal | None = None) -> Decimal:
    value = data.get(term)
    if value in (None, ""):
        if default is not None:
            return default
        raise Unreadable(f"it does not say its {'net total' if term == 'BT-109' else 'gross total'}", f"{term} missing")
    return _decimal(value, term)


def _decimal(value, term: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise Unreadable("one of its amounts is not a number", f"{term} = {value!r}") from None
    if not number.is_finite():
        raise Unreadable("one of its amounts is not a number", f"{term} = {value!r}")
    return number
