"""What CM/ECF expects on the wire for documents: the doc1 URLs and the Written Opinions report form.

Pure functions (no Scrapy), like :mod:`harvester.cmecf`. A document id's fourth
digit says whether CM/ECF shows the attachment menu: ``0`` asks for the menu of
an entry with attachments, ``1`` skips it and goes to the document's download
confirmation page. Submitting the confirmation's form (``got_receipt=1``)
returns the PDF and bills it.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from harvester.cmecf import HttpCall, _mdy, multipart


def with_menu_digit(pacer_doc_id: str, digit: str) -> str:
    """``pacer_doc_id`` with its fourth digit set to ``digit`` ("0": menu, "1": skip the menu)."""
    return pacer_doc_id[:3] + digit + pacer_doc_id[4:] if len(pacer_doc_id) > 3 else pacer_doc_id


def attachment_page(base: str, pacer_doc_id: str) -> HttpCall:
    """The Document Selection Menu of an entry with attachments (free)."""
    return HttpCall("GET", f"{base}doc1/{with_menu_digit(pacer_doc_id, '0')}")


def confirmation_page(base: str, pacer_doc_id: str) -> HttpCall:
    """A document's download confirmation page: its receipt, before anything is billed."""
    return HttpCall("GET", f"{base}doc1/{with_menu_digit(pacer_doc_id, '1')}")


def document_pdf(base: str, pacer_doc_id: str, pacer_case_id: str | None, pacer_seq_no: str | None) -> HttpCall:
    """Accept the charge of a confirmation page: the PDF (billed)."""
    fields = {"caseid": pacer_case_id or "", "de_seq_num": pacer_seq_no or "", "got_receipt": "1", "pdf_header": "1"}
    return HttpCall("POST", f"{base}doc1/{with_menu_digit(pacer_doc_id, '1')}", urlencode(fields).encode(),
                    {"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip


def written_opinions(base: str, filed_from: date, filed_to: date) -> HttpCall:
    """The free Written Opinions report of opinions filed from ``filed_from`` to ``filed_to``."""
    body, content_type = multipart([
        ("filed_from", _mdy(filed_from)), ("filed_to", _mdy(filed_to)),
        ("ShowFull", "1"), ("Key1", "cs_sort_case_numb"), ("all_case_ids", "0"),
    ])  # fmt: skip
    return HttpCall("POST", base + "cgi-bin/WrtOpRpt.pl", body, {"Content-Type": content_type})
