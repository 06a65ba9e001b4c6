#!/usr/bin/env python3
"""Measures vcc-conformance beside its peers and prints one table.

Run through `benches/run`, which installs the peers (Hurl, wrk, Prism) and builds
the release binary first. Every figure is measured here, in this run, on this
machine; nothing is copied from an earlier run.

  suite      the whole suite against the embedded server, one process from start
             to exit: the median of many runs, at the default depth and at
             --depth exhaustive (the derived cases of every form), and per case.
  per request  the same requests from vcc-conformance and from Hurl
             (`hurl --test`, status checks only) against one `vcc-conformance
             serve`, runs alternating; wall time divided by requests, for the
             suite at each depth. Hurl runs them twice: as one file (in order)
             and as one file per request (`--test` runs files in parallel); the
             faster counts.
  server     wrk (2 threads, 64 connections, 10 s) placing calls (201) on
             `vcc-conformance serve`, then on Prism's mock of schemas/openapi.yaml.
  memory     the server's resident memory after warm-up and after a million calls.
  build      a fresh clone's README commands, with their own target folder: the
             first (`cargo run -- run`, built and run), then the test command's
             build (`cargo test --no-run`; running the tests is not a build). Both
             use the dev profile, so the second reuses what the first built.
"""

import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "vcc-conformance")
LUA = os.path.join(ROOT, "benches", "place-call.lua")
TOKEN = "bench-token"


def fail(message):
    print(f"bench: {message}", file=sys.stderr)
    sys.exit(1)


def timed(cmd, timeout=120, **kw):
    """Wall seconds of one run; the command must succeed."""
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, **kw)
    took = time.perf_counter() - start
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).decode(errors="replace")[-2000:]
        fail(f"{' '.join(cmd[:3])} ... exited {done.returncode}:\n{tail}")
    return took


class Server:
    """A background server, stopped on exit; `url` once it listens."""

    def __init__(self, cmd, ready, timeout=60, cwd=None):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.log.seek(0)
            text = self.log.read().decode(errors="replace")
            found = re.search(ready, text)
            if found:
                self.url = found.group(1)
                return
            if self.proc.poll() is not None:
                fail(f"{cmd[0]} stopped before it listened:\n{text[-2000:]}")
            time.sleep(0.1)
        self.stop()
        fail(f"{cmd[0]} did not listen within {timeout} s")

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def serve():
    return Server([BIN, "serve", "--listen", "127.0.0.1:0"], r"(http://127\.0\.0\.1:\d+)")


def median_ms(samples):
    return statistics.median(samples) * 1000


# --- the suite, one process ---------------------------------------------------

def count_cases(depth):
    listed = subprocess.run([BIN, "run", "--list", "--depth", depth], stdout=subprocess.PIPE, check=True)
    return sum(1 for line in listed.stdout.decode().splitlines() if line.endswith(": test"))


def bench_suite(runs, depth):
    """Median milliseconds start to exit, and the number of cases."""
    cmd = [BIN, "run", "-q", "--depth", depth]
    for _ in range(3):
        timed(cmd)
    return median_ms([timed(cmd) for _ in range(runs)]), count_cases(depth)


# --- per request, against Hurl -------------------------------------------------

def split_hurl(path, folder):
    """One Hurl file per entry. Each entry opens with its `# name` comment line
    (a raw body, such as a multipart one, may hold blank lines itself)."""
    with open(path) as f:
        text = "\n" + f.read()
    entries = ["# " + e.strip("\n") for e in text.split("\n# ") if e.strip()]
    for i, entry in enumerate(entries):
        with open(os.path.join(folder, f"{i:05}.hurl"), "w") as f:
            f.write(entry + "\n")
    return len(entries)


def bench_hurl(hurl, depth, rounds):
    server = serve()
    work = tempfile.mkdtemp(prefix="vcc-bench-")
    try:
        ours = [BIN, "run", "-q", "--base-url", server.url, "--token", TOKEN, "--depth", depth]
        one_file = os.path.join(work, "suite.hurl")
        timed(ours + ["--export-hurl", one_file])
        files = os.path.join(work, "files")
        os.mkdir(files)
        requests = split_hurl(one_file, files)
        hurl_one = [hurl, "--test", "--variable", f"token={TOKEN}", one_file]
        hurl_many = [hurl, "--test", "--variable", f"token={TOKEN}"] + sorted(
            os.path.join(files, f) for f in os.listdir(files))
        commands = {"ours": ours, "hurl-one-file": hurl_one, "hurl-parallel": hurl_many}
        for cmd in commands.values():
            timed(cmd, timeout=300)
        samples = {name: [] for name in commands}
        for _ in range(rounds):
            for name, cmd in commands.items():
                samples[name].append(timed(cmd, timeout=300))
        per = {name: median_ms(s) * 1000 / requests for name, s in samples.items()}
        return requests, per
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


# --- the server under wrk -------------------------------------------------------

def wrk(url, seconds):
    out = subprocess.run(["wrk", "-t2", "-c64", f"-d{seconds}s", "--latency", "-s", LUA, url],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=seconds + 60)
    text = out.stdout.decode(errors="replace")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", text)
    count = re.search(r"(\d+) requests in", text)
    if out.returncode != 0 or not (rps and p99 and count):
        fail(f"wrk against {url} gave no figures:\n{text}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    return {
        "rps": float(rps.group(1)),
        "p99_ms": float(p99.group(1)) * scale,
        "requests": int(count.group(1)),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def bench_server(seconds, million):
    server = serve()
    try:
        wrk(server.url, 2)
        rss_warm = server.rss_kib()
        result = wrk(server.url, seconds)
        placed = result["requests"]
        while placed < million:
            extra = wrk(server.url, 10)
            placed += extra["requests"]
            result["non_2xx"] += extra["non_2xx"]
        result["placed"] = placed
        result["rss_warm_kib"] = rss_warm
        result["rss_end_kib"] = server.rss_kib()
        return result
    finally:
        server.stop()


def bench_prism(prism, seconds):
    with socket.socket() as probe:  # Prism takes no port 0: ask the system for a free one
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    server = Server([prism, "mock", os.path.join(ROOT, "schemas", "openapi.yaml"), "-h", "127.0.0.1", "-p", port],
                    r"Prism is listening on (http://127\.0\.0\.1:\d+)", timeout=120)
    try:
        wrk(server.url, 2)
        return wrk(server.url, seconds)
    finally:
        server.stop()


# --- a new user's first two commands ---------------------------------------------

# The README's first command as a new user types it, and the build of its test command.
FIRST_COMMAND = ["cargo", "run", "--", "run"]
TEST_BUILD = ["cargo", "test", "--no-run"]


def timed_with_cpu(cmd, **kw):
    """Wall seconds of one run, and the CPU seconds (user + sys) of it and everything it started."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = timed(cmd, **kw)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def test_binaries(clone, env):
    """How many test binaries `cargo test` links (each links the whole crate)."""
    done = subprocess.run(TEST_BUILD, cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    return len(re.findall(r"^\s*Executable ", done.stdout.decode(errors="replace"), re.M))


def bench_build(rev=None):
    """(wall, CPU) seconds of the README's first command and of its test command's
    build, in a fresh clone (at `rev`, else as committed), and the test binaries linked."""
    work = tempfile.mkdtemp(prefix="vcc-build-")
    try:
        clone = os.path.join(work, "clone")
        subprocess.run(["git", "clone", "-q", ROOT, clone], check=True, timeout=300)
        if rev:
            subprocess.run(["git", "-C", clone, "checkout", "-q", rev], check=True, timeout=60)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CARGO_TARGET_DIR", "VCC_", "CI", "NEXTEST"))}
        env["CARGO_TARGET_DIR"] = os.path.join(clone, "target")
        first = timed_with_cpu(FIRST_COMMAND, timeout=3600, cwd=clone, env=env)
        test = timed_with_cpu(TEST_BUILD, timeout=3600, cwd=clone, env=env)
        return first, test, test_binaries(clone, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def build_rows(row, figures, rev=None):
    """The fresh clone's build figures, as rows (at `rev`, when given)."""
    # The 2 cores may be shared: the load average beside the figure says how much,
    # and the CPU time (which a shared machine hardly changes) bounds the wall
    # time on an idle one.
    load_before = os.getloadavg()[0]
    (first, first_cpu), (test, test_cpu), binaries = bench_build(rev)
    load = max(load_before, os.getloadavg()[0])
    cpu = first_cpu + test_cpu
    at = f" at {rev}" if rev else ""
    figures[f"build{at}"] = {"first_command_s": first, "then_cargo_test_build_s": test, "cpu_s": cpu,
                             "test_cpu_s": test_cpu, "test_binaries": binaries, "load": load}
    row(f"fresh clone{at}: `cargo run -- run` + `cargo test`'s build",
        f"{(first + test) / 60:.1f} min ({first / 60:.1f} + {test / 60:.1f}; load {load:.1f})", "", "", "<= 3 min",
        first + test <= 180)
    row("  the same, CPU time (user + sys)", f"{cpu / 60:.1f} min", "", "", "<= 3 min", cpu <= 180)
    row("  of it, `cargo test`'s build (linking the test binaries)",
        f"{test_cpu / 60:.1f} min CPU, {binaries} test binaries", "", "", "", True)


# --- the table ------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hurl")
    parser.add_argument("--prism")
    parser.add_argument("--build-only", nargs="*", metavar="REV",
                        help="only the fresh clone's build, at each revision given (none: as committed); "
                             "e.g. --build-only 73a8075 HEAD compares a build before and after a change")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration (default 10)")
    parser.add_argument("--runs", type=int, default=30, help="runs of the suite (default 30)")
    parser.add_argument("--rounds", type=int, default=15, help="alternating rounds against Hurl (default 15)")
    parser.add_argument("--exhaustive-runs", type=int, default=5, help="runs of the suite at --depth exhaustive (default 5)")
    parser.add_argument("--calls", type=int, default=1_000_000, help="calls placed before memory is read again")
    parser.add_argument("--skip-build", action="store_true",
                        help="leave out the fresh clone's README commands (cargo run -- run, cargo test --no-run)")
    parser.add_argument("--json", help="also write the figures there")
    args = parser.parse_args()

    rows, figures = [], {}

    def row(figure, ours, peer, ratio, target, met):
        rows.append((figure, ours, peer, ratio, target, "yes" if met else "NO"))

    if args.build_only is not None:
        for rev in args.build_only or [None]:
            print(f"bench: a fresh clone's README commands{' at ' + rev if rev else ''} ...", file=sys.stderr)
            build_rows(row, figures, rev)
        return table(rows, figures, args)
    if not (args.hurl and args.prism):
        fail("--hurl and --prism are needed (benches/run gives them), unless --build-only")

    print("bench: the suite, one process ...", file=sys.stderr)
    suite, cases = bench_suite(args.runs, "default")
    deep, deep_cases = bench_suite(args.exhaustive_runs, "exhaustive")
    figures["suite_ms"], figures["suite_exhaustive_ms"] = suite, deep
    figures["cases"], figures["cases_exhaustive"] = cases, deep_cases
    row("suite, start to exit (median)", f"{suite:.1f} ms ({cases} cases)", "", "", "<= 50 ms", suite <= 50)
    row("  at --depth exhaustive", f"{deep:.0f} ms ({deep_cases} cases)", "", "", "", True)
    # The cost of a case must not grow with the suite (0.15 ms at 92 cases).
    for label, ms, n in (("default", suite, cases), ("exhaustive", deep, deep_cases)):
        row(f"  per case, {label}", f"{ms / n:.3f} ms", "", "", "<= 0.15 ms", ms / n <= 0.15)

    print("bench: per request, beside Hurl ...", file=sys.stderr)
    for depth in ("default", "exhaustive"):
        requests, per = bench_hurl(args.hurl, depth, args.rounds)
        peer_name = min(("hurl-one-file", "hurl-parallel"), key=per.get)
        ratio = per[peer_name] / per["ours"]
        figures[f"per_request_us_{requests}"] = per
        row(f"per request, {requests} requests (median)", f"{per['ours']:.0f} us",
            f"{per[peer_name]:.0f} us ({peer_name})", f"{ratio:.1f}x", ">= 3x less", ratio >= 3)

    print("bench: the server under wrk ...", file=sys.stderr)
    ours = bench_server(args.seconds, args.calls)
    prism = bench_prism(args.prism, args.seconds)
    figures["server"], figures["prism"] = ours, prism
    if ours["non_2xx"] or prism["non_2xx"]:
        fail(f"not every answer was a 201: ours {ours['non_2xx']}, Prism {prism['non_2xx']}")
    ratio = ours["rps"] / prism["rps"]
    row("server: 201s per second (wrk -t2 -c64)", f"{ours['rps']:,.0f}/s", f"{prism['rps']:,.0f}/s (Prism)",
        f"{ratio:.0f}x", ">= 30x", ratio >= 30)
    row("server: p99 latency", f"{ours['p99_ms']:.2f} ms", f"{prism['p99_ms']:.2f} ms (Prism)", "", "<= 2 ms",
        ours["p99_ms"] <= 2)
    growth = (ours["rss_end_kib"] - ours["rss_warm_kib"]) / 1024
    row(f"server: memory growth over {ours['placed']:,} calls",
        f"{growth:+.1f} MiB ({ours['rss_warm_kib'] // 1024} -> {ours['rss_end_kib'] // 1024} MiB)", "", "",
        "flat (<= 4 MiB)", growth <= 4)

    if not args.skip_build:
        print("bench: a fresh clone's README commands (cargo run -- run, then cargo test --no-run) ...", file=sys.stderr)
        build_rows(row, figures)
    return table(rows, figures, args)


def table(rows, figures, args):
    """Prints the table (and the JSON figures); 1 when a target is missed."""
    head = ("figure", "ours", "peer", "ratio", "target", "met")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
    print(line(head))
    print(line(["-" * w for w in widths]))
    for r in rows:
        print(line(r))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
    return 0 if all(r[5] == "yes" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
