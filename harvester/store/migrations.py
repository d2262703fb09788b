"""The schema of the harvest database, as ordered migrations.

``PRAGMA user_version`` records how many migrations a file has had. Migration N
takes a version N-1 database to version N inside one write transaction (a crash
leaves the file at N-1, never half-way), so a database made by any earlier
release is upgraded in place by :func:`migrate`. Never edit a released
migration: append a new one.

Natural keys (what makes a re-run or an overlapping incremental report update
rows instead of duplicating them):

- ``cases``: (court_id, pacer_case_id); appellate cases use the docket number as
  pacer_case_id when the court has no numeric id.
- ``docket_entries``: (case_id, entry_key), see :func:`harvester.store.dockets.entry_keys`.
- ``parties``: (case_id, name, type, occurrence); occurrence numbers parties that
  share name and type within one report (real dockets have such repeats).
- ``attorneys``: (name, contact); ``email`` and ``firm`` are indexed so one lawyer
  or firm can be followed across parties and cases (view ``attorney_appearances``).
- ``rss_items``: (court_id, item_key); ``raw_pages``: content_hash.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from harvester.store.connection import SchemaError, schema_version, statements, write_transaction
from harvester.store.judges import create_judges

_CORE_TABLES = """
CREATE TABLE courts (
    court_id TEXT PRIMARY KEY,          -- CM/ECF id: cand, nysb, ca9
    pacer_code TEXT,                    -- PACER's own code: CANDC, NYSBK, 09CA
    type TEXT,                          -- district, bankruptcy, appellate, national
    title TEXT,
    name TEXT,
    circuit TEXT,
    software_version TEXT,              -- as the lookup says it
    version TEXT,                       -- its release number: 1.7.1
    nextgen INTEGER,                    -- 1 for NextGen CM/ECF
    go_live_date TEXT,
    web_url TEXT,
    login_url TEXT,
    rss_url TEXT,
    extra TEXT,                         -- JSON: the lookup's other fields
    updated_at TEXT
);

CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT NOT NULL DEFAULT 'running',
    cases_checked INTEGER NOT NULL DEFAULT 0,
    cases_changed INTEGER NOT NULL DEFAULT 0,
    entries_added INTEGER NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0,
    billable_pages INTEGER NOT NULL DEFAULT 0,
    cost REAL NOT NULL DEFAULT 0,
    gates TEXT,                         -- JSON: counters of the politeness/budget gates
    message TEXT
);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    court_id TEXT NOT NULL REFERENCES courts(court_id),
    pacer_case_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('district', 'bankruptcy', 'appellate')),
    docket_number TEXT,
    case_name TEXT,
    assigned_to_str TEXT,
    referred_to_str TEXT,
    cause TEXT,
    nature_of_suit TEXT,
    jury_demand TEXT,
    demand TEXT,
    jurisdiction TEXT,
    date_filed TEXT,
    date_terminated TEXT,
    date_converted TEXT,
    date_discharged TEXT,
    mdl_status TEXT,
    ordered_by TEXT,
    federal_defendant_number TEXT,
    federal_dn_case_type TEXT,
    federal_dn_judge_initials_assigned TEXT,
    federal_dn_judge_initials_referred TEXT,
    federal_dn_office_code TEXT,
    appeal_from TEXT,
    case_type_information TEXT,
    fee_status TEXT,
    panel TEXT,                         -- JSON list (appellate)
    originating_court_information TEXT, -- JSON object (appellate)
    extra TEXT,                         -- JSON: any other field of the parse
    entry_count INTEGER NOT NULL DEFAULT 0,
    first_harvested_at TEXT,
    last_harvested_at TEXT,
    last_entry_date_entered TEXT,       -- latest date_entered (date_filed when absent)
    last_document_number INTEGER,       -- highest numeric document number (district/bankruptcy)
    report_size_bytes INTEGER,          -- size of the last full docket report (cost estimates)
    last_report_size_bytes INTEGER,     -- size of the last report of any kind
    rss_changed INTEGER NOT NULL DEFAULT 0,
    rss_changed_at TEXT,
    UNIQUE (court_id, pacer_case_id)
);
CREATE INDEX cases_docket_number ON cases (court_id, docket_number);
CREATE INDEX cases_rss_changed ON cases (court_id) WHERE rss_changed = 1;

CREATE TABLE parties (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    type TEXT NOT NULL DEFAULT '',
    occurrence INTEGER NOT NULL DEFAULT 0,
    position INTEGER NOT NULL,
    extra_info TEXT,
    date_terminated TEXT,
    criminal_data TEXT,                 -- JSON object (criminal cases)
    extra TEXT,                         -- JSON: any other field
    UNIQUE (case_id, name, type, occurrence)
);
CREATE INDEX parties_name ON parties (name);

CREATE TABLE attorneys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    contact TEXT NOT NULL DEFAULT '',
    firm TEXT,                          -- first line of contact naming no street, phone or label
    email TEXT,                         -- lower-cased address found in contact
    UNIQUE (name, contact)
);
CREATE INDEX attorneys_name ON attorneys (name);
CREATE INDEX attorneys_email ON attorneys (email);
CREATE INDEX attorneys_firm ON attorneys (firm);

CREATE TABLE party_attorneys (
    party_id INTEGER NOT NULL REFERENCES parties(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    attorney_id INTEGER NOT NULL REFERENCES attorneys(id),
    roles TEXT NOT NULL DEFAULT '[]',   -- JSON list: LEAD ATTORNEY, ATTORNEY TO BE NOTICED...
    PRIMARY KEY (party_id, position)
);
CREATE INDEX party_attorneys_attorney ON party_attorneys (attorney_id);

CREATE TABLE docket_entries (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    entry_key TEXT NOT NULL,
    position INTEGER NOT NULL,          -- order on the docket (later reports append)
    date_filed TEXT,
    date_entered TEXT,
    document_number TEXT,
    pacer_doc_id TEXT,
    pacer_seq_no TEXT,
    description TEXT,
    extra TEXT,                         -- JSON: attachments, page_count...
    first_seen_at TEXT,
    run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    UNIQUE (case_id, entry_key)
);
CREATE INDEX docket_entries_date_filed ON docket_entries (date_filed);
CREATE INDEX docket_entries_pacer_doc_id ON docket_entries (pacer_doc_id);
CREATE INDEX docket_entries_run ON docket_entries (run_id);

CREATE TABLE raw_pages (
    id INTEGER PRIMARY KEY,
    fetched_at TEXT NOT NULL,
    kind TEXT NOT NULL,                 -- docket, rss, court_lookup...
    court_id TEXT REFERENCES courts(court_id),
    pacer_case_id TEXT,
    url TEXT,
    incremental INTEGER NOT NULL DEFAULT 0,
    content_hash TEXT NOT NULL UNIQUE,  -- sha256 of the stored (login-stripped) bytes
    size_bytes INTEGER NOT NULL,
    compression TEXT NOT NULL DEFAULT 'zlib',
    body BLOB NOT NULL,
    run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL
);
CREATE INDEX raw_pages_case ON raw_pages (court_id, pacer_case_id);

CREATE TABLE rss_items (
    id INTEGER PRIMARY KEY,
    court_id TEXT NOT NULL REFERENCES courts(court_id),
    item_key TEXT NOT NULL,
    pacer_case_id TEXT,
    docket_number TEXT,
    case_name TEXT,
    published_at TEXT,
    document_number TEXT,
    pacer_doc_id TEXT,
    pacer_seq_no TEXT,
    short_description TEXT,
    description TEXT,
    extra TEXT,                         -- JSON: chapter, trustee_str, type, office...
    first_seen_at TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    raw_page_id INTEGER REFERENCES raw_pages(id) ON DELETE SET NULL,
    UNIQUE (court_id, item_key)
);
CREATE INDEX rss_items_case ON rss_items (court_id, pacer_case_id);
CREATE INDEX rss_items_published ON rss_items (published_at);

CREATE TABLE requests (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    at TEXT NOT NULL,
    court_id TEXT,
    method TEXT NOT NULL DEFAULT 'GET',
    url TEXT,                           -- credentials and secret query values removed
    status INTEGER,
    bytes INTEGER,
    billable_pages INTEGER,
    cost REAL,                          -- dollars, from the transaction receipt
    outcome TEXT,
    reason TEXT
);
CREATE INDEX requests_at ON requests (at);
CREATE INDEX requests_run ON requests (run_id);

CREATE TABLE watchlist (
    court_id TEXT NOT NULL REFERENCES courts(court_id),
    pacer_case_id TEXT NOT NULL,
    docket_number TEXT,
    source TEXT NOT NULL,               -- config, rss, manual
    added_at TEXT NOT NULL,
    PRIMARY KEY (court_id, pacer_case_id)
);
"""

_VIEWS = """
CREATE VIEW attorney_appearances AS
SELECT a.id AS attorney_id, a.name AS attorney_name, a.firm, a.email, pa.roles,
       p.id AS party_id, p.name AS party_name, p.type AS party_type,
       c.id AS case_id, c.court_id, c.pacer_case_id, c.docket_number, c.case_name
FROM party_attorneys pa
JOIN attorneys a ON a.id = pa.attorney_id
JOIN parties p ON p.id = pa.party_id
JOIN cases c ON c.id = p.case_id;

CREATE VIEW entries AS
SELECT e.id, c.court_id, c.pacer_case_id, c.docket_number, c.case_name,
       e.date_filed, e.date_entered, e.document_number, e.pacer_doc_id, e.description,
       e.first_seen_at, e.run_id, e.case_id
FROM docket_entries e JOIN cases c ON c.id = e.case_id;
"""


def _v1_core_tables(db: Database) -> None:
    db.executescript(_CORE_TABLES)


def _v2_search(db: Database) -> None:
    # Triggers keep the indexes current on every insert, update and delete.
    for table, columns in (
        ("cases", ["case_name", "docket_number"]),
        ("docket_entries", ["description"]),
        ("parties", ["name"]),
        ("attorneys", ["name", "firm"]),
    ):
        db.table(table).enable_fts(columns, create_triggers=True, tokenize="porter")
    db.executescript(_VIEWS)


def _v3_run_mode(db: Database) -> None:
    # Sandbox runs spend play money: the quarter's real spending must not count it.
    db.execute("ALTER TABLE runs ADD COLUMN mode TEXT NOT NULL DEFAULT 'pacer'")


def _v4_estimates(db: Database) -> None:
    # The gate's estimate beside the receipt's pages: how good the budget's guesses are.
    db.execute("ALTER TABLE requests ADD COLUMN estimated_pages INTEGER")


def _v5_fail_closed(db: Database) -> None:
    # The reason a run ignored the harvest window (NULL: it did not), and the paid
    # requests on the wire: a run killed mid-request leaves their row here, booked
    # at the gate's estimate by the next run (harvester.store.ledger.book_stranded).
    db.execute("ALTER TABLE runs ADD COLUMN window_override TEXT")
    db.execute("""
CREATE TABLE in_flight (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    at TEXT NOT NULL,
    court_id TEXT,
    method TEXT NOT NULL DEFAULT 'GET',
    url TEXT,                           -- credentials and secret query values removed
    estimated_pages INTEGER NOT NULL,
    cost REAL NOT NULL                  -- dollars: the gate's reservation
)
""")


def _v6_case_origin(db: Database) -> None:
    # Where a case came from (sandbox or pacer): sandbox cases never link to a real court,
    # and a database never mixes the two. Earlier sandbox cases are known by their
    # watch source or by a database that only ever had sandbox runs.
    db.execute("ALTER TABLE cases ADD COLUMN origin TEXT")
    db.execute(
        "UPDATE cases SET origin = CASE WHEN EXISTS (SELECT 1 FROM watchlist w WHERE w.court_id = cases.court_id"
        " AND w.pacer_case_id = cases.pacer_case_id AND w.source = 'sandbox')"
        " OR (EXISTS (SELECT 1 FROM runs) AND NOT EXISTS (SELECT 1 FROM runs WHERE mode <> 'sandbox'))"
        " THEN 'sandbox' ELSE 'pacer' END"
    )
    # New cases are stamped by the run that adds them (``WHERE origin IS NULL``): keep that cheap.
    db.execute("CREATE INDEX cases_origin_unset ON cases(id) WHERE origin IS NULL")


_MANY_NIGHTS = """
CREATE TABLE feed_nights (
    id INTEGER PRIMARY KEY,
    court_id TEXT NOT NULL,
    night TEXT NOT NULL,                -- harvest night: Central date of the window opening
    fetched_at TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    kind TEXT NOT NULL CHECK (kind IN ('none', 'all', 'partial', 'failing')),
    entry_types TEXT,                   -- JSON list: what a partial feed carries
    http_status INTEGER,
    outcome TEXT NOT NULL,              -- ok, stale, failed; none for a court without a feed
    newest_item_at TEXT,
    oldest_item_at TEXT,                -- the feed reaches back to here (about 24 hours)
    newest_item_age_hours REAL,
    last_good_at TEXT,                  -- last fetch with outcome ok, this one included
    message TEXT
);
CREATE INDEX feed_nights_court ON feed_nights (court_id, night);

CREATE TABLE entry_versions (
    id INTEGER PRIMARY KEY,
    entry_id INTEGER NOT NULL REFERENCES docket_entries(id) ON DELETE CASCADE,
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    entry_key TEXT NOT NULL,
    date_filed TEXT,
    date_entered TEXT,
    document_number TEXT,
    pacer_doc_id TEXT,
    description TEXT,
    seen_at TEXT,                       -- when this version was first seen
    replaced_at TEXT NOT NULL,          -- when a report showed the next one
    run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL
);
CREATE INDEX entry_versions_entry ON entry_versions (entry_id);
CREATE INDEX entry_versions_case ON entry_versions (case_id);

CREATE TABLE case_changes (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    field TEXT NOT NULL,                -- assigned_to_str, referred_to_str, date_terminated, case_name...
    old_value TEXT,
    new_value TEXT,
    at TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL
);
CREATE INDEX case_changes_case ON case_changes (case_id);

ALTER TABLE docket_entries ADD COLUMN changed_at TEXT;   -- when the current version was first seen
ALTER TABLE parties ADD COLUMN first_seen_at TEXT;
ALTER TABLE parties ADD COLUMN terminated_seen_at TEXT;  -- when a report first showed it terminated

-- Nights: an instant belongs to the Central evening before it (18:00-06:00 Central is
-- 23:00/00:00-11:00/12:00 UTC), so shifting UTC by 18 hours gives the night's date
-- (as the Datasette queries count nights).
CREATE VIEW changes AS
SELECT date(c.first_harvested_at, '-18 hours') AS night, 'new_case' AS change, c.id AS case_id, c.court_id,
       c.pacer_case_id, c.docket_number, c.case_name AS detail, c.first_harvested_at AS at
FROM cases c WHERE c.first_harvested_at IS NOT NULL
UNION ALL
SELECT date(e.first_seen_at, '-18 hours'), 'new_entry', c.id, c.court_id, c.pacer_case_id, c.docket_number,
       coalesce(e.document_number || ': ', '') || substr(coalesce(e.description, ''), 1, 200), e.first_seen_at
FROM docket_entries e JOIN cases c ON c.id = e.case_id
WHERE e.first_seen_at > c.first_harvested_at
UNION ALL
SELECT date(v.replaced_at, '-18 hours'), 'edited_entry', c.id, c.court_id, c.pacer_case_id, c.docket_number,
       coalesce(e.document_number || ': ', '') || substr(coalesce(e.description, ''), 1, 200), v.replaced_at
FROM entry_versions v JOIN docket_entries e ON e.id = v.entry_id JOIN cases c ON c.id = v.case_id
UNION ALL
SELECT date(p.first_seen_at, '-18 hours'), 'new_party', c.id, c.court_id, c.pacer_case_id, c.docket_number,
       p.name || coalesce(' (' || nullif(p.type, '') || ')', ''), p.first_seen_at
FROM parties p JOIN cases c ON c.id = p.case_id
WHERE p.first_seen_at > c.first_harvested_at
UNION ALL
SELECT date(p.terminated_seen_at, '-18 hours'), 'terminated_party', c.id, c.court_id, c.pacer_case_id,
       c.docket_number, p.name || ' terminated ' || coalesce(p.date_terminated, ''), p.terminated_seen_at
FROM parties p JOIN cases c ON c.id = p.case_id
WHERE p.terminated_seen_at > c.first_harvested_at
UNION ALL
SELECT date(x.at, '-18 hours'), CASE x.field WHEN 'date_terminated' THEN 'terminated_case' ELSE 'judge_reassigned' END,
       c.id, c.court_id, c.pacer_case_id, c.docket_number,
       coalesce(x.old_value, '') || ' -> ' || coalesce(x.new_value, ''), x.at
FROM case_changes x JOIN cases c ON c.id = x.case_id
WHERE x.field IN ('assigned_to_str', 'referred_to_str') OR (x.field = 'date_terminated' AND x.new_value IS NOT NULL);
"""


def _v7_many_nights(db: Database) -> None:
    # What each feed covered each night, and what a re-stored report changed (edits keep their history).
    for statement in statements(_MANY_NIGHTS):  # not executescript: it would commit mid-migration
        db.execute(statement)


def _v8_judges(db: Database) -> None:
    # Judges as people: one row per folded name, linked to cases with their role.
    create_judges(db)


_DOCUMENT_TABLES = """
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    court_id TEXT NOT NULL,
    pacer_doc_id TEXT NOT NULL,         -- fourth digit zeroed
    pacer_case_id TEXT,
    case_id INTEGER REFERENCES cases(id) ON DELETE SET NULL,
    document_number TEXT,
    attachment_number INTEGER,          -- 0: the main document
    pacer_seq_no TEXT,
    description TEXT,
    page_count INTEGER,                 -- from the attachment page or the confirmation page
    size_bytes INTEGER,                 -- the PDF's size once stored, else the attachment page's
    transcript INTEGER NOT NULL DEFAULT 0, -- is or may be a transcript: not capped at 30 pages
    state TEXT NOT NULL DEFAULT 'known', -- known, planned, bought, uncertain, sealed, restricted
    source TEXT,                        -- bought, free_opinion, free_look
    price REAL,                         -- dollars priced before buying
    cost REAL,                          -- dollars booked from the receipt
    billable_pages INTEGER,
    sha256 TEXT,
    local_path TEXT,                    -- relative to the documents folder
    sealed INTEGER NOT NULL DEFAULT 0,
    restricted INTEGER NOT NULL DEFAULT 0,
    menu_fetched_at TEXT,               -- the entry's attachment page was read (main documents)
    planned_at TEXT,
    stored_at TEXT,
    run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    UNIQUE (court_id, pacer_doc_id)
);
CREATE INDEX documents_case ON documents (case_id);
CREATE INDEX documents_state ON documents (state);

CREATE TABLE opinion_reports (
    id INTEGER PRIMARY KEY,
    court_id TEXT NOT NULL,
    filed_from TEXT NOT NULL,
    filed_to TEXT NOT NULL,
    reported_total INTEGER,             -- the report's own "Total number of opinions reported"
    rows_parsed INTEGER NOT NULL,
    mismatch INTEGER NOT NULL DEFAULT 0,
    fetched_at TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL
);
CREATE INDEX opinion_reports_court ON opinion_reports (court_id, filed_to);
"""


def _v9_documents(db: Database) -> None:
    # Documents bought or free, and the Written Opinions reports read (issue 14).
    for statement in statements(_DOCUMENT_TABLES):  # not executescript: it would commit mid-migration
        db.execute(statement)


_ACMS_TABLES = """
CREATE TABLE acms_cases (
    court_id TEXT NOT NULL,
    docket_number TEXT NOT NULL,
    system TEXT NOT NULL CHECK (system IN ('acms', 'cmecf')),  -- where the court said the case is
    acms_case_id TEXT,                  -- ACMS's case GUID
    decided_at TEXT NOT NULL,
    PRIMARY KEY (court_id, docket_number)
);
CREATE TABLE acms_document_lists (
    id INTEGER PRIMARY KEY,
    court_id TEXT NOT NULL,
    pacer_case_id TEXT NOT NULL,        -- the case key (the docket number)
    entry_id TEXT NOT NULL,             -- ACMS's docket entry GUID
    entry_number INTEGER,
    documents INTEGER NOT NULL,
    fetched_at TEXT NOT NULL,
    raw_page_id INTEGER REFERENCES raw_pages(id) ON DELETE SET NULL,
    run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    UNIQUE (court_id, pacer_case_id, entry_id)
);
CREATE TABLE acms_documents (
    list_id INTEGER NOT NULL REFERENCES acms_document_lists(id) ON DELETE CASCADE,
    attachment_number INTEGER,
    description TEXT,
    page_count INTEGER,
    file_size INTEGER,
    cost REAL,
    permission TEXT,
    acms_document_guid TEXT,
    date_filed TEXT,
    UNIQUE (list_id, acms_document_guid)
);
"""


def _v10_acms(db: Database) -> None:
    # ACMS (ca2, ca9, cavc): which system holds a case, and the entries' document lists.
    for statement in statements(_ACMS_TABLES):  # not executescript: it would commit mid-migration
        db.execute(statement)


def _v11_parties_seen(db: Database) -> None:
    # When the party list was last asked for: a report without it (an incremental one)
    # cannot show parties added since, so party news makes the next report ask again.
    db.execute("ALTER TABLE cases ADD COLUMN parties_harvested_at TEXT")
    db.execute("UPDATE cases SET parties_harvested_at = first_harvested_at")


MIGRATIONS: list[Callable[[Database], None]] = [
    _v1_core_tables, _v2_search, _v3_run_mode, _v4_estimates, _v5_fail_closed, _v6_case_origin, _v7_many_nights,
    _v8_judges, _v9_documents, _v10_acms, _v11_parties_seen,
]  # fmt: skip
LATEST = len(MIGRATIONS)


def migrate(db: Database, target: int = LATEST) -> int:
    """Apply pending migrations up to ``target``; return the resulting version."""
    current = schema_version(db)
    if current > LATEST:
        raise SchemaError(
            f"database schema version {current} is newer than this harvester knows ({LATEST}); upgrade the harvester"
        )
    for version in range(current + 1, target + 1):
        step = MIGRATIONS[version - 1]

        def apply(step: Callable[[Database], None] = step, version: int = version) -> None:
            # Re-check inside the lock: another process may have migrated meanwhile.
            if schema_version(db) >= version:
                return
            step(db)
            db.conn.execute(f"PRAGMA user_version = {version}")

        write_transaction(db, apply)
    return schema_version(db)
