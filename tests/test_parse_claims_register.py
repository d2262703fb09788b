"""Claims registers against reference parses, and the claims themselves."""

from __future__ import annotations

from pathlib import Path

import pytest
from golden_support import CORPUS, FIXTURES, corpus_score, differences, reference

from harvester.errors import ParseError
from harvester.parsers import claims_register, parse_page

PAGES = sorted((FIXTURES / "claims_registers").glob("*.html"))


@pytest.mark.parametrize("html", PAGES, ids=lambda p: p.stem)
def test_golden_claims_register(html: Path) -> None:
    ref = reference(html)
    if ref == {}:
        with pytest.raises(ParseError, match="no claims found"):
            claims_register.parse(html.read_bytes())
        return
    record = claims_register.parse(html.read_bytes())
    assert differences(record, ref) == []
    assert len(record["claims"]) == len(ref["claims"])


def test_claim_details() -> None:
    record = claims_register.parse((FIXTURES / "claims_registers" / "deb.html").read_bytes())
    ref = reference(FIXTURES / "claims_registers" / "deb.html")
    claim, want = record["claims"][0], ref["claims"][0]
    for key in ("claim_number", "creditor_id", "creditor_details", "date_original_filed", "filed_by",
                "entered_by", "amount_claimed"):  # fmt: skip
        assert claim[key] == want[key], key
    history = claim["history"][0]
    assert (history["type"], history["document_number"], history["attachment_number"], history["id"]) == (
        "claim", 1, 1, "15134869"
    )
    assert record["pacer_case_id"] == "171908"
    assert record["date_converted"] == "2019-04-16"


def test_dispatch_detects_claims_registers() -> None:
    assert parse_page((FIXTURES / "claims_registers" / "nysb.html").read_bytes())["kind"] == "claims_register"
    with pytest.raises(ParseError) as info:
        parse_page((FIXTURES / "claims_registers" / "deb_2.html").read_bytes())
    assert info.value.kind == "claims_register"


def test_whole_corpus_fidelity() -> None:
    directory = CORPUS / "claims_registers"
    if not directory.exists():
        pytest.skip("/work/shared corpus absent")
    outputs = {}
    for page in directory.glob("*.html"):
        try:
            outputs[page.stem] = claims_register.parse(page.read_bytes())
        except ParseError:
            assert reference(page) == {}, page.stem
    overall, units = corpus_score(directory, outputs)
    assert overall >= 0.995, units
