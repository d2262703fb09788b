"""Benchmark: docket reports per second the sandbox serves over TLS with keep-alive.

Starts the sandbox (2,000 synthetic cases, ~200,000 entries) in a child
process, logs in once, then drives it from this process with concurrent
keep-alive TLS connections POSTing multipart DktRpt.pl requests for synthetic
cases, and prints requests/s for several runs and their median.

    .venv/bin/python benchmarks/bench_sandbox.py [--connections 12] [--seconds 5] [--runs 5]

Target: >= 300 docket reports/s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import psutil

BOUNDARY = "----sandboxbench7d1f"


def start_sandbox(state_dir: Path, cases: int, mean_entries: int) -> tuple[subprocess.Popen, dict]:
    """Run ``harvester sandbox`` in a child process; return it and its config."""
    cmd = [
        sys.executable, "-m", "harvester.cli", "sandbox", "--port", "0", "--cases", str(cases),
        "--mean-entries", str(mean_entries), "--state-dir", str(state_dir), "--json",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line:
        proc.wait()
        raise SystemExit(f"sandbox did not start (exit code {proc.returncode})")
    return proc, json.loads(line)


def login(config: dict, ctx: ssl.SSLContext) -> str:
    """Log in once with the sandbox's test credentials; return the NextGenCSO token."""
    creds = config["credentials"]
    body = json.dumps({"loginId": creds["login_id"], "password": creds["password"]}).encode()
    req = urllib.request.Request(config["login_url"], body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=ctx) as resp:
        return json.load(resp)["nextGenCSO"]


def synthetic_cases(config: dict, ctx: ssl.SSLContext) -> list[dict]:
    """District and bankruptcy synthetic cases (those answered by DktRpt.pl)."""
    with urllib.request.urlopen(config["admin_url"] + "cases", context=ctx) as resp:
        cases = json.load(resp)
    return [c for c in cases if c["synthetic"] and c["kind"] in ("district", "bankruptcy")]


def request_bytes(config: dict, case: dict, token: str) -> bytes:
    """A complete multipart DktRpt.pl POST for one case (all entries, with parties)."""
    fields = {
        "all_case_ids": case["pacer_case_id"], "case_num": case["case_number"], "date_range_type": "Filed",
        "date_from": "1/1/1960", "date_to": "", "documents_numbered_from_": "", "documents_numbered_to_": "",
        "list_of_parties_and_counsel": "on", "terminated_parties": "on", "output_format": "html",
        "sort1": "oldest date first",
    }
    body = "".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()
    ) + f"--{BOUNDARY}--\r\n"
    url = urlsplit(config["court_url_template"].format(court=case["court"]) + "cgi-bin/DktRpt.pl?1-L_1_0-1")
    head = (
        f"POST {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {len(body)}\r\n"
        f"Cookie: NextGenCSO={token}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode() + body.encode()


async def client(host: str, port: int, ctx: ssl.SSLContext, requests: list[bytes], start: int,
                 deadline: float, counts: list[int], sizes: list[int]) -> None:
    """One keep-alive connection sending requests back to back until ``deadline``."""
    reader, writer = await asyncio.open_connection(host, port, ssl=ctx, server_hostname=host)
    i = start
    while time.perf_counter() < deadline:
        writer.write(requests[i % len(requests)])
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        body = await reader.readexactly(length)
        if status != 200 or b"Transaction Receipt" not in body[-3000:]:
            raise SystemExit(f"unexpected answer: HTTP {status}, {len(body)} bytes")
        counts[0] += 1
        sizes.append(length)
        i += 7
    writer.close()


async def run_once(config: dict, ctx: ssl.SSLContext, requests: list[bytes], connections: int, seconds: float):
    counts, sizes = [0], []
    deadline = time.perf_counter() + seconds
    began = time.perf_counter()
    await asyncio.gather(*(
        client(config["host"], config["port"], ctx, requests, n * 101, deadline, counts, sizes)
        for n in range(connections)
    ))
    elapsed = time.perf_counter() - began
    return counts[0], elapsed, statistics.mean(sizes) if sizes else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--mean-entries", type=int, default=100)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        t0 = time.perf_counter()
        proc, config = start_sandbox(Path(tmp), args.cases, args.mean_entries)
        startup = time.perf_counter() - t0
        try:
            ctx = ssl.create_default_context(cafile=config["ca_bundle"])
            token = login(config, ctx)
            cases = synthetic_cases(config, ctx)
            requests = [request_bytes(config, c, token) for c in cases]
            print(f"sandbox: {args.cases} synthetic cases (mean {args.mean_entries} entries), "
                  f"start-up {startup:.2f} s; {len(requests)} district/bankruptcy cases driven; "
                  f"{args.connections} keep-alive TLS connections, {os.cpu_count()} CPUs")
            asyncio.run(run_once(config, ctx, requests, args.connections, 1.0))  # warm-up
            server = psutil.Process(proc.pid)
            rates, cpu_ms = [], []
            for run in range(args.runs):
                cpu_before = sum(server.cpu_times()[:2])
                done, elapsed, mean_size = asyncio.run(run_once(config, ctx, requests, args.connections, args.seconds))
                cpu_ms.append((sum(server.cpu_times()[:2]) - cpu_before) * 1000 / max(done, 1))
                rates.append(done / elapsed)
                print(f"run {run + 1}: {rates[-1]:7.1f} docket reports/s (mean report {mean_size / 1024:.1f} KiB, "
                      f"server CPU {cpu_ms[-1]:.2f} ms/report)")
            median = statistics.median(rates)
            print(f"median: {median:.1f} docket reports/s; server CPU {statistics.median(cpu_ms):.2f} ms/report "
                  f"(target >= 300/s: {'met' if median >= 300 else 'NOT met'})")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
