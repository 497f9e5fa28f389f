"""HTML to a PDF/A-3 with the e-invoice inside: xhtml2pdf (on ReportLab) draws the page from a
Django template, and factur-x attaches the XML with the XMP metadata Factur-X requires.

PDF/A asks for every font to be embedded and for an output intent naming the colour space. So
the page uses only Bitstream Vera (shipped inside ReportLab, embedded as TrueType), never the 14
standard fonts, and an sRGB output intent is added (its ICC profile made by Pillow's LittleCMS).
"""

import io
import logging
import threading
from functools import cache
from pathlib import Path

import facturx
import reportlab
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, NumberObject, TextStringObject

logger = logging.getLogger(__name__)

FONT_DIR = Path(reportlab.__file__).resolve().parent / "fonts"
FONT_FAMILY = "Vera"  # registered with ReportLab as the default for anything the page does not style
_setup_lock = threading.Lock()


class PdfFailed(Exception):
    """The PDF could not be drawn: a bug in the template or the library, never the person's input."""


def fonts() -> dict[str, str]:
    """The font files the template embeds (@font-face), by style."""
    return {"regular": str(FONT_DIR / "Vera.ttf"), "bold": str(FONT_DIR / "VeraBd.ttf")}


@cache
def _embedded_fonts_only() -> None:
    """Make Vera ReportLab's default face: pages and table cells otherwise name Helvetica, a font
    that is never embedded, which PDF/A forbids. Done once per process."""
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import tables

    with _setup_lock:
        pdfmetrics.registerFont(TTFont(FONT_FAMILY, fonts()["regular"]))
        rl_config.canvas_basefontname = FONT_FAMILY
        tables.CellStyle.fontname = FONT_FAMILY


@cache
def _srgb_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def html_to_pdf(html: str) -> bytes:
    """Draw `html` (from our own template) as a PDF; nothing outside ReportLab's fonts is read."""
    from xhtml2pdf import pisa
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    _embedded_fonts_only()
    out = io.BytesIO()
    # No network, and local reads only of the fonts: the logo comes inline as a data: URI.
    policy = ResourceAccessPolicy(allow_remote=False, base_dir=FONT_DIR)
    status = pisa.CreatePDF(html, dest=out, encoding="utf-8", resource_policy=policy)
    if status.err:
        raise PdfFailed(f"xhtml2pdf reported {status.err} error(s)")
    return out.getvalue()


def with_output_intent(pdf: bytes) -> bytes:
    """`pdf` with an sRGB output intent (GTS_PDFA1), as PDF/A requires for device colours."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    icc = DecodedStreamObject()
    icc.set_data(_srgb_profile())
    icc.update({NameObject("/N"): NumberObject(3)})
    intent = DictionaryObject({
        NameObject("/Type"): NameObject("/OutputIntent"),
        NameObject("/S"): NameObject("/GTS_PDFA1"),
        NameObject("/OutputConditionIdentifier"): TextStringObject("sRGB IEC61966-2.1"),
        NameObject("/Info"): TextStringObject("sRGB IEC61966-2.1"),
        NameObject("/DestOutputProfile"): writer._add_object(icc),
    })
    writer.root_object[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def embed_einvoice(pdf: bytes, xml: bytes, *, title: str, subject: str, author: str, lang: str = "en") -> bytes:
    """The PDF/A-3 Factur-X: `xml` attached as factur-x.xml (relationship Data), XMP metadata with
    the PDF/A and Factur-X schemas. The XML was validated when it was built."""
    metadata = {"author": author, "keywords": "Factur-X, Invoice", "title": title, "subject": subject}
    return facturx.generate_from_binary(with_output_intent(pdf), xml, flavor="factur-x", level="en16931",
                                        check_xsd=False, pdf_metadata=metadata, lang=lang)
