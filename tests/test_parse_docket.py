"""District and bankruptcy docket report parsing against reference parses.

Golden files: ``tests/fixtures/dockets/{district,bankruptcy}/NAME.html`` with the
reference ``NAME.json``; ``not_dockets/`` pages must be refused with a reason.
The last tests score the whole shared corpus with the shared fidelity tool
and skip when /work/shared is absent.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from harvester.errors import ParseError
from harvester.parsers import not_docket
from harvester.parsers.casename import case_name, harmonize, titlecase
from harvester.parsers.docket_report import parse, parse_page
from harvester.parsers.judges import judge_name
from harvester.parsers.text import clean_string, decode_html, parse_date

FIXTURES = Path(__file__).parent / "fixtures" / "dockets"
SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus" / "pacer" / "dockets"

# The one corpus page whose reference cannot be matched from the page itself:
# it is a tnwb docket (every link says ecf.tnwb) saved as "txnb_420776", and the
# reference parser applied txnb's merged-column rule to it because of that name,
# producing empty descriptions. We read the page as what it is.
MISLABELED = {"txnb_420776"}


def _pages(kind: str) -> list[Path]:
    return sorted((FIXTURES / kind).glob("*.html"))


def _reference(html: Path) -> dict:
    return json.loads(html.with_suffix(".json").read_text(encoding="utf-8"))


def _without_court(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "court_id"}


@pytest.mark.parametrize("html", _pages("district") + _pages("bankruptcy"), ids=lambda p: p.stem)
def test_golden_docket(html: Path) -> None:
    ref = _reference(html)
    if ref == {}:
        with pytest.raises(ParseError):
            parse(html.read_bytes())
        return
    record = parse(html.read_bytes())  # no court argument: everything comes from the page
    assert _without_court(record) == _without_court(ref)
    assert record["court_id"] == ref["court_id"]


@pytest.mark.parametrize("html", _pages("district") + _pages("bankruptcy"), ids=lambda p: p.stem)
def test_streamed_rows_give_the_same_record(html: Path) -> None:
    """Emptying entry rows during the parse (for memory) must not change the result."""
    data = html.read_bytes()
    try:
        full = parse_page(data, stream_rows=False)
    except ParseError:
        with pytest.raises(ParseError):
            parse_page(data, stream_rows=True)
        return
    assert parse_page(data, stream_rows=True) == full


@pytest.mark.parametrize("html", _pages("not_dockets"), ids=lambda p: p.stem)
def test_not_dockets_are_refused_with_a_reason(html: Path) -> None:
    assert _reference(html) == {}
    data = html.read_bytes()
    why = not_docket.reason(decode_html(data))
    assert why and len(why) > 5
    with pytest.raises(ParseError, match="not a docket report"):
        parse(data)


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("ned_43267", "case not found"),
        ("vaed_357297_1", "no documents in this case"),
        ("cod_147282", "may take a long time"),
        ("casd_542797", "View Report"),
        ("flmb_1250874", "text format"),
        ("wawb_646603", "browser extension"),
        ("alsb_103785005735335", "selection form"),
    ],
)
def test_not_docket_reasons_say_what_the_page_is(stem: str, expected: str) -> None:
    text = decode_html((FIXTURES / "not_dockets" / f"{stem}.html").read_bytes())
    assert expected in not_docket.reason(text)


def test_sealed_case_page_is_refused() -> None:
    page = b"<html><body><h3>This case is SEALED.</h3></body></html>"
    assert not_docket.reason(page.decode()) == "sealed case"
    with pytest.raises(ParseError, match="sealed"):
        parse(page)


def test_a_real_docket_is_not_refused() -> None:
    text = decode_html((FIXTURES / "district" / "cand.html").read_bytes())
    assert not_docket.reason(text) is None


def test_bankruptcy_is_read_from_the_page_not_the_court_argument() -> None:
    html = FIXTURES / "district" / "alnb_1.html"  # a bankruptcy docket filed among district ones
    ref = _reference(html)
    record = parse(html.read_bytes(), court_id="cand")
    assert _without_court(record) == _without_court(ref)
    assert record["court_id"] == "alnb"  # from the page's links, not the argument
    assert record["federal_dn_judge_initials_assigned"] == "CRJ"  # bankruptcy docket-number rules


def test_court_argument_is_only_a_fallback() -> None:
    page = (
        b"<html><body><h3>U.S. District Court<br>CIVIL DOCKET FOR CASE #: 1:20-cv-00001-ABC</h3>"
        b"<table><tr><td>Doe v. Roe<br>Date Filed: 01/02/2020</td></tr></table></body></html>"
    )
    record = parse(page, court_id="ded")
    assert record["court_id"] == "ded"
    assert record["docket_number"] == "1:20-cv-00001"
    assert record["case_name"] == "Doe v. Roe"
    assert record["date_filed"] == "2020-01-02"


def test_entry_fields_from_a_district_docket() -> None:
    record = parse((FIXTURES / "district" / "cand.html").read_bytes())
    entry = record["docket_entries"][2]
    assert entry["document_number"] == "3"
    assert entry["pacer_doc_id"] == "03504231050"  # fourth digit zeroed
    assert entry["pacer_seq_no"] == "11"  # from goDLS(...)
    assert entry["date_filed"] == "2008-01-18"
    assert entry["date_entered"] == "2008-01-18"
    assert record["case_name"] == "Balbo v. Tilton"  # "et al" dropped


def test_multi_document_layout_reads_sizes_and_attachments() -> None:
    record = parse((FIXTURES / "bankruptcy" / "vawb_270571.html").read_bytes())
    entry = next(e for e in record["docket_entries"] if e["document_number"] == "20")
    assert (entry["page_count"], entry["file_size_bytes"], entry["file_size_str"]) == (1, 17135, "17.14 KB")
    with_attachments = [e for e in record["docket_entries"] if e.get("attachments")]
    assert with_attachments and with_attachments[0]["attachments"][0]["attachment_number"] == 1


def test_criminal_counts_are_attached_to_defendants() -> None:
    record = parse((FIXTURES / "district" / "azd.html").read_bytes())
    criminal = [p["criminal_data"] for p in record["parties"] if "criminal_data" in p]
    assert criminal and criminal[0]["counts"]
    assert {c["status"] for d in criminal for c in d["counts"]} <= {"pending", "terminated"}


def test_windows_1252_page_decodes() -> None:
    utf8 = (FIXTURES / "district" / "gand_1.html").read_bytes()
    as_cp1252 = utf8.decode("utf-8").encode("cp1252", errors="replace")
    assert parse(as_cp1252)["case_name"] == parse(utf8)["case_name"]


# --- shared helpers (H2's parsers use them too) --------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("USA v. Jones et al", "United States v. Jones"),
        ("United States of America v. Smith", "United States v. Smith"),
        ("Doe vs. Roe, et al.", "Doe v. Roe"),
        ("Acme Corp v. Jones, Defendants", "Acme Corp v. Jones"),
        ("Smith, Plaintiff v. The State", "Smith v. State"),
        ("No. 12 v. Brown", "12 v. Brown"),
    ],
)
def test_case_names(raw: str, expected: str) -> None:
    assert case_name(raw) == expected
    assert harmonize(harmonize(raw)) == harmonize(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plaintiff", "Plaintiff"),
        ("counter defendant", "Counter Defendant"),
        ("DEBTOR-IN-POSSESSION", "Debtor-In-Possession"),
        ("u.s. trustee", "U.S. Trustee"),
        ("mcdonald's of the usa", "McDonald's of the USA"),
    ],
)
def test_titlecase(raw: str, expected: str) -> None:
    assert titlecase(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hon. William Alsup", "William Alsup"),
        ("Magistrate Judge Jane Doe", "Jane Doe"),
        ("Chief Judge John J Smith Jr", "John J. Smith Jr."),
        ("J. Michael Lissner", "Michael Lissner"),
        ("Unassigned", ""),
    ],
)
def test_judge_names(raw: str, expected: str) -> None:
    assert judge_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("01/11/2008", "2008-01-11"),
        (" 1/5/08 ", "2008-01-05"),
        ("Filed: 12/31/1999 (Entered: 01/02/2000)", "1999-12-31"),
        ("2020-02-29", "2020-02-29"),
        ("March 3, 2015", "2015-03-03"),
        ("02/30/2020", None),
        ("no date here", None),
        ("", None),
    ],
)
def test_parse_date(raw: str, expected: str | None) -> None:
    assert parse_date(raw) == expected


def test_clean_string_trims_ragged_ends() -> None:
    assert clean_string(" *Smith, - v. Jones; ") == "Smith v. Jones"
    assert clean_string("A&amp;B\u00a0 Co.") == "A&B Co."


# --- the whole shared corpus, scored by the shared fidelity tool (skipped when absent) ---------------


def _fidelity_tool():
    path = SHARED / "tools" / "fidelity.py"
    spec = importlib.util.spec_from_file_location("fidelity", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _score(kind: str, skip: set[str] = frozenset()) -> dict[str, tuple[int, int]]:
    """Fidelity units summed over a corpus folder, as ../shared/tools/fidelity.py scores them."""
    tool = _fidelity_tool()
    units: dict[str, tuple[int, int]] = {}
    for html in sorted((CORPUS / kind).glob("*.html")):
        ref = json.loads(html.with_suffix(".json").read_text(encoding="utf-8"))
        if not ref or html.stem in skip:
            continue
        try:
            out = parse(html.read_bytes())
        except ParseError:
            out = {}
        for unit, (matched, total) in tool.score(ref, out).items():
            m, t = units.get(unit, (0, 0))
            units[unit] = (m + matched, t + total)
    return units


def _ratio(units: dict[str, tuple[int, int]], unit: str | None = None) -> float:
    pairs = [units[unit]] if unit else list(units.values())
    return sum(m for m, _ in pairs) / max(1, sum(t for _, t in pairs))


needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="the /work/shared corpus is absent")


@needs_corpus
@pytest.mark.parametrize("kind", ["district", "bankruptcy", "special"])
def test_corpus_fidelity(kind: str) -> None:
    units = _score(kind)
    print(kind, {u: f"{m}/{t}" for u, (m, t) in units.items()}, f"overall {_ratio(units):.2%}")
    assert _ratio(units) >= 0.995
    if kind == "district":
        assert _ratio(units, "entries") >= 0.995


@needs_corpus
def test_corpus_bankruptcy_entries_apart_from_the_mislabeled_page() -> None:
    units = _score("bankruptcy", skip=MISLABELED)
    assert _ratio(units, "entries") >= 0.995
    assert _ratio(units) >= 0.995


@needs_corpus
def test_mislabeled_page_is_read_as_the_court_it_names() -> None:
    html = CORPUS / "bankruptcy" / "txnb_420776.html"
    ref = json.loads(html.with_suffix(".json").read_text(encoding="utf-8"))
    record = parse(html.read_bytes())
    assert record["court_id"] == "tnwb"
    assert record["parties"] == ref["parties"]
    assert {k: v for k, v in record.items() if k not in ("court_id", "docket_entries")} == {
        k: v for k, v in ref.items() if k not in ("court_id", "docket_entries")
    }
    assert all(e["description"] for e in record["docket_entries"])


@needs_corpus
@pytest.mark.parametrize("kind", ["district", "bankruptcy", "special"])
def test_corpus_pages_match_their_references_exactly(kind: str) -> None:
    mismatched = []
    for html in sorted((CORPUS / kind).glob("*.html")):
        ref = json.loads(html.with_suffix(".json").read_text(encoding="utf-8"))
        if html.stem in MISLABELED:
            continue
        try:
            out = parse(html.read_bytes())
        except ParseError:
            out = {}
        if (ref == {}) != (out == {}) or _without_court(out) != _without_court(ref):
            mismatched.append(html.stem)
    assert mismatched == []


@needs_corpus
def test_corpus_not_dockets_are_all_refused() -> None:
    for html in sorted((CORPUS / "not_dockets").glob("*.html")):
        with pytest.raises(ParseError):
            parse(html.read_bytes())
