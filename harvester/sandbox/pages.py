"""CM/ECF's own fixed pages: page chrome, error answers, login pages, the receipt.

Texts and markup follow real pages of the corpus (``dockets/not_dockets``,
``authentication_samples``, receipts at the foot of real dockets), so that a
harvester that recognises the real pages recognises these.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from html import escape

_DISTRICT_HEAD = (
    "<html><head><title>{title}</title>\n"
    '<script type="text/javascript">if (top!=self) {{top.location.replace(location.href);}}</script>'
    '<link rel="stylesheet" type="text/css" href="/css/default.css">'
    '<script type="text/javascript" src="/lib/core.js"></script>'
    '<link rel="stylesheet" type="text/css" href="/css/print.css" media="print">'
    '<script type="text/javascript" src="/cgi-bin/menu.pl?id=-1"></script></head>'
    "<body BGCOLOR={bgcolor} TEXT=000000 >"
    '<div class="noprint"><div id="topmenu" class="yuimenubar"><div class="bd">'
    '<img src="/graphics/cmecf-logo.gif" class="cmecfLogo" id="cmecfLogo" alt="CM/ECF" title="" />'
    '<ul class="first-of-type">'
    '<li class="yuimenubaritem" style="width:11%"><a class="yuimenubaritemlabel" href="/cgi-bin/iquery.pl"><u>Q</u>uery</a></li>'
    '<li class="yuimenubaritem" style="width:11%"><a class="yuimenubaritemlabel" href="/cgi-bin/DisplayMenu.pl?Reports"><u>R</u>eports</a></li>'
    '<li class="yuimenubaritem" style="width:11%"><a class="yuimenubaritemlabel" href="/cgi-bin/DisplayMenu.pl?Utilities"><u>U</u>tilities</a></li>'
    '<li class="yuimenubaritem" style="width:11%"><a class="yuimenubaritemlabel" href="/cgi-bin/login.pl?logout"><u>L</u>ogout</a></li>'
    "</ul></div></div></div>"
    '<script type="text/javascript">if (navigator.appVersion.indexOf("MSIE")==-1)'
    "{{window.setTimeout(CMECF.MainMenu.createMenu, 0);}}else"
    '{{CMECF.util.Event.addListener(window, "load", CMECF.MainMenu.createMenu);}}</script>'
    '<div id="cmecfMainContent"><input type="hidden" id="cmecfMainContentScroll" value="0">\n'
)
PAGE_END = "</div></body></html>\n"

_BGCOLOR = {"district": "F9F9F9", "bankruptcy": "FFFFF0", "appellate": "FFFFFF"}


def page_head(title: str, kind: str = "district") -> str:
    """The CM/ECF page start up to the main content division (logged-in menu)."""
    return _DISTRICT_HEAD.format(title=escape(title), bgcolor=_BGCOLOR.get(kind, "F9F9F9"))


def message_page(title: str, message_html: str, kind: str = "district") -> str:
    """A CM/ECF answer that is a message and a Back button, like the real error pages."""
    return (
        page_head(title, kind)
        + f"    {message_html}\n"
        + '    <p><input type="button" value="Back" onclick="history.back()"></p>'
        + PAGE_END
    )


def case_not_found(title: str, kind: str) -> str:
    """Unknown case number or id (real text: ``not_dockets/ned_43267.html``)."""
    return message_page(
        title,
        '<h3>Case not found.</h3>\n    <script language="JavaScript">document.cookie = '
        '"CASE_NUM=; path=/cgi-bin/; expires=Thu, 01-Jan-1970 00:00:01 GMT";</script>',
        kind,
    )


def start_after_end(title: str, kind: str) -> str:
    """date_from after date_to (real text: ``not_dockets/cacd_628915.html``)."""
    return message_page(title, "<h3>The start date must be less than or equal to the end date</h3>", kind)


def first_doc_after_last(title: str, kind: str) -> str:
    """documents_numbered_from_ above _to_ (real text: ``not_dockets/paed_457890.html``)."""
    return message_page(
        title,
        "<h3>The starting document number must be less than or equal to the ending document number</h3>",
        kind,
    )


def invalid_field(title: str, kind: str, field: str, value: str) -> str:
    """A date or number field CM/ECF cannot read."""
    return message_page(title, f"<h3>Invalid {escape(field)}: {escape(value)}</h3>", kind)


def no_documents(title: str, kind: str) -> str:
    """A case without entries (real text: ``not_dockets/vaed_357297_1.html``)."""
    return message_page(title, "<b>Error: There are no documents in this case.</b>", kind)


def none_satisfy(docket_number: str) -> str:
    """Replaces the entries table when filters exclude every entry (``bankruptcy/deb_13``)."""
    return (
        f"<h2 align=center><BR><b>There are proceedings for case {escape(docket_number)} "
        "but none satisfy the selection criteria.</b><BR><BR></h2>"
    )


def big_docket(title: str, kind: str, today: date) -> str:
    """The "may take a long time" interstitial (real page: ``not_dockets/cod_147282.html``)."""
    options = [
        (today - timedelta(days=7), "for the past week"),
        (today - timedelta(days=90), "for the past 90 days"),
        (today - timedelta(days=365), "for the past year"),
    ]
    radios = "".join(
        f'<input name="date_from" type="radio" value="{d:%m/%d/%Y}"{" checked" if i == 0 else ""}> {label}<br>\n'
        for i, (d, label) in enumerate(options)
    )
    body = (
        '<form enctype="multipart/form-data" method="POST" action="../cgi-bin/DktRpt.pl?115989061225824-L_1_1-1">\n'
        '<font face="arial,helvetica" color="#0000cc" size="4"><b>Docket Sheet</b></font>\n'
        "<p>The report may take a long time to run because this case has many docket entries. "
        "You can go back and modify the selection criteria or select one of the following options.</p>\n"
        f"<p>Include docket entries:<br>\n{radios}"
        '<input name="date_from" type="radio" value=""> as initially requested<br>\n</p>\n'
        '<table><tbody><tr><td><input name="button1" value="Run Report" type="button" onclick="ProcessForm()"></td>'
        '<td></td><td></td><td><input name="reset" type="RESET" value="Clear"></td></tr></tbody></table>\n'
        "</form>\n"
    )
    return page_head(title, kind) + body + PAGE_END


def please_log_in(template: str, court_id: str) -> str:
    """The district "please log in" page (``authentication_samples/please_log_in.html``) for a court."""
    return template.replace("ecf.cand.uscourts.gov", f"ecf.{court_id}.uscourts.gov").replace(
        "CAND-ECF", f"{court_id.upper()}-ECF"
    )


def appellate_login(court_id: str) -> str:
    """What an appellate court answers without a valid session: the way to PACER's login.

    NextGen appellate courts send the browser to the central PACER login page;
    unlike a logged-in appellate page it has no ``InvalidUserLogin.jsp`` logout link.
    """
    back = f"https://ecf.{court_id}.uscourts.gov/n/beam/servlet/TransportRoom"
    login = f"https://pacer.login.uscourts.gov/csologin/login.jsf?appurl={back}"
    return (
        "<html><head><title>PACER Login</title>\n"
        f'<script type="text/javascript">location.href = "{login}";</script></head><body>\n'
        f'<form id="loginForm" name="loginForm" method="post" action="{login}">\n'
        "<b>Your session has ended or you are not logged in.</b> Log in to PACER to continue.<br>\n"
        '<input type="text" name="loginForm:loginName"> <input type="password" name="loginForm:password"> '
        '<input type="submit" value="Login">\n</form></body></html>\n'
    )


def appellate_not_found(court_id: str, case_num: str) -> str:
    """An appellate court's answer to an unknown case number."""
    return (
        f"<html><head><title>{escape(case_num)} Docket</title></head><body>\n"
        f"<b>Case number {escape(case_num)} is not a valid case number in the {court_id.upper()} court.</b>\n"
        f'<a href="https://ecf.{court_id}.uscourts.gov/n/beam/servlet/TransportRoom?servlet=InvalidUserLogin.jsp&amp;logout=y">Logout</a>\n'
        "</body></html>\n"
    )


def blocked_page(court_id: str) -> str:
    """A 403 answer, as from the court's web front end."""
    return (
        "<html><head><title>403 Forbidden</title></head><body><h1>Access Denied</h1>\n"
        f"<p>You don't have permission to access this resource on ecf.{court_id}.uscourts.gov. "
        "Access from your account or address has been suspended for excessive use.</p></body></html>\n"
    )


def server_error_page(status: int) -> str:
    """A 5xx answer from the court's web server."""
    return (
        f"<html><head><title>{status} Service Unavailable</title></head><body>"
        f"<h1>Service Unavailable</h1><p>The server is temporarily unable to service your request "
        f"({status}). Please try again later.</p></body></html>\n"
    )


def receipt(
    now: datetime, login: str, client_code: str, description: str, criteria: str, pages: int, cost: str
) -> str:
    """The Transaction Receipt table that ends every billable report."""
    cell = "<FONT SIZE=-1 COLOR=DARKBLUE> {} </FONT>"

    def row(label1: str, value1: str, label2: str, value2: str) -> str:
        return (
            f"<TR><TH ALIGN=LEFT>{cell.format(label1)}</TH><TD ALIGN=LEFT>{cell.format(value1)}</TD>"
            f"<TH ALIGN=LEFT>{cell.format(label2)}</TH><TD ALIGN=LEFT>{cell.format(value2)}</TD></TR>"
        )

    return (
        '<HR><CENTER><TABLE BORDER=1 BGCOLOR=white width="400">'
        "<TR><TH COLSPAN=4><FONT SIZE=+1 COLOR=DARKRED>PACER Service Center </FONT></TH></TR>"
        "<TR><TH COLSPAN=4><FONT COLOR=DARKBLUE>Transaction Receipt </FONT></TH></TR><TR></TR><TR></TR>"
        f"<TR><TD COLSPAN=4 ALIGN=CENTER><FONT SIZE=-1 COLOR=DARKBLUE>{now:%m/%d/%Y %H:%M:%S}</FONT></TD></TR>"
        + row("PACER Login:", escape(login), "Client Code:", escape(client_code))
        + row("Description:", escape(description), "Search Criteria:", escape(criteria))
        + row("Billable Pages:", str(pages), "Cost:", cost)
        + "<TR></TR><TR></TR></TABLE></CENTER></HR>"
    )
