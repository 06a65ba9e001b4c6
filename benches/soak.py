#!/usr/bin/env python3
"""Soak: the reference server as a shared mock under hostile clients.

Run through `benches/soak`, which raises the open-file limit, installs wrk and
builds the release binary first. Everything is on 127.0.0.1.

  1. `vcc-conformance serve` starts with its default limits; wrk places calls
     alone for 5 s (a warm-up, and the p99 to compare with), and the server's
     resident memory is read: "before".
  2. The hostile clients connect, each kind from its own loopback address
     (127.0.0.2 to .4: other clients, each with its own share of the server's
     connections), and are held open:
       idle         connections that never send a byte;
       slowloris    connections that send a request head one byte a second
                    (and reconnect when the server cuts them off);
       half-closing clients that send a call, shut their write side, read the
                    answer, wait a second, and do it again.
  3. While they are held, wrk places calls (the honest clients: -t2 -c64); its
     errors (non-201 answers, socket errors) and p99 are the figures, and
     resident memory is sampled: "during" is the highest.
  4. The hostile clients go; a few seconds later resident memory is read again:
     "after".

Target: 0 honest errors while the hostile connections are held, and "after"
within 10% of "before". Exit 1 when missed.
"""

import argparse
import asyncio
import json
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import BIN, Server, wrk  # noqa: E402  (the same server handling and wrk run as benches/run)

BODY = b'{"from":{"agentId":"1234"},"to":{"telephoneNumber":"02072068888"}}'
CALL = (b"POST /v0/a1b2c3d4e5/calls/ HTTP/1.1\r\nHost: soak\r\nAuthorization: Bearer soak\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY))


# The loopback address each kind of hostile client connects from.
SOURCES = {"idle": "127.0.0.2", "slowloris": "127.0.0.3", "half_closing": "127.0.0.4"}


def connections(server):
    """Established TCP connections the server holds (its sockets, less the listener)."""
    sockets = 0
    for fd in os.listdir(f"/proc/{server.proc.pid}/fd"):
        try:
            sockets += os.readlink(f"/proc/{server.proc.pid}/fd/{fd}").startswith("socket:")
        except OSError:  # closed since the listing
            pass
    return sockets - 1


def socket_errors(result):
    """The number of wrk's socket errors (connect, read, write, timeout)."""
    return sum(int(n) for n in re.findall(r"\d+", result["socket_errors"]))


class Hostile:
    """The hostile clients, on an asyncio loop in a thread of their own."""

    def __init__(self, host, port, idle, slowloris, half_closing):
        self.host, self.port = host, port
        self.counts = {"idle": idle, "slowloris": slowloris, "half_closing": half_closing}
        self.open = {name: 0 for name in self.counts}
        self.stats = {"idle_cut": 0, "slowloris_cut": 0, "half_close_answered": 0, "half_close_lost": 0,
                      "refused_503": 0, "connect_failed": 0}
        self.loop = asyncio.new_event_loop()
        self.stopping = None
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self.main(),), daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.loop.call_soon_threadsafe(self.stopping.set)
        self.thread.join(timeout=30)

    def held(self):
        return sum(self.open.values())

    async def connect(self, kind):
        try:
            # Each kind of hostile client from an address of its own (as other
            # hosts would be), so that each holds its own share of the server's
            # connections and wrk's calls, from 127.0.0.1, another.
            return await asyncio.open_connection(self.host, self.port, local_addr=(SOURCES[kind], 0))
        except OSError:
            self.stats["connect_failed"] += 1
            await asyncio.sleep(0.5)
            return None

    async def keep(self, kind, body):
        """Holds one connection of `kind` open, again and again, until stopping."""
        while not self.stopping.is_set():
            conn = await self.connect(kind)
            if conn is None:
                continue
            reader, writer = conn
            self.open[kind] += 1
            try:
                await body(reader, writer)
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                self.open[kind] -= 1
                writer.close()

    async def idle(self, reader, writer):
        stop = asyncio.ensure_future(self.stopping.wait())
        read = asyncio.ensure_future(reader.read(4096))
        await asyncio.wait([stop, read], return_when=asyncio.FIRST_COMPLETED)
        if read.done():
            self.stats["idle_cut"] += 1
            self.stats["refused_503"] += b" 503 " in (read.result() or b"")[:16]
        for task in (stop, read):
            task.cancel()

    async def slowloris(self, reader, writer):
        head = CALL.split(b"\r\n\r\n")[0]
        writer.write(head[:20])
        await writer.drain()
        closed = asyncio.ensure_future(reader.read(4096))
        stop = asyncio.ensure_future(self.stopping.wait())
        try:
            for byte in head[20:]:
                done, _ = await asyncio.wait([closed, stop], timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
                if stop in done:
                    return
                if closed in done:
                    self.stats["slowloris_cut"] += 1
                    return
                writer.write(bytes([byte]))
                await writer.drain()
        finally:
            closed.cancel()
            stop.cancel()

    async def half_close(self, reader, writer):
        writer.write(CALL)
        await writer.drain()
        writer.write_eof()
        answer = await asyncio.wait_for(reader.read(), timeout=10)
        if answer.startswith(b"HTTP/1.1 201"):
            self.stats["half_close_answered"] += 1
        else:
            self.stats["half_close_lost"] += 1
            self.stats["refused_503"] += answer.startswith(b"HTTP/1.1 503")
        try:
            await asyncio.wait_for(self.stopping.wait(), timeout=1.0)
        except asyncio.TimeoutError:
            pass

    async def main(self):
        self.stopping = asyncio.Event()
        kinds = [("idle", self.idle), ("slowloris", self.slowloris), ("half_closing", self.half_close)]
        tasks = []
        for kind, body in kinds:
            for _ in range(self.counts[kind]):
                tasks.append(asyncio.ensure_future(self.keep(kind, body)))
                if len(tasks) % 100 == 0:
                    await asyncio.sleep(0.01)  # do not overflow the listen backlog
        await self.stopping.wait()
        await asyncio.gather(*tasks, return_exceptions=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15, help="wrk's run beside the hostile clients (default 15)")
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--slowloris", type=int, default=500)
    parser.add_argument("--half-closing", type=int, default=200)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds after the hostile clients go (default 5)")
    parser.add_argument("--json", help="also write the figures there")
    parser.add_argument("serve_args", nargs="*", help="extra `serve` options, after --")
    args = parser.parse_args()

    server = Server([BIN, "serve", "--listen", "127.0.0.1:0"] + args.serve_args, r"(http://127\.0\.0\.1:\d+)")
    host, port = server.url[len("http://"):].split(":")
    hostile = None
    try:
        alone = wrk(server.url, 5)
        time.sleep(0.5)
        before = server.rss_kib()

        hostile = Hostile(host, int(port), args.idle, args.slowloris, args.half_closing)
        hostile.start()
        wanted = args.idle + args.slowloris + args.half_closing
        deadline = time.time() + 30
        while hostile.held() < wanted * 0.95 and time.time() < deadline:
            time.sleep(0.1)
        held_at_start = hostile.held()
        server_conns_at_start = connections(server)

        samples = []
        sampling = threading.Event()

        def sample():
            while not sampling.is_set():
                samples.append((server.rss_kib(), hostile.held(), connections(server)))
                sampling.wait(0.5)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        honest = wrk(server.url, args.seconds)
        sampling.set()
        sampler.join()
        during = max(s[0] for s in samples)
        held_min = min(s[1] for s in samples)

        hostile.stop()
        time.sleep(args.settle)
        after = server.rss_kib()
        conns_after = connections(server)
        server.log.seek(0)
        log = server.log.read().decode(errors="replace")
    finally:
        if hostile and hostile.thread.is_alive():
            hostile.stop()
        server.stop()

    honest["socket_errors"] = socket_errors(honest)
    errors = honest["non_2xx"] + honest["socket_errors"]
    growth = (after - before) / before
    figures = {
        "hostile": {"idle": args.idle, "slowloris": args.slowloris, "half_closing": args.half_closing,
                    "held_when_wrk_started": held_at_start, "held_at_least": held_min,
                    "server_connections_when_wrk_started": server_conns_at_start, **hostile.stats},
        "honest": honest,
        "honest_alone": alone,
        "rss_kib": {"before": before, "during_max": during, "after": after},
        "server_connections_after": conns_after,
        "refusal_log_lines": log.count("--max-connections"),
    }
    rows = [
        ("hostile connections held while wrk ran",
         f"{held_min}..{max(s[1] for s in samples)} of {args.idle + args.slowloris + args.half_closing}", ""),
        ("honest: calls placed (wrk -t2 -c64)", f"{honest['requests']:,} ({honest['rps']:,.0f}/s)", ""),
        ("honest: errors", f"{errors} ({honest['non_2xx']} non-2xx, {honest['socket_errors']} socket)", "0"),
        ("honest: p99 latency", f"{honest['p99_ms']:.2f} ms (alone, before: {alone['p99_ms']:.2f} ms)", ""),
        ("half-closing: answered / lost",
         f"{hostile.stats['half_close_answered']} / {hostile.stats['half_close_lost']}", "0 lost"),
        ("slowloris cut off by the header timeout", f"{hostile.stats['slowloris_cut']}", ""),
        ("resident memory before / during / after",
         f"{before / 1024:.1f} / {during / 1024:.1f} / {after / 1024:.1f} MiB ({growth:+.1%})", "after within 10%"),
    ]
    width = max(len(r[0]) for r in rows)
    for figure, value, target in rows:
        print(f"{figure.ljust(width)}  {value}" + (f"   (target: {target})" if target else ""))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
    met = errors == 0 and hostile.stats["half_close_lost"] == 0 and abs(growth) <= 0.10
    print("soak: target met" if met else "soak: TARGET MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
