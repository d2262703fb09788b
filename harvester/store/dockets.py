"""Write parsed dockets into the harvest database: case, parties, attorneys, entries, raw page.

Records come from the parsers in the field names of the reference parses (see
``docs`` and ``harvester/store/migrations.py`` for the tables). Each public writer runs
in :func:`harvester.store.connection.write_transaction`: a docket's case row, parties,
attorneys, entries and raw page land together or not at all, and a busy database
is waited for (bounded) instead of failing at once.

Merging rules of :func:`store_docket`:

- fields present in the record overwrite the case's; absent fields are kept, and so
  is a stored value the report only has a placeholder for (a case name of
  "Unknown Case Title" from a report without its party block) or, in a partial
  (incremental) report, an empty one;
- a changed judge (assigned or referred), termination date or case name is logged in
  ``case_changes``; an entry whose text, dates or document number a clerk edited
  keeps its earlier version in ``entry_versions`` with when each was seen;
- entries are upserted by a natural key (:func:`entry_keys`), never deleted, so a
  re-run or an overlapping incremental report adds nothing twice;
- parties are upserted by (name, type, occurrence) and never deleted; a report
  without parties (an incremental one) leaves them alone; a party that is in the
  report gets its attorney list from the report.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from harvester.store.connection import inserted_id, utc_timestamp, write_transaction
from harvester.store.fields import KINDS, as_json, as_text, case_kind, court_key
from harvester.store.judges import JUDGE_FIELDS, sync_case_judges
from harvester.store.raw_pages import insert_raw, prepare_raw

# Case fields with a column of their own; any other field of a record goes to `extra`.
CASE_COLUMNS = (
    "docket_number", "case_name", "assigned_to_str", "referred_to_str", "cause",
    "nature_of_suit", "jury_demand", "demand", "jurisdiction", "date_filed",
    "date_terminated", "date_converted", "date_discharged", "mdl_status", "ordered_by",
    "federal_defendant_number", "federal_dn_case_type", "federal_dn_judge_initials_assigned",
    "federal_dn_judge_initials_referred", "federal_dn_office_code", "appeal_from",
    "case_type_information", "fee_status",
)  # fmt: skip
CASE_JSON_COLUMNS = ("panel", "originating_court_information")
# Keys of a parse that are not case data (or are stored elsewhere).
NOT_CASE_FIELDS = {"court_id", "pacer_case_id", "kind", "source", "parties", "docket_entries"}
ENTRY_COLUMNS = ("date_filed", "date_entered", "document_number", "pacer_doc_id", "pacer_seq_no", "description")
PARTY_COLUMNS = ("extra_info", "date_terminated")
# What parsers put where a report had no value to read: never worth more than a stored value.
PLACEHOLDERS = {"case_name": {"Unknown Case Title", "Unknown Case Title."}}
# Case fields whose changes researchers follow night by night (view ``changes``).
TRACKED_CASE_FIELDS = ("assigned_to_str", "referred_to_str", "date_terminated", "case_name")
PARTY_JSON_COLUMNS = ("criminal_data",)


@dataclass(frozen=True)
class StoreResult:
    """What :func:`store_docket` changed."""

    case_id: int
    created: bool
    entries_added: int
    entries_updated: int
    parties_added: int
    raw_page_id: int | None


_SPACE = re.compile(r"\s+")


def _entry_base_key(entry: Mapping[str, Any]) -> str:
    number = (as_text(entry.get("document_number")) or "").strip()
    entered = as_text(entry.get("date_entered")) or ""
    if number:
        # The number and the day it was entered stay put when a clerk edits the text.
        return f"n:{number}|{entered}"
    # Unnumbered (minute) entries have nothing stable but their date and text.
    filed = as_text(entry.get("date_filed")) or ""
    text = _SPACE.sub(" ", as_text(entry.get("description")) or "").strip()
    digest = hashlib.sha1(f"{filed}|{entered}|{text}".encode()).hexdigest()[:16]
    return f"u:{filed}|{entered}|{digest}"


def entry_keys(entries: Sequence[Mapping[str, Any]]) -> list[str]:
    """Natural keys of docket entries, unique within one report.

    A numbered entry is ``n:<number>|<date entered>``; an unnumbered one is
    ``u:<date filed>|<date entered>|<hash of its text>``. Real dockets repeat a
    number (a sealed twin, an old clerk's re-use), so the k-th repeat of a key in
    one report gets ``#k``. Every report that shows one entry of such a group
    shows the whole group (same number, same dates), so repeats number the same
    way in a full and an incremental report.
    """
    seen: Counter[str] = Counter()
    keys = []
    for entry in entries:
        base = _entry_base_key(entry)
        keys.append(base if not seen[base] else f"{base}#{seen[base]}")
        seen[base] += 1
    return keys


_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_LABEL = re.compile(r"^[A-Za-z .]{1,24}:")
_NOT_FIRMS = {"PRO SE", "UNKNOWN", "RETAINED"}


def attorney_email(contact: str) -> str | None:
    """The first e-mail address in an attorney's contact block, lower-cased."""
    m = _EMAIL.search(contact or "")
    return m.group(0).lower() if m else None


def attorney_firm(contact: str) -> str | None:
    """A best guess at the firm: the first contact line with no digit, label or e-mail.

    Street lines, phone lines and ``Email:``/``Fax:`` lines carry digits or a label;
    the line before them is usually the firm or office. ``(See above for address)``
    and similar notes are skipped. A heuristic: good for grouping, not a fact.
    """
    for raw_line in (contact or "").splitlines():
        line = raw_line.strip()
        if not line or line.startswith("(") or "@" in line or _LABEL.match(line):
            continue
        if any(ch.isdigit() for ch in line) or line.upper() in _NOT_FIRMS:
            continue
        return line
    return None


@dataclass
class _Party:
    name: str
    type: str
    occurrence: int
    columns: tuple
    attorneys: list[tuple[str, str, str | None]] | None  # (name, contact, roles JSON); None: not in the report


@dataclass
class _Docket:
    fields: dict[str, Any]  # case columns present in the record
    extra: dict[str, Any]
    parties: list[_Party]
    entries: list[tuple]  # (entry_key, date_filed, ..., description, extra JSON)


def _prepare_docket(record: Mapping[str, Any]) -> _Docket:
    if not isinstance(record, Mapping) or not record:
        raise ValueError("a docket record must be a non-empty mapping")
    fields, extra = {}, {}
    for key, value in record.items():
        if key in NOT_CASE_FIELDS:
            continue
        if key in CASE_COLUMNS:
            fields[key] = as_text(value)
        elif key in CASE_JSON_COLUMNS:
            fields[key] = as_json(value)
        else:
            extra[key] = value
    entries = list(record.get("docket_entries") or [])
    rows = []
    for key, entry in zip(entry_keys(entries), entries, strict=True):  # one key per entry
        others = {k: v for k, v in entry.items() if k not in ENTRY_COLUMNS}
        rows.append((key, *(as_text(entry.get(c)) for c in ENTRY_COLUMNS), as_json(others) if others else None))
    return _Docket(fields, extra, _prepare_parties(record.get("parties") or []), rows)


def _prepare_parties(parties: Iterable[Mapping[str, Any]]) -> list[_Party]:
    seen: Counter[tuple[str, str]] = Counter()
    prepared = []
    for party in parties:
        name, ptype = as_text(party.get("name")) or "", as_text(party.get("type")) or ""
        occurrence = seen[name, ptype]
        seen[name, ptype] += 1
        others = {
            k: v
            for k, v in party.items()
            if k not in ("name", "type", "attorneys", *PARTY_COLUMNS, *PARTY_JSON_COLUMNS)
        }
        columns = (
            *(as_text(party.get(c)) for c in PARTY_COLUMNS),
            *(as_json(party.get(c)) for c in PARTY_JSON_COLUMNS),
            as_json(others) if others else None,
        )
        attorneys = None
        if "attorneys" in party:
            attorneys = [
                (as_text(a.get("name")) or "", as_text(a.get("contact")) or "", as_json(list(a.get("roles") or [])))
                for a in party.get("attorneys") or []
            ]
        prepared.append(_Party(name, ptype, occurrence, columns, attorneys))
    return prepared


def store_docket(
    db: Database,
    court_id: str,
    pacer_case_id: str | int,
    record: Mapping[str, Any],
    *,
    kind: str | None = None,
    raw: bytes | None = None,
    url: str | None = None,
    fetched_at: datetime | str | None = None,
    run_id: int | None = None,
    incremental: bool = False,
    report_size_bytes: int | None = None,
    with_parties: bool | None = None,
) -> StoreResult:
    """Store one parsed docket (case, parties, attorneys, entries, raw page) in ONE transaction.

    ``record`` is a docket parse (district, bankruptcy or appellate shape).
    ``kind`` defaults to what the court id says. ``raw`` is the page as fetched:
    it is archived (login stripped) and its size recorded as the report size.
    ``incremental=True`` marks a partial report (date or number range): it does
    not replace the known size of the full report. ``with_parties``: whether the
    report was asked with its party list (default: a whole report, or one that holds
    parties); it dates ``parties_harvested_at``. Merging rules: module doc.
    """
    court = court_key(court_id)
    case_key = str(pacer_case_id).strip()
    if not case_key:
        raise ValueError("pacer_case_id is required")
    kind = kind or case_kind(court)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    docket = _prepare_docket(record)
    page = prepare_raw(raw) if raw is not None else None
    size = report_size_bytes if report_size_bytes is not None else (page.size if page else None)
    at = utc_timestamp(fetched_at)

    def work() -> StoreResult:
        raw_id = None
        if page is not None:
            raw_id = insert_raw(db, page, "docket", court, case_key, url, at, run_id, incremental)
        return _write_docket(db, court, case_key, kind, docket, at, run_id, incremental, size, raw_id,
                             with_parties=with_parties)  # fmt: skip

    return write_transaction(db, work)


@dataclass
class _Replay:
    """Positions handed out while :mod:`harvester.store.reparse` replays one case's pages.

    A replay rewrites rows in place (ids stay, so links into the database keep
    working) and ends up exactly where storing the same records into an empty
    case would: the first time a key comes up in the replay its row is
    overwritten whole, later pages merge as usual. Rows no page produced are
    then removed (:func:`_sweep_replay`).
    """

    entries: dict[str, int] = field(default_factory=dict)
    parties: dict[tuple[str, str, int], int] = field(default_factory=dict)


def _write_docket(
    db: Database,
    court: str,
    case_key: str,
    kind: str,
    docket: _Docket,
    at: str,
    run_id: int | None,
    incremental: bool,
    size: int | None,
    raw_id: int | None,
    replay: _Replay | None = None,
    with_parties: bool | None = None,
) -> StoreResult:
    conn = db.conn
    conn.execute("INSERT OR IGNORE INTO courts (court_id) VALUES (?)", [court])
    case_id, created = _upsert_case(db, court, case_key, kind, docket, at, incremental, run_id if replay is None else False)
    parties_added = _write_parties(db, case_id, docket.parties, replay, at) if docket.parties else 0
    before, base = conn.execute(
        "SELECT count(*), coalesce(max(position) + 1, 0) FROM docket_entries WHERE case_id = ?", [case_id]
    ).fetchone()
    if replay is None:
        _keep_versions(db, case_id, docket.entries, at, run_id)
        rows = [(case_id, row[0], base + i, *row[1:], at, run_id) for i, row in enumerate(docket.entries)]
        changed = max(conn.executemany(_UPSERT_ENTRY, rows).rowcount, 0)
    else:
        changed = _replay_entries(db, case_id, docket, at, run_id, replay)
    after = conn.execute("SELECT count(*) FROM docket_entries WHERE case_id = ?", [case_id]).fetchone()[0]
    asked_parties = (not incremental or bool(docket.parties)) if with_parties is None else with_parties
    _update_case_state(db, case_id, kind, at, incremental, size, asked_parties)
    if created or replay is not None or JUDGE_FIELDS & docket.fields.keys():  # no judge field: links unchanged
        sync_case_judges(db, [case_id])
    return StoreResult(case_id, created, after - before, changed - (after - before), parties_added, raw_id)


def _replay_entries(db: Database, case_id: int, docket: _Docket, at: str, run_id: int | None, replay: _Replay) -> int:
    base = max(replay.entries.values(), default=-1) + 1
    # Versions are rebuilt from the pages in the order they were fetched: only a key an
    # earlier page of this replay already showed can have an earlier version.
    keys = "SELECT id, entry_key FROM docket_entries WHERE case_id = ?"
    before = dict(db.conn.execute(keys, [case_id]).fetchall())
    _keep_versions(db, case_id, docket.entries, at, run_id, known=set(replay.entries))
    for entry_id, key in db.conn.execute(keys, [case_id]).fetchall():
        if before.get(entry_id, key) != key:  # renumbered: the entry keeps its place and when it was first seen
            replay.entries[key] = replay.entries.pop(before[entry_id])
    first, again = [], []
    for i, row in enumerate(docket.entries):
        key = row[0]
        if key in replay.entries:
            again.append((case_id, key, replay.entries[key], *row[1:], at, run_id))
        else:
            replay.entries[key] = base + i
            first.append((case_id, key, base + i, *row[1:], at, run_id))
    changed = db.conn.executemany(_OVERWRITE_ENTRY, first).rowcount
    return max(changed, 0) + max(db.conn.executemany(_UPSERT_ENTRY, again).rowcount, 0)


# Entry row layout of _Docket.entries: key, date_filed, date_entered, document_number,
# pacer_doc_id, pacer_seq_no, description, extra.
_VERSIONED = "id, entry_key, date_filed, date_entered, document_number, pacer_doc_id, pacer_seq_no, description," \
             " coalesce(changed_at, first_seen_at)"  # fmt: skip


def _keep_versions(
    db: Database, case_id: int, entries: list[tuple], at: str, run_id: int | None, known: set[str] | None = None,
) -> None:  # fmt: skip
    """Before a report is merged: keep the versions its entries replace, and follow renumbered entries.

    An entry is edited when the report shows its key with other text or another filing
    date. A clerk who changes a document number or the date entered changes the entry's
    natural key too; the entry is recognised by its ``de_seq_num`` (then its document
    id) and its row takes the new key, so the docket does not list it twice.
    """
    conn = db.conn
    select = f"SELECT {_VERSIONED} FROM docket_entries WHERE case_id = ? ORDER BY position"
    stored = {row[1]: row for row in conn.execute(select, [case_id]) if known is None or row[1] in known}
    incoming = {row[0] for row in entries}
    gone = [r for r in stored.values() if r[1] not in incoming]
    by_seq = {(r[6] or r[5]): r for r in gone if r[6] or r[5]}
    by_dates = _minute_entries_by_dates(r for r in gone if not (r[6] or r[5]) and r[1].startswith("u:"))
    versions, edited = [], []
    for key, filed, entered, number, doc_id, seq, text, _extra in entries:
        old = stored.get(key)
        if old is None:
            old = by_seq.pop(seq or doc_id, None) if seq or doc_id else _pop_minute_entry(by_dates, key, filed, entered)
            if old is None:
                continue
            conn.execute("UPDATE docket_entries SET entry_key = ?, date_entered = ?, document_number = ? WHERE id = ?",
                         [key, entered, number, old[0]])  # fmt: skip
            stored[key] = old
        elif old[2] == filed and old[7] == text:
            continue
        versions.append((old[0], case_id, old[1], old[2], old[3], old[4], old[5], old[7], old[8], at, run_id))
        edited.append((at, old[0]))
    conn.executemany(
        "INSERT INTO entry_versions (entry_id, case_id, entry_key, date_filed, date_entered, document_number,"
        " pacer_doc_id, description, seen_at, replaced_at, run_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        versions,
    )
    conn.executemany("UPDATE docket_entries SET changed_at = ? WHERE id = ?", edited)


def _minute_entries_by_dates(rows: Iterable[tuple]) -> dict[tuple, list[tuple]]:
    """Stored unnumbered entries a report left out, by (date filed, date entered), in docket order."""
    out: dict[tuple, list[tuple]] = {}
    for row in rows:
        out.setdefault((row[2], row[3]), []).append(row)
    return out


def _pop_minute_entry(by_dates: dict[tuple, list[tuple]], key: str, filed: Any, entered: Any) -> tuple | None:
    """The stored minute entry an unknown incoming one replaces, if any.

    A minute entry has no number or document link: its key holds its text, so an
    edit gives it a new key. A report that shows an unnumbered entry of some dates
    passed every date filter with those dates, so a stored unnumbered entry of the
    same dates that it leaves out is no longer shown as it was: the clerk edited it
    (or struck its text). The k-th such entry pairs with the k-th new one.
    """
    if not key.startswith("u:"):
        return None
    waiting = by_dates.get((filed, entered))
    return waiting.pop(0) if waiting else None


def _sweep_replay(db: Database, case_id: int, replay: _Replay) -> None:
    """Delete the case's entries and parties that no replayed page produced."""
    conn = db.conn
    stale_entries = [
        (entry_id,)
        for entry_id, key in conn.execute("SELECT id, entry_key FROM docket_entries WHERE case_id = ?", [case_id])
        if key not in replay.entries
    ]
    conn.executemany("DELETE FROM docket_entries WHERE id = ?", stale_entries)
    stale_parties = [
        (party_id,)
        for party_id, *key in conn.execute(
            "SELECT id, name, type, occurrence FROM parties WHERE case_id = ?", [case_id]
        )
        if tuple(key) not in replay.parties
    ]
    conn.executemany("DELETE FROM parties WHERE id = ?", stale_parties)


_ENTRY_INSERT = """
INSERT INTO docket_entries (case_id, entry_key, position, date_filed, date_entered, document_number,
                            pacer_doc_id, pacer_seq_no, description, extra, first_seen_at, run_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (case_id, entry_key) DO UPDATE SET"""

# A re-seen entry: new text wins, a value the new report lacks is kept. The WHERE
# skips unchanged rows, so re-runs write (and re-index) nothing.
_UPSERT_ENTRY = (
    _ENTRY_INSERT
    + """
    date_filed = excluded.date_filed,
    description = excluded.description,
    pacer_doc_id = coalesce(excluded.pacer_doc_id, pacer_doc_id),
    pacer_seq_no = coalesce(excluded.pacer_seq_no, pacer_seq_no),
    extra = coalesce(excluded.extra, extra)
WHERE excluded.date_filed IS NOT date_filed
   OR excluded.description IS NOT description
   OR coalesce(excluded.pacer_doc_id, pacer_doc_id) IS NOT pacer_doc_id
   OR coalesce(excluded.pacer_seq_no, pacer_seq_no) IS NOT pacer_seq_no
   OR coalesce(excluded.extra, extra) IS NOT extra
"""
)

# Replay: the first page of a replay that shows an entry sets it whole.
_OVERWRITE_COLUMNS = ("position", "date_filed", "date_entered", "document_number", "pacer_doc_id", "pacer_seq_no",
                      "description", "extra", "first_seen_at", "run_id")  # fmt: skip
_OVERWRITE_ENTRY = (
    _ENTRY_INSERT
    + ", ".join(f" {c} = excluded.{c}" for c in _OVERWRITE_COLUMNS)
    + " WHERE "
    + " OR ".join(f"{c} IS NOT excluded.{c}" for c in _OVERWRITE_COLUMNS)
)


def _upsert_case(
    db: Database, court: str, case_key: str, kind: str, docket: _Docket, at: str, incremental: bool = False,
    run_id: int | None | bool = None,
) -> tuple[int, bool]:  # fmt: skip
    """Insert or merge the case row. ``run_id=False``: a replay, whose changes are not logged again."""
    conn = db.conn
    row = conn.execute(
        f"SELECT id, extra, {', '.join(CASE_COLUMNS)} FROM cases WHERE court_id = ? AND pacer_case_id = ?",
        [court, case_key],
    ).fetchone()
    if row is None:
        columns = ["court_id", "pacer_case_id", "kind", "first_harvested_at", "last_harvested_at",
                   *docket.fields, "extra"]  # fmt: skip
        values = [court, case_key, kind, at, at, *docket.fields.values(), as_json(docket.extra or None)]
        cursor = conn.execute(
            f"INSERT INTO cases ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", values
        )
        return inserted_id(cursor), True
    case_id, old_extra = row[0], row[1]
    stored = dict(zip(CASE_COLUMNS, row[2:], strict=True))  # the SELECT lists CASE_COLUMNS after id, extra
    fields = {k: v for k, v in docket.fields.items() if _overwrites(k, v, stored.get(k), incremental)}
    if run_id is not False:
        _log_case_changes(db, case_id, stored, fields, at, run_id)
    extra = {**json.loads(old_extra or "{}"), **docket.extra}
    sets = [f"{c} = ?" for c in fields]
    conn.execute(
        f"UPDATE cases SET {', '.join(['kind = ?', *sets, 'extra = ?'])},"
        " first_harvested_at = min(coalesce(first_harvested_at, ?), ?),"
        " last_harvested_at = max(coalesce(last_harvested_at, ?), ?) WHERE id = ?",
        [kind, *fields.values(), as_json(extra or None), at, at, at, at, case_id],
    )
    return case_id, False


def _overwrites(column: str, new: Any, old: Any, incremental: bool) -> bool:
    """Whether a report's value replaces the stored one: never a placeholder, never a partial report's blank."""
    if old in (None, ""):
        return True
    if new in PLACEHOLDERS.get(column, ()):
        return False
    return not (incremental and new in (None, ""))


def _log_case_changes(
    db: Database, case_id: int, stored: dict[str, Any], fields: dict[str, Any], at: str, run_id: int | None
) -> None:
    changes = [
        (case_id, column, stored.get(column) or None, fields[column] or None, at, run_id)
        for column in TRACKED_CASE_FIELDS
        if column in fields and (fields[column] or None) != (stored.get(column) or None)
        and (stored.get(column) or column == "date_terminated")  # a first value is not a change, a termination is
    ]  # fmt: skip
    db.conn.executemany(
        "INSERT INTO case_changes (case_id, field, old_value, new_value, at, run_id) VALUES (?,?,?,?,?,?)", changes
    )


def _write_parties(
    db: Database, case_id: int, parties: list[_Party], replay: _Replay | None = None, at: str | None = None
) -> int:
    conn = db.conn
    existing = {
        (name, ptype, occ): pid
        for pid, name, ptype, occ in conn.execute(
            "SELECT id, name, type, occurrence FROM parties WHERE case_id = ?", [case_id]
        )
    }
    seen_at = None if replay is not None else at  # a replay keeps when each party was first seen
    if replay is not None:
        base = max(replay.parties.values(), default=-1) + 1
    else:
        base = conn.execute(
            "SELECT coalesce(max(position) + 1, 0) FROM parties WHERE case_id = ?", [case_id]
        ).fetchone()[0]
    added = 0
    attorney_ids: dict[tuple[str, str], int] = {}
    for index, party in enumerate(parties):
        key = (party.name, party.type, party.occurrence)
        position = base + index
        if replay is not None:
            position = replay.parties.setdefault(key, position)
        party_id = existing.get(key)
        if party_id is None:
            party_id = inserted_id(conn.execute(
                "INSERT INTO parties (case_id, name, type, occurrence, position, extra_info, date_terminated,"
                " criminal_data, extra, first_seen_at, terminated_seen_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [case_id, *key, position, *party.columns, seen_at, seen_at if party.columns[1] else None],
            ))
            added += 1
        else:
            # Outside a replay a known party keeps its place on the docket.
            conn.execute(
                "UPDATE parties SET terminated_seen_at = CASE WHEN coalesce(date_terminated, '') = '' AND"
                " coalesce(?, '') != '' THEN coalesce(?, terminated_seen_at) ELSE terminated_seen_at END,"
                " extra_info = ?, date_terminated = ?, criminal_data = ?, extra = ?,"
                " position = coalesce(?, position) WHERE id = ?",
                [party.columns[1], seen_at, *party.columns, position if replay is not None else None, party_id],
            )
        if party.attorneys is not None:
            _write_party_attorneys(db, party_id, party.attorneys, attorney_ids)
    return added


def _write_party_attorneys(
    db: Database, party_id: int, attorneys: list[tuple[str, str, str | None]], ids: dict[tuple[str, str], int]
) -> None:
    conn = db.conn
    conn.execute("DELETE FROM party_attorneys WHERE party_id = ?", [party_id])
    links = []
    for position, (name, contact, roles) in enumerate(attorneys):
        key = (name, contact)
        if key not in ids:
            row = conn.execute("SELECT id FROM attorneys WHERE name = ? AND contact = ?", key).fetchone()
            ids[key] = row[0] if row else inserted_id(conn.execute(
                "INSERT INTO attorneys (name, contact, firm, email) VALUES (?,?,?,?)",
                [name, contact, attorney_firm(contact), attorney_email(contact)],
            ))
        links.append((party_id, position, ids[key], roles))
    conn.executemany(
        "INSERT INTO party_attorneys (party_id, position, attorney_id, roles) VALUES (?,?,?,?)", links
    )


def _update_case_state(
    db: Database, case_id: int, kind: str, at: str, incremental: bool, size: int | None, with_parties: bool
) -> None:
    # Appellate "document numbers" are document ids on some courts: no usable maximum.
    last_number = (
        "NULL"
        if kind == "appellate"
        else "(SELECT max(CAST(document_number AS INTEGER)) FROM docket_entries"
        " WHERE case_id = :id AND document_number <> '' AND document_number NOT GLOB '*[^0-9]*')"
    )
    db.conn.execute(
        f"""UPDATE cases SET
            entry_count = (SELECT count(*) FROM docket_entries WHERE case_id = :id),
            last_entry_date_entered = (SELECT max(coalesce(date_entered, substr(date_filed, 1, 10)))
                                       FROM docket_entries WHERE case_id = :id),
            last_document_number = {last_number},
            last_report_size_bytes = coalesce(:size, last_report_size_bytes),
            report_size_bytes = CASE WHEN :incremental OR :size IS NULL THEN report_size_bytes ELSE :size END,
            rss_changed = CASE WHEN rss_changed_at IS NULL OR rss_changed_at <= :at THEN 0 ELSE rss_changed END,
            parties_harvested_at = CASE WHEN :parties THEN :at ELSE parties_harvested_at END
        WHERE id = :id""",
        {"id": case_id, "size": size, "incremental": int(incremental), "at": at, "parties": int(with_parties)},
    )


@dataclass(frozen=True)
class ArchivedReport:
    """One archived docket report and what the current parser makes of it (for :func:`replay_case`)."""

    raw_page_id: int
    fetched_at: str
    run_id: int | None
    incremental: bool
    record: Mapping[str, Any]


def replay_case(db: Database, court_id: str, pacer_case_id: str, reports: Sequence[ArchivedReport]) -> int:
    """Rewrite one case from its archived reports, oldest first, in one transaction.

    The result is what storing the same records into an empty case would give,
    but rows keep their ids; rows no report yields any more are deleted. Harvest
    bookkeeping (report sizes, RSS flags) is kept. Returns the case's entry count.
    """
    court, case_key = court_key(court_id), str(pacer_case_id)
    dockets = [_prepare_docket(report.record) for report in reports]
    if not dockets:
        raise ValueError("replay_case needs at least one report")

    def work() -> int:
        conn = db.conn
        row = conn.execute(
            "SELECT id, kind FROM cases WHERE court_id = ? AND pacer_case_id = ?", [court, case_key]
        ).fetchone()
        kind = row[1] if row else case_kind(court)
        if row is not None:
            cleared = ", ".join(f"{c} = NULL" for c in (*CASE_COLUMNS, *CASE_JSON_COLUMNS, "extra"))
            conn.execute(f"UPDATE cases SET {cleared} WHERE id = ?", [row[0]])
            conn.execute("DELETE FROM entry_versions WHERE case_id = ?", [row[0]])  # rebuilt from the pages
            conn.execute("UPDATE docket_entries SET changed_at = NULL WHERE case_id = ?", [row[0]])
        replay = _Replay()
        for report, docket in zip(reports, dockets, strict=True):  # one docket per report
            at = utc_timestamp(report.fetched_at)
            case_id = _write_docket(db, court, case_key, kind, docket, at, report.run_id, report.incremental,
                                    None, report.raw_page_id, replay).case_id  # fmt: skip
        _sweep_replay(db, case_id, replay)
        _update_case_state(db, case_id, kind, at, False, None, False)
        return len(replay.entries)

    return write_transaction(db, work)
