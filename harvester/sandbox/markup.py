"""HTML and XML the sandbox writes itself: synthetic dockets, case summaries,
possible_case_numbers answers and RSS feeds.

The markup copies the real pages of the corpus (district: ``akd``; bankruptcy:
``akb`` header with ``nysb`` entry rows; appellate: ``ca1`` CaseSummary.jsp;
case query: ``case_queries/akd_58813``; feeds: ``rss_feeds_2023`` and
``rss_feeds/ca11``) so that whatever parses the real pages parses these.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from email.utils import format_datetime
from html import escape
from xml.sax.saxutils import quoteattr

from . import pages
from .clock import CHICAGO
from .courts import Case, Court
from .reports import DocketQuery, Report
from .synthetic import CIRCUITS, Entry, Party, SyntheticCase, mdy


def _sealed(entry: Entry) -> bool:
    """A sealed entry (month mode): its number shows without a link."""
    edit = getattr(entry, "edit", None)  # month-mode entries carry their clerk's edit
    return edit is not None and edit[1] == "sealed"


# --------------------------------------------------------------------------- district
def _district_party_rows(parties: list[Party], query: DocketQuery) -> str:
    out = []
    shown = [p for p in parties if query.terminated or p.terminated is None]
    for i, party in enumerate(shown):
        if i and party.role != shown[i - 1].role and party.role.startswith("Defendant") and "Plaintiff" in shown[i - 1].role:
            out.append("<tr><td valign=top><br>V.<br></td></tr>\n")
        out.append(f"\t\t\t\t<tr>\n\t\t\t\t\t<td><b><u>{escape(party.role)}                               </u></b></td>\n\t\t\t\t</tr>\n\n")
        name = f"<B>{escape(party.name)}</B>"
        if party.terminated:
            name += f"\n<BR><I>TERMINATED: {mdy(party.terminated)}</I>"
        out.append(f'\t\t\t<tr>\n\t\t\t\t<td valign=top width="40%">\n\t\t\t\t\t{name}\n\t\t</td>\n')
        if party.attorneys:
            lawyers = "<BR><BR>".join(
                f"<B>{escape(a.name)}</B>\n" + "".join(f"<BR>{escape(line)}\n" for line in a.lines)
                + "".join(f"<BR><I>{role}</I>\n" for role in a.roles)
                for a in party.attorneys
            )
            out.append(
                '<td valign=top width="20%" align=right>represented&nbsp;by</td>'
                f'<td valign=top width="40%">{lawyers}</td></tr><tr><td></td></tr>\n'
            )
        else:
            out.append("</tr><tr><td></td></tr>\n")
    return '<table width="100%" border=0 cellspacing=5>\n' + "".join(out) + "</table>\n"


def _district_rows(case: SyntheticCase, entries: list[Entry]) -> list[str]:
    """The entry rows of a district docket (hot path: per-case values bound once)."""
    host, cid, text_of, doc_ids = case.court.host, case.pacer_case_id, case.entry_text, case.doc_ids
    rows = []
    for entry in entries:
        text = text_of(entry)[1]
        if entry.number is None:
            number_cell = "&nbsp;"
        elif _sealed(entry):
            number_cell = f"{entry.number}&nbsp;"
        else:
            n_att = (entry.h >> 56) % 4
            seq, (doc, *attachments) = entry.seq, doc_ids(entry, n_att)
            number_cell = (
                f'<a href="{host}/doc1/{doc}" onClick="goDLS(\'/doc1/{doc}\',\'{cid}\',\'{seq}\','
                f"'','1','1','','');return(false);\">{entry.number}</a>&nbsp;"
            )
            if n_att:
                links = []
                for i, att in enumerate(attachments, start=1):
                    links.append(
                        f'# <a href="{host}/doc1/{att}" onClick="goDLS(\'/doc1/{att}\',\'{cid}\',\'{seq}\','
                        f"'','1','1','','');return(false);\">{i}</a> Exhibit {chr(64 + i)}"
                    )
                text += f" (Attachments: {', '.join(links)})"
        rows.append(
            f"<tr><td width='94' valign=top nowrap>{mdy(entry.filed)}</td>"
            f"<td style='white-space:nowrap' valign='top' align='right'>{number_cell}</td>"
            f"<td valign=top>{text} (Entered: {mdy(entry.entered)})</td></tr>\n"
        )
    return rows


def _district_docket(case: SyntheticCase, entries: list[Entry], query: DocketQuery) -> tuple[str, str]:
    x = case.extra
    kind_label = "CRIMINAL" if case.case_type == "cr" else "CIVIL"
    flags = "<SPAN  style='color:blue'>CLOSED</SPAN>" if case.date_terminated else ""
    right = f"<br>Date Filed: {mdy(case.date_filed)}<br>\n"
    if case.date_terminated:
        right += f"Date Terminated: {mdy(case.date_terminated)}<br>\n"
    left = f"<br>{escape(case.case_name)}<br>\nAssigned to: {escape(case.judge)}<br>\n"
    if case.case_type != "cr":
        left += f"Cause: {x['cause']}"
        right += f"Jury Demand: None<br>\nNature of Suit: {x['nature']}<br>\nJurisdiction: {x['jurisdiction']}"
    head = (
        pages.page_head(f"CM/ECF - U.S. District Court:{case.court.court_id}", "district")
        + f"\t\t\t\t<table border=0 cellspacing=0 width=\"100%\">\n\t\t\t\t\t<tr><td align=right>{flags}</td></tr>\n\t\t\t\t</table>\n"
        + f"\t\t\t<h3 align=center>U.S. District Court<BR>\n{escape(case.court.name)} ({x['division']})<BR>\n"
        + f"{kind_label} DOCKET FOR CASE #: {case.docket_number}</h3>\n"
        + f"<TABLE width='100%' border=0 CELLSPACING=5><tr>\n<td valign=top width=\"60%\">{left}</td>\n"
        + f"<td valign=top width=\"40%\">{right}</td>\n</tr></table>\n"
    )
    parts = [head]
    if query.parties:
        parts.append(_district_party_rows(case.parties(), query))
    if entries:
        parts.append(
            "<br><table align=center width='99%' border=1 rules=all cellpadding=5 cellspacing=0>\n"
            "<tr><td style='font-weight:bold; width=94; white-space:nowrap'>Date Filed</td>\n"
            "<th>#</th><td style='font-weight:bold'>Docket Text</td></tr>\n"
        )
        parts.extend(_district_rows(case, entries))
        parts.append("</table><br>\n")
    else:
        parts.append(pages.none_satisfy(case.docket_number))
    return "".join(parts), pages.PAGE_END


# --------------------------------------------------------------------------- bankruptcy
def _bankruptcy_parties(parties: list[Party]) -> str:
    rows = []
    for party in parties:
        left = (
            f'<TR>\t<TD VALIGN=top WIDTH="50%"><FONT SIZE="+0"><I><B>{escape(party.role)}</B></I><BR>'
            f"<B>{escape(party.name)}</B>\n<BR>PO Box 1075\n<BR>Springfield, IL 62701<BR><BR>\t</FONT></TD>\n"
        )
        if party.attorneys:
            lawyers = "<BR><BR>".join(
                f"<B>{escape(a.name)}</B>\n" + "\n".join(f"<BR>{escape(line)}" for line in a.lines) for a in party.attorneys
            )
            rows.append(
                left + '\t<TD VALIGN=top ALIGN=right><FONT SIZE="+0">represented by\t</FONT></TD>\n'
                f'<TD valign="top" WIDTH="40%"><font size="+0">{lawyers}<BR><BR></font></TD>'
            )
        else:
            rows.append(left + '\t<TD VALIGN=top WIDTH="20%" ALIGN=right><FONT SIZE="+0">&nbsp;\t</FONT></TD>\n<TD></TD>')
    return '<BR><FONT SIZE="5"><B></B>\n\t\t</FONT><TABLE width="100%" BORDER=0 CELLSPACING=1><TR>' + "".join(rows) + "</TR></TABLE>"


def _bankruptcy_rows(case: SyntheticCase, entries: list[Entry]) -> list[str]:
    """The entry rows of a bankruptcy docket (``nysb`` layout, ``akb`` links)."""
    host, cid, text_of, doc_id = case.court.host, case.pacer_case_id, case.entry_text, case.doc_id
    rows = []
    for entry in entries:
        if entry.number is None:
            link = "&nbsp;"
        elif _sealed(entry):
            link = str(entry.number)
        else:
            link = (
                f"<a href='{host}/doc1/{doc_id(entry)}?caseid={cid}&de_seq_num={entry.seq}"
                f"&pdf_header=0'>{entry.number}</a>"
            )
        rows.append(
            f'<TR><TD width="94" nowrap valign=bottom>{mdy(entry.filed)}</TD>'
            "<TD width=74 valign=top align=right style='border-right:0;padding-right:1px'>&nbsp;</TD>"
            f"<TD width=30 valign=top align=left style='border-left:0;padding-left:1px'>{link}</TD>"
            f"<TD valign=bottom>  {text_of(entry)[1]} (Entered: {mdy(entry.entered)})</TD></TR>\n"
        )
    return rows


def _bankruptcy_docket(case: SyntheticCase, entries: list[Entry], query: DocketQuery) -> tuple[str, str]:
    x = case.extra
    dates = f'<TR><td align="right" valign="top"><I>Date filed:</I></td><td align="left" valign="top">&nbsp;&nbsp;{mdy(case.date_filed)}</td></TR>'
    if case.date_terminated:
        dates += f'<TR><td align="right" valign="top"><I>Date terminated:</I></td><td align="left" valign="top">&nbsp;&nbsp;{mdy(case.date_terminated)}</td></TR>'
    parts = [
        pages.page_head("Live Database", "bankruptcy"),
        '<TABLE width="100%" align=right BORDER=0 CELLSPACING=5><TR><TD ALIGN=right><h2> <FONT SIZE="3">'
        + ("CLOSED" if case.date_terminated else "")
        + "</FONT></h2></TD></TR></TABLE><BR><BR><BR>",
        f'<CENTER><B><FONT SIZE="+1">U.S. Bankruptcy Court<BR>{escape(case.court.name)} ({x["division"]})<BR>'
        f"Bankruptcy Petition #: {case.docket_number}</FONT></B></CENTER>",
        f'<TABLE width="100%" BORDER=0 CELLSPACING=1><TR>\t<TD VALIGN=top WIDTH="50%"><FONT SIZE="+0"><BR>'
        f"<I>Assigned to:</I>       {escape(case.judge)}<BR>Chapter          {x['chapter']}<BR>Voluntary<BR>Asset <BR><BR>\t</FONT></TD>\n"
        f'\t<TD VALIGN=top WIDTH="50%" ALIGN=right><FONT SIZE="+0"><TABLE border=0 cellspacing=0 cellpadding=0 align=center>'
        f"{dates}</TABLE>\t</FONT></TD>\n</TR>\n</TABLE>",
    ]
    if query.parties:
        parts.append(_bankruptcy_parties(case.parties()))
    if entries:
        parts.append(
            "<BR><TABLE BORDER=1 CELLPADDING=10 CELLSPACING=0><TR><TH width=\"94\" nowrap>Filing Date</TH>\n"
            "<TH colspan=2 align='center'>#</TH><TH align=center>Docket Text</TH></TR>\n"
        )
        parts.extend(_bankruptcy_rows(case, entries))
        parts.append("</TABLE><BR><BR><BR><BR>\n")
    else:
        parts.append(pages.none_satisfy(case.docket_number))
    return "".join(parts), "<BR></BR>" + pages.PAGE_END


# --------------------------------------------------------------------------- appellate
def _appellate_head(court: Court, title: str) -> str:
    servlet = f"{court.host}/{court.servlet_path}"
    return (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">\n'
        f"<html><head>\n\t<title>{escape(title)}</title>\n"
        '\t<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">\n</head>\n<body>\n<div class="noprint">\n'
        '<table width="100%" cellspacing="0" cellpadding="0" border="0" bgcolor="#0000af"><tbody><tr><td>'
        f'<a style="color: #ffffff; font-weight:bold;" href="{servlet}?servlet=CaseSearch.jsp">Case Search</a></td>'
        f'<td><a style="color: #ffffff; font-weight:bold;" href="{servlet}?servlet=InvalidUserLogin.jsp&amp;logout=y">Logout</a></td>'
        "</tr></tbody></table>\n<br>\n</div>\n"
    )


def _appellate_docket(case: SyntheticCase, entries: list[Entry], query: DocketQuery) -> tuple[str, str]:
    circuit = CIRCUITS.get(case.court.court_id, case.court.court_id.upper())
    termed = f"<BR><b>Termed:</b> {mdy(case.date_terminated)}" if case.date_terminated else ""
    parts = [
        _appellate_head(case.court, f"{case.case_number} Docket"),
        "<table width=100% border=0>\n\t<tr><td align=right></td></tr>\n\t<tr><td align=center><b>General Docket<br>\n"
        f"\tUnited States Court of Appeals for the {circuit} Circuit</b></td>\n\t</tr>\n</table>\n",
        "<table width=100% border=1 cellpadding=4>\n<!-- ===================== NEW SECTION - Case Stub ======================== -->\n"
        "<tr><td>\n\t<table width=100% border=0 cellpadding=0 cellspacing=0>\n"
        f"\t<tr><td><b>Court of Appeals Docket #: </b>{case.case_number}</td>\n"
        f"\t\t<td valign=top align=right rowspan=2>\n\t\t<b>Docketed:</b> {mdy(case.date_filed)}{termed}</td></tr>\n"
        f"<tr><td><b>Nature of Suit: </b>\n\t3190 Other Contract Actions</td></tr>\n<tr><td>{escape(case.case_name)}</td></tr>\n"
        f"\t<tr><td><b>Appeal From:</b>\n\tUnited States District Court, {case.extra['division']} District</td>\n</tr>\n"
        "\t<tr><td><b>Fee Status:</b>  Fee Paid</td>\n</tr>\n\t</table>\n</td></tr>\n</table>\n",
    ]
    if query.parties:
        parts.append("<!-- ===================NEW SECTION - Party/Aty List ====================== -->\n<br>\n<table width=100% border=1 cellpadding=0>\n<tr><td>\n\t<table width=100% border=0 cellpadding=4 cellspacing=0>\n")
        for i, party in enumerate(case.parties()):
            if i:
                parts.append("<tr><td colspan=2>v.<BR><BR></td></tr>\n")
            lawyers = "<BR><BR>\n".join(
                escape(a.name) + "".join(f"<br>{escape(line)}" for line in a.lines) for a in party.attorneys
            )
            parts.append(
                f"\t<tr><td valign=top width=50%>{escape(party.name)}<BR>\n\n{escape(party.role)}\n\n</td>\n"
                f"\t\t<td valign=top width=50%>\n{lawyers}</td></tr>\n"
            )
        parts.append("</table>\n</td></tr>\n</table>\n")
    parts.append(
        "<!-- ================= NEW SECTION - DOCKET ENTRIES =================== -->\n"
        "\t<h1 style='page-break-before: always;'> </h1>\n"
        '<FORM name="dktEntry" action="TransportRoom" method="GET" target="_blank">\n'
        "<table width=100% border=1 cellpadding=0>\n\t\t<TR><TD>\n\t\t<table border=0 cellpadding=4>\n"
    )
    for entry in entries:
        _, text = case.entry_text(entry)
        if entry.number is None:
            link = "&nbsp;&nbsp;"
        elif _sealed(entry):
            link = str(entry.number)
        else:
            doc = case.doc_id(entry)
            link = (
                f"<a HREF=\"{case.court.host}/docs1/{doc}\" ONCLICK=\"return doDocPostURL('{doc}','{case.pacer_case_id}');\" "
                f'title="Open Document">{entry.number}</a>'
            )
        parts.append(
            f"\t\t<tr><td valign=top>{mdy(entry.filed)}</td><td valign=top NOWRAP>\n"
            f"<input type=checkbox name='d' value='{entry.seq}' onclick='sumSelected(this,0,0);'>\n{link}\n"
            f"</td><td width=90% valign=top>{text} [{case.case_number}] [Entered: {mdy(entry.entered)} "
            f"{_clock_of(entry.ts)}]</td></tr>\n"
        )
    parts.append("</table>\n</TD></TR>\n</table>\n</FORM>\n")
    return "".join(parts), "</body></html>\n"


def _clock_of(ts: float) -> str:
    return datetime.fromtimestamp(ts, CHICAGO).strftime("%I:%M %p")


_RENDERERS = {"district": _district_docket, "bankruptcy": _bankruptcy_docket, "appellate": _appellate_docket}


def synthetic_report(case: SyntheticCase, query: DocketQuery, timeline: list[Entry]) -> Report:
    """A synthetic case's docket report for ``query``, from its ``timeline`` at sandbox now."""
    entries = [e for e in timeline if query.keeps(e.filed, e.entered, e.number)]
    if query.newest_first:
        entries.reverse()
    before, after = _RENDERERS[case.kind](case, entries, query)
    description = "Docket Report" if case.kind != "appellate" else (
        "Docket Report (filtered)" if query.cuts_entries else "Docket Report (full)"
    )
    return Report(before, after, len(entries), description)


# --------------------------------------------------------------------------- case query
def case_summary(case: Case, now_ts: float) -> str:
    """iquery.pl's case summary (free page): number, name, filed/terminated/last filing dates."""
    host, cid = case.court.host, case.pacer_case_id
    lines = [f"<b>Date filed:</b> {mdy(case.date_filed)}<br>" if case.date_filed else ""]
    if case.date_terminated:
        lines.append(f"<b>Date terminated:</b> {mdy(case.date_terminated)}<br>")
    last = case.last_filing(now_ts)
    if last:
        lines.append(f"<b>Date of last filing:</b> {mdy(last)}<br>")
    links = "".join(
        f'\t\t\t&nbsp;&nbsp;&nbsp;<a href="{host}/cgi-bin/{script}?{cid}">{label}</a><br>\n'
        for script, label in (("qryAlias.pl", "Alias"), ("qryAscCases.pl", "Associated Cases"),
                              ("qryAttorneys.pl", "Attorney"), ("DktRpt.pl", "Docket Report ..."),
                              ("HistDocQry.pl", "History/Documents..."), ("qryParties.pl", "Party"))
    )
    return (
        pages.page_head(f"CM/ECF - Case Summary for {case.case_number}", case.court.kind)
        + f'<center><b><font size="+1">{escape(case.docket_number)}</font></b> {escape(case.case_name)}<br>'
        + "".join(lines)
        + "\n</center><br>\n<table><tbody><tr><td>\n<font size=\"+1\"><strong>Query</strong></font><br>\n"
        + '<table vspace="0" cellspacing="10" hspace="10" cellpadding="0" align="left" valign="top">'
        + f'<tbody><tr align="left" valign="top"><td align="top">\n{links}</td></tr></tbody></table>\n'
        + "</td></tr></tbody></table>"
        + pages.PAGE_END
    )


# --------------------------------------------------------------------------- possible case numbers
def _pcn_number(case_number: str) -> str:
    """``3:12-cv-03879`` -> ``3:12-cv-3879`` (the XML drops the leading zeros)."""
    head, _, tail = case_number.rpartition("-")
    return f"{head}-{int(tail)}" if tail.isdigit() and head else case_number


def _sortable(case_number: str, docket_number: str, year: int | None) -> str:
    if year is None or ":" not in case_number:
        return docket_number
    office, _, rest = docket_number.partition(":")
    return f"{office}:{year}{rest[2:]}"


def possible_case_numbers(query: str, cases: list[Case], logged_in: bool = True) -> str:
    """possible_case_numbers.pl's XML answer."""
    number = quoteattr(query)
    if not logged_in:
        return f"<request number={number}>\n    <message text='Not logged in.  Please refresh this page.'/>\n</request>\n"
    if not cases:
        return f"<request number={number}>\n    <message text={quoteattr('Cannot find case ' + query)}/>\n</request>\n"
    rows = []
    for case in sorted(cases, key=lambda c: c.case_number):
        closed = f" (closed {mdy(case.date_terminated)})" if case.date_terminated else ""
        title = f"{case.docket_number} {case.case_name}{closed}"
        year = case.date_filed.year if case.date_filed else None
        rows.append(
            f"    <case number={quoteattr(_pcn_number(case.case_number))} id={quoteattr(case.pacer_case_id)}\n"
            f"          title={quoteattr(title)}\n"
            f"          sortable={quoteattr(_sortable(case.case_number, case.docket_number, year))}/>\n"
        )
    return f"<request number={number}>\n" + "".join(rows) + "</request>\n"


# --------------------------------------------------------------------------- RSS
def _rfc822(ts: float) -> str:
    return format_datetime(datetime.fromtimestamp(ts, timezone.utc), usegmt=True)


def rss_feed(court: Court, items: Sequence[tuple[SyntheticCase, Entry]], now_ts: float, types: str = "all") -> bytes:
    """The court's RSS 2.0 feed (ISO-8859-1), newest item first; ``types`` as its channel says."""
    if court.kind == "appellate":
        return _appellate_rss(court, items, now_ts, types)
    host = court.host
    out = [
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n\n<rss version="2.0"\n'
        '    xmlns:atom="http://www.w3.org/2005/Atom"\n xmlns:blogChannel="http://backend.userland.com/blogChannelModule"\n>\n\n<channel>\n\n'
        f'    <atom:link href="{host}/cgi-bin/rss_outside.pl" rel="self" type="application/rss+xml" />\n\n'
        f"<title>{escape(court.title)} - Recent Entries</title>\n<link>{host}</link>\n"
        f"<description>Docket entries of type: {escape(types)}</description>\n<lastBuildDate>{_rfc822(now_ts)}</lastBuildDate>\n\n"
    ]
    for case, entry in sorted(items, key=lambda item: -item[1].ts):
        short, _ = case.entry_text(entry)
        cid = case.pacer_case_id
        if entry.number is None:
            description = f"[{short}] "
        else:
            doc = case.doc_id(entry)
            description = f'[{short}] (<a href="{host}/doc1/{doc}?caseid={cid}&de_seq_num={entry.seq}" >{entry.number}</a>)'
        out.append(
            f"<item>\n<title>{escape(case.case_number + ' ' + case.case_name)}</title>\n"
            f"<link>{host}/cgi-bin/DktRpt.pl?{cid}</link>\n<description>{escape(description)}</description>\n"
            f'<guid isPermaLink="true">{escape(f"{host}/cgi-bin/DktRpt.pl?{cid}&{entry.seq}")}</guid>\n'
            f"<pubDate>{_rfc822(entry.ts)}</pubDate>\n</item>\n"
        )
    out.append("</channel>\n</rss>\n")
    return "".join(out).encode("latin-1", errors="xmlcharrefreplace")


def _appellate_rss(
    court: Court, items: Sequence[tuple[SyntheticCase, Entry]], now_ts: float, types: str = "all"
) -> bytes:
    circuit = CIRCUITS.get(court.court_id, court.court_id.upper())
    servlet = f"{court.host}/{court.servlet_path}"
    out = [
        "<?xml version='1.0' encoding='ISO-8859-1'?>\n\n"
        '<rss version="2.0" xmlns:blogChannel="http://backend.userland.com/blogChannelModule">\n\n<channel>\n'
        f"\t<title>United States Court of Appeals for the {circuit} Circuit - Recent Entries</title>\n"
        f"\t<link>{court.host}</link>\n\t<description>Docket entries of type: {escape(types)}</description>\n"
        f"\t<lastBuildDate>{_rfc822(now_ts)}</lastBuildDate>\n"
    ]
    for case, entry in sorted(items, key=lambda item: -item[1].ts):
        short, _ = case.entry_text(entry)
        link = f"{servlet}?servlet=DocketReportFilter.jsp&caseNum={case.case_number}"
        description = f"[{short}]"
        if entry.number is not None:
            description += f" (<a href='{court.host}/docs1/{case.doc_id(entry)}'>{entry.number}</a>)"
        out.append(
            f"<item>\n\t<title>{escape(case.case_number + ' ' + case.case_name)}</title>\n\t<link>{escape(link)}</link>\n"
            f"\t<description>{escape(description)}</description>\n"
            f'\t<guid isPermaLink="true">{escape(link)}&amp;partId={entry.seq}</guid>\n'
            f"\t<pubDate>{_rfc822(entry.ts)}</pubDate>\n\n</item>\n"
        )
    out.append("</channel>\n</rss>\n")
    return "".join(out).encode("latin-1", errors="xmlcharrefreplace")


def empty_feed(court: Court, now_ts: float) -> bytes:
    """A court without synthetic cases or a bundled feed: a valid feed with no items."""
    return rss_feed(court, [], now_ts)

