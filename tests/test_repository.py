"""What the repository holds: one copy of each bundled court page."""

from __future__ import annotations

import hashlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SANDBOX_DATA = REPO / "harvester" / "sandbox" / "data"
FIXTURES = REPO / "tests" / "fixtures"


def digests(root: Path) -> dict[str, Path]:
    return {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in root.rglob("*") if p.is_file() and not p.is_symlink()}


def test_no_court_page_is_stored_twice():
    shipped = digests(SANDBOX_DATA)
    copies = [(p, shipped[d]) for d, p in digests(FIXTURES).items() if d in shipped]
    assert not copies, f"byte-identical copies (link the fixture to the sandbox's page instead): {copies[:5]}"


def test_linked_fixtures_point_into_the_package():
    links = [p for p in FIXTURES.rglob("*") if p.is_symlink()]
    assert links, "the golden files shared with the sandbox are links"
    for link in links:
        target = link.resolve()
        assert target.is_file() and SANDBOX_DATA in target.parents, f"{link} -> {target}"
