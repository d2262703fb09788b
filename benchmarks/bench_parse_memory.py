"""Peak memory (and time) of parsing one huge district docket, and of reparsing a big archive.

The docket is synthetic but uses CM/ECF's district markup (header table,
party table with attorneys, entry rows with doc1 links and goDLS handlers,
receipt). The parse runs in a child process so its ``ru_maxrss`` is its own.

With ``--archive N,...`` it instead builds, for each N, a harvest database whose
archive holds N docket pages (the shared corpus's district and bankruptcy pages,
cycled, each copy made distinct and filed as a case of its own), runs
``harvester reparse`` on it in a child process, and prints that command's summary
(pages/s, MB/s) and its peak RSS: the peak must stay under the limit whatever N is.

    python benchmarks/bench_parse_memory.py [--entries N]
    python benchmarks/bench_parse_memory.py --archive 1000,10000 [--corpus PATH]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_MB = 500
REPARSE_LIMIT_MB = 300
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "pacer" / "dockets"

_HEAD = """<html><head><meta http-equiv="content-type" content="text/html; charset=UTF-8">
<title>CAND-ECF</title><script type="text/javascript">if (top!=self) {top.location.replace(location.href);}</script>
</head><body bgcolor="CCFFFF" text="000000"><div id="cmecfMainContent">
<table cellspacing="0" border="0" width="100%"><tbody><tr><td align="right"><span>CLOSED</span>,<span>E-Filing</span></td></tr></tbody></table>
<h3 align="center">U.S. District Court<br>
California Northern District (San Francisco)<br>
CIVIL DOCKET FOR CASE #: 3:08-cv-00159-WHA</h3>
<table cellspacing="5" border="0" width="100%"><tbody><tr>
<td width="60%" valign="top"><br>Acme Widgets Inc. v. Example Corp. et al<br>
Assigned to: Hon. William Alsup<br>
Referred to: Magistrate Judge Jane Doe<br>
Cause: 15:1125 Trademark Infringement (Lanham Act)</td>
<td width="40%" valign="top"><br>Date Filed: 01/11/2008<br>
Jury Demand: Plaintiff<br>
Nature of Suit: 840 Trademark<br>
Jurisdiction: Federal Question</td>
</tr></tbody></table>
<table cellspacing="5" border="0" width="100%"><tbody>
"""

_PARTY = """<tr><td><b><u>{kind}                              </u></b></td></tr>
<tr><td width="40%" valign="top"><b>{name}</b></td>
<td width="20%" valign="top" align="right">represented&nbsp;by</td><td width="40%" valign="top"><b>{lawyer}</b>
<br>Law Offices of {lawyer}
<br>100 Main Street, Suite {n}
<br>San Francisco, CA 94105
<br>415-555-{n:04d}
<br>Email: counsel{n}@example.com
<br><i>LEAD ATTORNEY</i>
<br><i>ATTORNEY TO BE NOTICED</i></td></tr><tr><td></td></tr>
"""

_TABLE_HEAD = """</tbody></table>
<br><table rules="all" cellspacing="0" cellpadding="5" border="1" width="99%" align="center">
<tbody><tr><td style="font-weight:bold; width=94; white-space:nowrap">Date Filed</td>
<th>#</th><td style="font-weight:bold">Docket Text</td></tr>
"""

_ENTRY = (
    '<tr><td width="94" valign="top" nowrap="nowrap">{date}</td>'
    '<td style="white-space:nowrap" valign="top" align="right">'
    '<a href="https://ecf.cand.uscourts.gov/doc1/035{doc:08d}" '
    "onclick=\"goDLS('/doc1/035{doc:08d}','199229','{seq}','','1','1','','');return(false);\">{n}</a>&nbsp;</td>"
    '<td valign="top">{text} Signed by Judge William Alsup on {date}. (Attachments: # '
    '<a href="https://ecf.cand.uscourts.gov/doc1/035{att:08d}">1</a> Exhibit A, # '
    '<a href="https://ecf.cand.uscourts.gov/doc1/035{att2:08d}">2</a> Proposed Order)'
    "(dt, COURT STAFF) (Filed on {date}) (Entered: {date})</td></tr>\n"
)
_TEXTS = (
    "ORDER granting in part and denying in part 41 Motion to Dismiss; setting case management conference.",
    "MOTION for Summary Judgment filed by Acme Widgets Inc.. Motion Hearing set for 3/5/2009 09:00 AM.",
    "STIPULATION AND [PROPOSED] ORDER re discovery schedule and protective order for confidential material.",
    "CLERK'S NOTICE re completion of In Forma Pauperis affidavit or payment of filing fee due within 30 days.",
)
_TAIL = """</tbody></table><br>
<hr><center><table border="1" bgcolor="white" width="400"><tbody><tr><th colspan="4"><font color="DARKRED" size="+1">PACER Service Center </font></th></tr>
<tr><th align="LEFT"><font color="DARKBLUE" size="-1"> Description: </font></th><td align="LEFT"><font color="DARKBLUE" size="-1"> Docket Report </font></td></tr>
<tr><th align="LEFT"><font color="DARKBLUE" size="-1"> Billable Pages: </font></th><td align="LEFT"><font color="DARKBLUE" size="-1"> 30 </font></td>
<th align="LEFT"><font color="DARKBLUE" size="-1"> Cost: </font></th><td align="LEFT"><font color="DARKBLUE" size="-1"> 3.00 </font></td></tr></tbody></table></center></div></body></html>
"""


def synthetic_docket(entries: int, parties: int = 40) -> bytes:
    """A district docket report page with ``entries`` docket entries."""
    out = [_HEAD]
    for n in range(parties):
        kind = "Plaintiff" if n % 3 == 0 else "Defendant"
        out.append(_PARTY.format(kind=kind, name=f"Party Number {n} LLC", lawyer=f"Counsel {n} Esq", n=n))
    out.append(_TABLE_HEAD)
    for n in range(1, entries + 1):
        day = n % 28 + 1
        month = n // 28 % 12 + 1
        year = 2008 + n // 336 % 15
        out.append(
            _ENTRY.format(
                date=f"{month:02d}/{day:02d}/{year}",
                doc=4000000 + n * 3,
                att=4000001 + n * 3,
                att2=4000002 + n * 3,
                seq=n * 7,
                n=n,
                text=_TEXTS[n % len(_TEXTS)],
            )
        )
    out.append(_TAIL)
    return "".join(out).encode("utf-8")


def _child(path: str) -> None:
    """Parse the file and report entries and seconds on stdout (the parent reads RSS)."""
    sys.path.insert(0, str(ROOT))
    from harvester.parsers.docket_report import parse

    data = Path(path).read_bytes()
    wall, cpu = time.perf_counter(), time.process_time()
    record = parse(data)
    print(len(record["docket_entries"]), time.perf_counter() - wall, time.process_time() - cpu)


def build_archive(db_path: Path, corpus: Path, pages: int) -> int:
    """A harvest database whose archive holds ``pages`` docket pages; returns their bytes."""
    sys.path.insert(0, str(ROOT))
    from harvester.store.connection import open_db
    from harvester.store.raw_pages import archive_raw_page

    sources = sorted((corpus / "district").glob("*.html")) + sorted((corpus / "bankruptcy").glob("*.html"))
    bodies = [(p.stem.split("_")[0], p.read_bytes()) for p in sources]
    db = open_db(db_path)
    total = 0
    with db.conn:  # one transaction: 10,000 commits would time the disk, not the parser
        for n in range(pages):
            court, body = bodies[n % len(bodies)]
            data = body + f"<!-- archive copy {n} -->".encode()  # distinct bytes: stored, not deduplicated
            archive_raw_page(db, data, kind="docket", court_id=court, pacer_case_id=str(100000 + n),
                             fetched_at="2026-01-05T02:00:00Z")  # fmt: skip
            total += len(data)
    db.close()
    return total


def _reparse_in_child(db_path: Path) -> tuple[str, float, float, float]:
    """(summary line, wall seconds, peak RSS MB of the command, peak MB of it and its workers)."""
    import psutil

    command = [sys.executable, "-c", "import sys; from harvester.cli import main; sys.argv[0] = 'harvester'; main()"]
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen([*command, "reparse", "--db", str(db_path)], stdout=out,
                                stderr=subprocess.DEVNULL, text=True, cwd=ROOT)  # fmt: skip
        tree_peak = 0
        while proc.poll() is None:  # sampled: the workers' RSS is not in the command's ru_maxrss
            tree_peak = max(tree_peak, process_rss(psutil, proc.pid)[1])
            time.sleep(0.1)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        out.seek(0)
        summary = out.read().strip().splitlines()[-1]
    if proc.returncode != 0:
        raise SystemExit(f"harvester reparse failed with exit code {proc.returncode}")
    return summary, time.perf_counter() - started, usage.ru_maxrss / 1024, tree_peak / 2**20


def process_rss(psutil, pid: int) -> tuple[int, int]:
    """Bytes resident now in the process, and in it and all its descendants ((0, 0) once it is gone)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
        main = root.memory_info().rss
    except psutil.NoSuchProcess:
        return 0, 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return main, total


def archive_main(sizes: list[int], corpus: Path) -> int:
    if not (corpus / "district").is_dir():
        print(f"corpus not found at {corpus}; pass --corpus", file=sys.stderr)
        return 2
    worst = 0.0
    for pages in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            db_path = Path(tmp) / "archive.db"
            total = build_archive(db_path, corpus, pages)
            summary, wall, main_mb, tree_mb = _reparse_in_child(db_path)
        worst = max(worst, tree_mb)
        print(f"archive of {pages:,} docket pages ({total / 1e6:.0f} MB of HTML):")
        print(f"  {summary}")
        print(f"  whole process {wall:.1f} s; peak RSS {main_mb:.0f} MB (the command),"
              f" {tree_mb:.0f} MB (with its workers; limit {REPARSE_LIMIT_MB} MB)")  # fmt: skip
    return 0 if worst < REPARSE_LIMIT_MB else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--archive", help="comma-separated archive sizes in pages: benchmark reparse instead")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child)
        return 0
    if args.archive:
        return archive_main([int(n) for n in args.archive.split(",")], args.corpus)
    data = synthetic_docket(args.entries)
    with tempfile.NamedTemporaryFile(suffix=".html", delete=False) as fh:
        fh.write(data)
        path = fh.name
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        done = subprocess.run(
            [sys.executable, __file__, "--child", path], capture_output=True, text=True, check=True
        )
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    finally:
        os.unlink(path)
    if peak_kb <= before:
        print("warning: child peak RSS not above an earlier child's; figure may be low", file=sys.stderr)
    fields = done.stdout.split()
    count, wall, cpu = int(fields[0]), float(fields[1]), float(fields[2])
    peak_mb = peak_kb / 1024
    print(f"synthetic district docket: {args.entries:,} entries, {len(data) / 1e6:.1f} MB of HTML")
    print(
        f"parsed {count:,} entries in {wall:.2f} s wall ({count / wall:,.0f} entries/s),"
        f" {cpu:.2f} s CPU ({count / cpu:,.0f} entries/s, {len(data) / 1e6 / cpu:.1f} MB/s)"
    )
    print(f"peak RSS of the parsing process: {peak_mb:.0f} MB (limit {LIMIT_MB} MB)")
    return 0 if peak_mb < LIMIT_MB else 1


if __name__ == "__main__":
    sys.exit(main())
