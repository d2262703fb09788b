"""Which court a page belongs to, read from the page itself.

CM/ECF hosts are ``ecf.<court>.uscourts.gov`` (``ecf.ohndad.ohnd.uscourts.gov``
for one special database), so links, form actions and style sheets in a page
name its court. Bankruptcy court ids end in ``b``; appellate ones are ``ca1`` to
``ca11``, ``cadc``, ``cafc``, ``cavc`` and the bankruptcy appellate panels.
"""

from __future__ import annotations

import re
from collections import Counter

__all__ = [
    "KNOWN_COURTS",
    "court_from_url",
    "court_from_text",
    "court_from_title",
    "is_appellate",
    "is_bankruptcy",
]

# CM/ECF court ids (the host labels of the PACER court lookup's login URLs).
KNOWN_COURTS = frozenset(
    """akb akd almb almd alnb alnd alsb alsd areb ared arwb arwd azb azd bap1 bap10 bap9
    ca1 ca10 ca11 ca2 ca3 ca4 ca5 ca6 ca7 ca8 ca9 cacb cacd cadc caeb caed cafc canb cand
    casb casd cavc cit cob cod cofc ctb ctd dcb dcd deb ded flmb flmd flnb flnd flsb flsd
    gamb gamd ganb gand gasb gasd gub gud hib hid ianb iand iasb iasd idb idd ilcb ilcd ilnb
    ilnd ilsb ilsd innb innd insb insd jpml ksb ksd kyeb kyed kywb kywd laeb laed lamb lamd
    lawb lawd mab mad mdb mdd meb med mieb mied miwb miwd mnb mnd moeb moed mowb mowd msnb
    msnd mssb mssd mtb mtd nceb nced ncmb ncmd ncwb ncwd ndb ndd neb ned nhb nhd njb njd nmb
    nmd nmib nmid nvb nvd nyeb nyed nynb nynd nysb nysd nywb nywd ohnb ohnd ohndad ohsb ohsd
    okeb oked oknb oknd okwb okwd orb ord paeb paed pamb pamd pawb pawd prb prd rib rid scb
    scd sdb sdd tneb tned tnmb tnmd tnwb tnwd txeb txed txnb txnd txsb txsd txwb txwd utb utd
    vaeb vaed vawb vawd vib vid vtb vtd waeb waed wawb wawd wieb wied wiwb wiwd wvnb wvnd
    wvsb wvsd wyb wyd""".split()
)
_STATES = {
    "alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca",
    "colorado": "co", "connecticut": "ct", "delaware": "de", "district of columbia": "dc",
    "columbia": "dc", "florida": "fl", "georgia": "ga", "guam": "gu", "hawaii": "hi",
    "idaho": "id", "illinois": "il", "indiana": "in", "iowa": "ia", "kansas": "ks",
    "kentucky": "ky", "louisiana": "la", "maine": "me", "maryland": "md",
    "massachusetts": "ma", "michigan": "mi", "minnesota": "mn", "mississippi": "ms",
    "missouri": "mo", "montana": "mt", "nebraska": "ne", "nevada": "nv",
    "new hampshire": "nh", "new jersey": "nj", "new mexico": "nm", "new york": "ny",
    "north carolina": "nc", "north dakota": "nd", "northern mariana islands": "nmi",
    "ohio": "oh", "oklahoma": "ok", "oregon": "or", "pennsylvania": "pa",
    "puerto rico": "pr", "rhode island": "ri", "south carolina": "sc",
    "south dakota": "sd", "tennessee": "tn", "texas": "tx", "utah": "ut", "vermont": "vt",
    "virgin islands": "vi", "virginia": "va", "washington": "wa", "west virginia": "wv",
    "wisconsin": "wi", "wyoming": "wy",
}  # fmt: skip
_STATE_NAMES = "|".join(sorted(_STATES, key=len, reverse=True))
_REGION = r"(Northern|Southern|Eastern|Western|Middle|Central)"
_REGION_OF_STATE = re.compile(rf"(?i)\b{_REGION}\s+District\s+of\s+({_STATE_NAMES})\b")
_STATE_REGION = re.compile(rf"(?i)\b({_STATE_NAMES})\s+{_REGION}\b")
_DISTRICT_OF_STATE = re.compile(rf"(?i)\bDistrict\s+of\s+(?:the\s+)?({_STATE_NAMES})\b")
_TITLE = re.compile(r"(?is)<title>(.*?)</title>")

# (Strings, compiled by re when first used: the docket parser reads hosts and court
# kinds its own way, and these would be compiled at every start for nothing.)
_ECF_HOST = r"(?i)\bhttps?://(?:ecf|pacer|dcecf)\.([a-z0-9]+)(?:\.[a-z0-9]+)?\.uscourts\.gov"
_APPELLATE = r"^(?:ca\d{1,2}|cadc|cafc|cavc|bap\d{1,2})$"


def court_from_url(url: str) -> str | None:
    """Court id named by a CM/ECF URL's host, e.g. ``cand`` for ecf.cand.uscourts.gov."""
    m = re.search(_ECF_HOST, url)
    return m.group(1).lower() if m else None


def court_from_text(text: str) -> str | None:
    """The court whose CM/ECF host the page links to most often, if any."""
    hosts = Counter(
        m.group(1).lower() for m in re.finditer(_ECF_HOST, text) if m.group(1).lower() != "login"
    )
    if not hosts:
        return None
    return hosts.most_common(1)[0][0]


def _court_id(state: str, region: str, bankruptcy: bool) -> str | None:
    court = _STATES[state.lower()] + region[:1].lower() + ("b" if bankruptcy else "d")
    return court if court in KNOWN_COURTS else None


def court_from_title(text: str, bankruptcy: bool = False) -> str | None:
    """Court named by a page's <title>: a court id ("CANB Live Database", "U.S.
    District Court:txed") or a district's name ("Middle District of Florida")."""
    m = _TITLE.search(text)
    if not m:
        return None
    title = " ".join(m.group(1).split())
    words = re.findall(r"[A-Za-z0-9]+", title)
    for i, word in enumerate(words):
        lowered = word.lower()
        if len(lowered) >= 3 and lowered in KNOWN_COURTS:
            return lowered
        following = words[i + 1].lower() if i + 1 < len(words) else ""
        # "ALS District", "NYS Bankruptcy": a court prefix and the court's kind.
        if following in ("district", "bankruptcy") and lowered + following[0] in KNOWN_COURTS:
            return lowered + following[0]
    bankruptcy = bankruptcy or "bankruptcy" in title.lower()
    m = _REGION_OF_STATE.search(title)
    if m:
        return _court_id(m.group(2), m.group(1), bankruptcy)
    m = _STATE_REGION.search(title)
    if m:
        return _court_id(m.group(1), m.group(2), bankruptcy)
    m = _DISTRICT_OF_STATE.search(title)
    if m:
        return _court_id(m.group(1), "", bankruptcy)
    return None


def is_appellate(court_id: str | None) -> bool:
    """Whether ``court_id`` is a court of appeals or a bankruptcy appellate panel."""
    if not court_id:
        return False
    return bool(re.match(_APPELLATE, court_id))


def is_bankruptcy(court_id: str | None) -> bool:
    """Whether ``court_id`` is a bankruptcy court (ids end in ``b``)."""
    if not court_id:
        return False
    return court_id.endswith("b") and not is_appellate(court_id)
