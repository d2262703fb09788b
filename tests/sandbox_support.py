"""Helpers for the sandbox tests: a small verifying TLS client and page probes.

Requests go over real TLS sockets (http.client with a context that trusts the
sandbox CA), the way a harvester talks to PACER.
"""

from __future__ import annotations

import http.client
import json
import re
import ssl
import uuid
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

import lxml.html

START = "2026-03-03T19:00:00"  # a fixed sandbox start: Tuesday 19:00 CST


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("latin-1")

    def json(self):
        return json.loads(self.body)


class Client:
    """One keep-alive HTTPS connection to a sandbox, trusting its CA."""

    def __init__(self, config: dict, timeout: float = 30.0, context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self.context = context or ssl.create_default_context(cafile=config["ca_bundle"])
        self.timeout = timeout
        self.token: str | None = None
        self._conn: http.client.HTTPSConnection | None = None

    def _connection(self) -> http.client.HTTPSConnection:
        if self._conn is None:
            self._conn = http.client.HTTPSConnection(
                self.config["host"], self.config["port"], context=self.context, timeout=self.timeout
            )
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, url: str, body: bytes | None = None, headers: dict | None = None) -> Reply:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = dict(headers or {})
        if self.token and "Cookie" not in headers:
            headers["Cookie"] = f"NextGenCSO={self.token}"
        conn = self._connection()
        try:
            conn.request(method, target, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except Exception:
            self.close()
            raise
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)

    def get(self, url: str, **kw) -> Reply:
        return self.request("GET", url, **kw)

    def post_json(self, url: str, payload: dict) -> Reply:
        return self.request("POST", url, json.dumps(payload).encode(), {"Content-Type": "application/json"})

    def login(self, login_id: str = "sandbox", password: str = "sandbox-password", **extra) -> dict:
        reply = self.post_json(self.config["login_url"], {"loginId": login_id, "password": password, **extra}).json()
        if reply.get("loginResult") == "0":
            self.token = reply["nextGenCSO"]
        return reply

    def court_url(self, court: str, rest: str) -> str:
        return self.config["court_url_template"].format(court=court) + rest

    def docket(self, court: str, fields: dict, headers: dict | None = None) -> Reply:
        body, ctype = multipart(fields)
        return self.request(
            "POST", self.court_url(court, "cgi-bin/DktRpt.pl?1-L_1_0-1"), body, {"Content-Type": ctype, **(headers or {})}
        )

    def admin(self, name: str, payload: dict | None = None) -> Reply:
        url = self.config["admin_url"] + name
        return self.post_json(url, payload) if payload is not None else self.get(url)


def multipart(fields: dict) -> tuple[bytes, str]:
    """A multipart/form-data body, as CM/ECF forms send it."""
    boundary = "----sandboxtest" + uuid.uuid4().hex
    body = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()
    ) + f"--{boundary}--\r\n"
    return body.encode(), f"multipart/form-data; boundary={boundary}"


def report_fields(case: dict, **extra) -> dict:
    """A docket report form for a case: everything, with parties, unless overridden."""
    fields = {
        "all_case_ids": case["pacer_case_id"],
        "case_num": case["case_number"],
        "date_range_type": "Filed",
        "date_from": "1/1/1960",
        "date_to": "",
        "documents_numbered_from_": "",
        "documents_numbered_to_": "",
        "list_of_parties_and_counsel": "on",
        "terminated_parties": "on",
        "output_format": "html",
        "sort1": "oldest date first",
    }
    fields.update(extra)
    return {k: v for k, v in fields.items() if v is not None}


@dataclass
class Row:
    filed: date
    entered: date
    number: int | None


_MDY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def _date(text: str) -> date | None:
    m = _MDY.search(text)
    return date(int(m.group(3)), int(m.group(1)), int(m.group(2))) if m else None


def entry_rows(page: bytes) -> list[Row]:
    """The docket-entry rows of a district or bankruptcy report (test-side reading)."""
    doc = lxml.html.document_fromstring(page)
    for table in doc.iter("table"):
        rows = table.xpath("./tr|./tbody/tr")
        if not rows:
            continue
        head = [" ".join(c.text_content().split()) for c in rows[0].xpath("./td|./th")]
        if len(head) >= 2 and "Date" in head[0] and "Docket Text" in head[-1]:
            out = []
            for row in rows[1:]:
                cells = row.xpath("./td")
                filed = _date(cells[0].text_content())
                entered_m = re.search(r"Entered:\s*(\d{1,2}/\d{1,2}/\d{4})", cells[-1].text_content())
                numbers = [re.search(r"\d+", c.text_content()) for c in cells[1:-1]]
                number = next((int(m.group()) for m in numbers if m), None)
                out.append(Row(filed, _date(entered_m.group(1)) if entered_m else filed, number))
            return out
    return []


def receipt_size(page: bytes) -> int:
    """Bytes of the Transaction Receipt block the sandbox appends."""
    start = page.rfind(b"<HR><CENTER><TABLE BORDER=1 BGCOLOR=white")
    end = page.find(b"</TABLE></CENTER></HR>", start) + len(b"</TABLE></CENTER></HR>")
    assert start >= 0 and end > start, "no receipt found"
    return end - start
