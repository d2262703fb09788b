"""The sandbox's documents: attachment menus, download confirmations, PDFs, the Written Opinions report.

Every fact about a synthetic document follows from its ``pacer_doc_id`` (court
prefix, attachment flag, serial: see :meth:`SyntheticCase.doc_id`), so the same
seed always serves the same documents:

- ``GET /ecf/{court}/doc1/<id>``: for an entry with attachments asked with the
  fourth digit 0, the Document Selection Menu (free); otherwise the download
  confirmation page with its Transaction Receipt (free: nothing is billed yet);
  a sealed document answers a "sealed" notice, a restricted one (transcripts in
  their restriction period) a "restricted" notice, both free.
- ``POST /ecf/{court}/doc1/<id>`` with ``got_receipt=1``: the PDF, billed the
  PACER way: $0.10 a page, 30 pages at most, except transcripts (uncapped);
  opinions are free.
- ``POST /ecf/{court}/cgi-bin/WrtOpRpt.pl`` (``filed_from``/``filed_to``): the
  free Written Opinions report. Like some real courts, its stated total counts
  sealed opinions it does not list.

PDFs are small generated files with the document's real page count (one PDF
page object per page). Markup follows the corpus's district pages
(``attachment_pages/cand_*``, ``confirmation_pages/ctd_1``,
``free_opinion_report/cacd_1``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

from . import pages
from .reports import encode_page
from .server import Request, Response
from .synthetic import DAY, ENTRY_SLOTS, Entry, SyntheticCase, local_date, mdy, mix

PAGE_CENTS = 10
PAGE_CAP = 30
SEALED_TEXT = "This document is SEALED and is not available for viewing."
RESTRICTED_TEXT = "You do not have permission to view this document: it is RESTRICTED."


@dataclass(frozen=True)
class SandboxDocument:
    """One document (main or attachment) of a synthetic docket entry."""

    case: SyntheticCase
    entry: Entry
    attachment: int  # 0: the main document
    attachments: int  # how many attachments the entry has

    @property
    def h(self) -> int:
        return mix(self.entry.h + 7919 * self.attachment)

    @property
    def short(self) -> str:
        return self.case.entry_text(self.entry)[0]

    @property
    def transcript(self) -> bool:
        return self.attachment == 0 and "transcript" in self.short.lower()

    @property
    def opinion(self) -> bool:
        """Orders of district courts: about half are opinions (free on the Written Opinions report)."""
        return (self.case.kind == "district" and self.attachment == 0 and self.short.startswith("Order")
                and (self.entry.h >> 20) & 1 == 0)  # fmt: skip

    @property
    def sealed(self) -> bool:
        return (self.h >> 4) & 15 == 0

    @property
    def restricted(self) -> bool:
        return self.transcript and (self.entry.h >> 6) & 7 == 0

    @property
    def page_count(self) -> int:
        h = self.h
        if self.transcript:
            return 35 + h % 60  # transcripts are long, and uncapped
        if self.attachment == 0 and (h >> 12) & 7 == 0:
            return 31 + h % 40  # a long brief: capped at 30 pages
        return 1 + h % (12 if self.attachment == 0 else 6)

    @property
    def billable_pages(self) -> int:
        return self.page_count if self.transcript else min(self.page_count, PAGE_CAP)

    @property
    def cents(self) -> int:
        return 0 if self.opinion else self.billable_pages * PAGE_CENTS

    @property
    def doc_id(self) -> str:
        return self.case.doc_ids(self.entry, self.attachments)[self.attachment]

    @property
    def description(self) -> str:
        return self.short if self.attachment == 0 else f"Exhibit {chr(64 + self.attachment)}"


class DocumentService:
    """Documents of the synthetic courts, found by pacer_doc_id."""

    def __init__(self, cases_by_court: dict[str, list[SyntheticCase]]) -> None:
        self.cases = {court: {c.local_index: c for c in cases} for court, cases in cases_by_court.items()}

    def find(self, court_id: str, doc_id: str, now_ts: float) -> SandboxDocument | None:
        digits = doc_id.split("?", 1)[0]
        if len(digits) != 12 or not digits.isdigit():
            return None
        serial = int(digits[4:])
        local, rest = divmod(serial, ENTRY_SLOTS * 4)
        k, attachment = divmod(rest, 4)
        case = self.cases.get(court_id, {}).get(local)
        if case is None:
            return None
        entry = next((e for e in case.timeline(now_ts) if e.k == k), None)
        if entry is None or entry.number is None:
            return None
        attachments = (entry.h >> 56) % 4 if case.kind == "district" else 0
        if attachment > attachments:
            return None
        return SandboxDocument(case, entry, attachment, attachments)

    def opinions(self, court_id: str, start: date, end: date, now_ts: float) -> list[SandboxDocument]:
        """Opinions filed from ``start`` to ``end`` (inclusive), sealed ones too."""
        found = []
        for case in self.cases.get(court_id, {}).values():
            for entry in case.timeline(now_ts):
                if entry.number is None or not start <= entry.filed <= end:
                    continue
                doc = SandboxDocument(case, entry, 0, (entry.h >> 56) % 4 if case.kind == "district" else 0)
                if doc.opinion:
                    found.append(doc)
        return sorted(found, key=lambda d: (d.entry.filed, d.case.docket_number))


# --------------------------------------------------------------------------- pages
def attachment_menu(doc: SandboxDocument) -> str:
    """The Document Selection Menu of ``doc``'s entry (``attachment_pages/cand_*`` layout)."""
    case, entry = doc.case, doc.entry
    host, cid, seq = case.court.host, case.pacer_case_id, entry.seq
    ids = case.doc_ids(entry, doc.attachments)

    def link(i: int, label: str) -> str:
        shown = ids[i][:3] + "1" + ids[i][4:]
        return (f'<a href="{host}/doc1/{shown}" onClick="goDLS(\'/doc1/{shown}\',\'{cid}\',\'{seq}\','
                f"'','','1','','','');return(false);\">{label}</a>")  # fmt: skip

    def box(i: int, part: SandboxDocument) -> tuple[str, str]:
        size = 2000 + part.page_count * 3100
        checkbox = (f'<input type="checkbox" name="document_{entry.number}_{i}" onchange="update_sizes(this)" '
                    f'value="{ids[i][4:]}-{size}-{part.page_count}" />')  # fmt: skip
        return checkbox, f"{size / 1024:.1f} KB"

    main = SandboxDocument(case, entry, 0, doc.attachments)
    main_box, main_size = box(0, main)
    rows = [
        f'<tr><td colspan="2"><b>Document Number:</b></td><td width="50px">{main_box}</td>'
        f"<td>{link(0, str(entry.number))}</td><td>{_pages(main.page_count)}</td><td>{main_size}</td></tr>",
        '<tr height="50px"><td width="150px" colspan="2"><b>Attachment</b></td><td width="200px" colspan="2">'
        '<b>Description</b></td><td width="100px"><b>Pages</b></td><td width="100px"><b>Size</b></td></tr>',
    ]
    for i in range(1, doc.attachments + 1):
        part = SandboxDocument(case, entry, i, doc.attachments)
        part_box, part_size = box(i, part)
        rows.append(f'<tr><td width="50px">{part_box}</td><td>{link(i, str(i))}</td>'
                    f'<td colspan="2">{escape(part.description)}</td><td>{_pages(part.page_count)}</td>'
                    f"<td>{part_size}</td></tr>")  # fmt: skip
    body = (
        '<form><p><b style="margin:10px">Document Selection Menu</b></p>'
        '<p><span style="margin:10px">Select the document you wish to view.</span></p>'
        '<table style="table-layout:fixed;word-wrap:break-word;margin: 20px">' + "".join(rows) + "</table></form>"
    )
    return pages.page_head(f"CM/ECF - {case.court.name}", case.kind) + body + pages.PAGE_END


def _pages(n: int) -> str:
    return f"{n} page" if n == 1 else f"{n} pages"


def confirmation(doc: SandboxDocument, now, login: str, client_code: str, doc_id: str) -> str:
    """The 'To accept charges shown below' page (``confirmation_pages/ctd_1`` layout)."""
    case, entry = doc.case, doc.entry
    number = f"{entry.number}-{doc.attachment}"
    receipt = pages.receipt(now, login, client_code, f"Image{number}", case.docket_number,
                            doc.billable_pages, f"{doc.cents / 100:.2f}")  # fmt: skip
    receipt = receipt.replace("Search Criteria:", "Case Number:")
    form = (
        "<p>To accept charges shown below, click on the 'View Document' button, otherwise click the 'Back' "
        f'button on your browser.</p><form method="post" action="{case.court.host}/doc1/{doc_id}" '
        f"onsubmit=\"goDLS('/doc1/{doc_id}','{case.pacer_case_id}','{entry.seq}','1','','1','','');return(false);\">"
        f'{receipt}<input type="submit" value="View Document"></form>'
    )
    return pages.page_head(f"CM/ECF - {case.court.name}", case.kind) + form + pages.PAGE_END


def notice(doc: SandboxDocument, text: str) -> str:
    return pages.message_page(f"CM/ECF - {doc.case.court.name}", f"<h3>{escape(text)}</h3>", doc.case.kind)


def pdf(doc: SandboxDocument) -> bytes:
    """A small valid PDF with one page object per page of ``doc``."""
    n = doc.page_count
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [" + b" ".join(f"{3 + i} 0 R".encode() for i in range(n))
               + f"] /Count {n} >>".encode()]  # fmt: skip
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"] * n
    out = bytearray(b"%PDF-1.4\n% sandbox " + doc.doc_id.encode() + b"\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def opinions_report(court, opinions: list[SandboxDocument], start: date, end: date) -> str:
    """The Written Opinions report (``free_opinion_report/cacd_1`` layout); the total counts sealed ones."""
    rows = []
    for doc in opinions:
        if doc.sealed:
            continue
        case, entry = doc.case, doc.entry
        rows.append(
            f"<tr><td>{mdy(entry.filed)}</td>"
            f'<td><a href="/cgi-bin/DktRpt.pl?{case.pacer_case_id}">{escape(case.docket_number)}</a> '
            f"{escape(case.case_name)}</td>"
            f'<td><a href="/doc1/{doc.doc_id}" onClick="goDLS(\'/doc1/{doc.doc_id}\',\'{case.pacer_case_id}\','
            f"'{entry.seq}','','','1','','');return(false);\">{entry.number}</a></td>"
            f"<td>{escape(case.entry_text(entry)[1])}</td><td><i>NOS:</i> {escape(case.extra.get('nature', ''))}"
            f"<br><i>Cause:</i> {escape(case.extra.get('cause', ''))}</td></tr>"
        )
    table = (
        '<table border="1"><tr><th>Date Filed:</th><th>Case Number &amp; Name:</th><th>Doc. #</th>'
        "<th>Description:</th><th>Notes:</th></tr>" + "".join(rows) + "</table>"
    )
    head = (f'<h2 align="center">Written Opinions Report</h2><p align="center">Filed from {mdy(start)} '
            f"to {mdy(end)}</p>")  # fmt: skip
    total = f"<p>Total number of opinions reported: {len(opinions)}</p>"
    return pages.page_head(f"CM/ECF - {court.name}", court.kind) + head + table + total + pages.PAGE_END


# --------------------------------------------------------------------------- routes
class DocumentRoutes:
    """The document endpoints, dispatched by the sandbox app."""

    def __init__(self, app) -> None:
        self.app = app
        self.service = DocumentService(app._synthetic_by_court)

    def endpoint(self, request: Request, rest: str) -> str | None:
        """The request-log endpoint name of a document route, or None when ``rest`` is not one."""
        if rest.startswith("doc1/"):
            return "doc1-pdf" if request.method == "POST" else "doc1"
        if rest == "cgi-bin/WrtOpRpt.pl":
            return "WrtOpRpt"
        return None

    def doc1(self, request: Request, fields: dict, record: dict, court) -> Response:
        login_id, client_code = self.app._session(request)
        if login_id is None:
            return self.app._html(self.app._login_page(court))
        doc_id = request.path.rsplit("/", 1)[-1]
        now_ts = self.app.clock.timestamp()
        doc = self.service.find(court.court_id, doc_id, now_ts)
        if doc is None:
            return self.app._html(pages.message_page(f"CM/ECF - {court.name}", "<h3>Document not found.</h3>"))
        record["case"] = doc.case.pacer_case_id
        record["pacer_doc_id"] = doc.doc_id[:3] + "0" + doc.doc_id[4:]
        if doc.sealed:
            return self.app._html(notice(doc, SEALED_TEXT))
        if doc.restricted:
            return self.app._html(notice(doc, RESTRICTED_TEXT))
        if request.method != "POST":
            if doc.attachment == 0 and doc.attachments and doc_id[3] == "0":
                return self.app._html(attachment_menu(doc))
            return self.app._html(confirmation(doc, self.app.clock.now(), login_id, client_code, doc_id))
        if fields.get("got_receipt") != "1":
            return self.app._html(confirmation(doc, self.app.clock.now(), login_id, client_code, doc_id))
        record.update(billable_pages=doc.billable_pages if doc.cents else 0, cost=doc.cents / 100,
                      document_pages=doc.page_count, transcript=doc.transcript, opinion=doc.opinion)  # fmt: skip
        return Response(200, pdf(doc), "application/pdf")

    def written_opinions(self, request: Request, fields: dict, record: dict, court) -> Response:
        login_id, _ = self.app._session(request)
        if login_id is None:
            return self.app._html(self.app._login_page(court))
        now = self.app.clock.now()
        start = _form_date(fields.get("filed_from")) or local_date(self.app.clock.timestamp() - DAY)
        end = _form_date(fields.get("filed_to")) or now.date()
        opinions = self.service.opinions(court.court_id, start, end, self.app.clock.timestamp())
        record["entries"] = len(opinions)
        return Response(200, encode_page(opinions_report(court, opinions, start, end)))


def _form_date(value: str | None) -> date | None:
    try:
        month, day, year = (int(p) for p in (value or "").split("/"))
        return date(year, month, day)
    except ValueError:
        return None
