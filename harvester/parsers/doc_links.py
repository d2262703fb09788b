"""Document links of CM/ECF pages: ``/doc1/`` ids and the ``goDLS(...)`` call beside them.

A district or bankruptcy document link looks like
``<a href="/doc1/0231682779" onClick="goDLS('/doc1/0231682779','410','560',...)">``:
the href's last segment is the document id, and goDLS's second and third
arguments are the case id and the docket entry's sequence number. Appellate
links (``/docs1/00117463322``) carry the id the same way.
"""

from __future__ import annotations

import re

from lxml import etree

__all__ = ["pacer_doc_id", "go_dls_args", "case_id_and_seq_no"]

_QUOTED = re.compile(r"'(.*?)'")


def pacer_doc_id(href: str | None) -> str | None:
    """The document id of a doc1/docs1 link, its fourth digit zeroed.

    The fourth digit only says whether PACER shows the attachment menu, so the
    same document appears with a 0 or a 1 there.
    """
    if not href:
        return None
    last = href.rsplit("/", 1)[-1].split("?")[0].strip()
    if not last:
        return None
    return f"{last[:3]}0{last[4:]}" if len(last) > 3 else last


def go_dls_args(onclick: str | None) -> list[str]:
    """The quoted arguments of a ``goDLS(...)`` call, or [] when there is none.

    Pages saved by a browser may spell the quotes ``&#39;``; lxml has decoded
    them by the time an attribute is read.
    """
    if not onclick or "goDLS" not in onclick:
        return []
    return _QUOTED.findall(onclick[onclick.index("goDLS") :])


def case_id_and_seq_no(anchor: etree._Element) -> tuple[str | None, str | None]:
    """(pacer_case_id, pacer_seq_no) from a link's goDLS call; None for what is absent."""
    args = go_dls_args(anchor.get("onclick") or anchor.get("onClick"))
    case_id = args[1] if len(args) > 1 and args[1] else None
    seq_no = args[2] if len(args) > 2 and args[2] else None
    return case_id, seq_no
