#!/usr/bin/env python3
"""A fleet of simulated hosts polling a signed prov document (issue 13).

Each simulated host behaves like provd's document sync on the wire: a
conditional GET (If-None-Match with the ETag it holds, Accept-Encoding:
gzip) every refresh_interval +- refresh_jitter (uniform, as provd's timer),
a new TLS connection per poll, and after a 200 the detached signature
(<url>.sig). Hosts start in steady state (holding the current document, first
poll at a random phase). At --publish-at the publish command runs (e.g.
prov-publish build); the moment it returns is t. Each host "holds" the
revocation when it has the new document and its signature; the report is
the distribution of that moment after t, the request rate, and the bytes.

It does not verify or parse (the host's CPU for that is bench/run-signed.sh's
figure); it measures what the fleet costs the server and how fast a change
reaches it. --timescale S divides every interval by S (a compressed run).
"""
import argparse
import asyncio
import json
import random
import ssl
import subprocess
import sys
import time
from urllib.parse import urlparse


async def get(host, port, ctx, path, etag):
    reader, writer = await asyncio.open_connection(host, port, ssl=ctx, server_hostname=host)
    try:
        req = "GET %s HTTP/1.1\r\nHost: %s\r\nAccept-Encoding: gzip\r\nConnection: close\r\n" % (path, host)
        if etag:
            req += "If-None-Match: %s\r\n" % etag
        writer.write((req + "\r\n").encode())
        status = int((await reader.readline()).split()[1])
        headers = {}
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        body = await reader.read()
        return status, headers.get("etag"), len(body)
    finally:
        writer.close()


class Fleet:
    def __init__(self, a):
        self.a = a
        u = urlparse(a.url)
        self.host, self.port, self.path = u.hostname, u.port or 443, u.path
        self.ctx = ssl.create_default_context(cafile=a.ca)
        self.stats = {"requests": 0, "200": 0, "304": 0, "errors": 0, "bytes": 0}
        self.t_pub = None
        self.old_etag = None
        self.holds = {}
        self.stop = False

    async def poll(self, h, etag):
        try:
            status, new_etag, n = await get(self.host, self.port, self.ctx, self.path, etag)
            self.stats["requests"] += 1
            self.stats["bytes"] += n
            if status == 304:
                self.stats["304"] += 1
                return etag
            if status != 200:
                self.stats["errors"] += 1
                return etag
            self.stats["200"] += 1
            sstatus, _, sn = await get(self.host, self.port, self.ctx, self.path + ".sig", None)
            self.stats["requests"] += 1
            self.stats["bytes"] += sn
            if sstatus != 200:
                self.stats["errors"] += 1
                return etag
            if new_etag != self.old_etag and self.t_pub is not None and h not in self.holds:
                self.holds[h] = time.monotonic() - self.t_pub
            return new_etag
        except (OSError, ValueError, IndexError, ssl.SSLError):
            self.stats["errors"] += 1
            return etag

    async def host_loop(self, h, rng):
        a = self.a
        interval = a.interval / a.timescale
        etag = self.old_etag
        await asyncio.sleep(rng.uniform(0, interval))
        while not self.stop:
            etag = await self.poll(h, etag)
            await asyncio.sleep(interval * rng.uniform(1 - a.jitter, 1 + a.jitter))

    async def run(self):
        a = self.a
        status, self.old_etag, _ = await get(self.host, self.port, self.ctx, self.path, None)
        if status != 200 or not self.old_etag:
            sys.exit("the document is not served (HTTP %d) or has no ETag" % status)
        rng = random.Random(a.seed)
        t0 = time.monotonic()
        tasks = [asyncio.create_task(self.host_loop(h, random.Random(rng.random()))) for h in range(a.hosts)]
        await asyncio.sleep(a.publish_at / a.timescale)
        before = dict(self.stats)
        t_before_pub = time.monotonic()
        proc = await asyncio.create_subprocess_shell(a.publish_cmd)
        if await proc.wait() != 0:
            sys.exit("the publish command failed")
        self.t_pub = time.monotonic()
        await asyncio.sleep(a.observe / a.timescale)
        self.stop = True
        t_end = time.monotonic()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        steady_s = t_before_pub - t0
        d = sorted(v * a.timescale for v in self.holds.values())  # back to the real time scale

        def pct(p):
            return round(d[min(len(d) - 1, int(p * len(d)))], 2) if d else None
        target = a.interval * (1 + a.jitter)
        out = {
            "hosts": a.hosts, "interval_s": a.interval, "jitter": a.jitter, "timescale": a.timescale,
            "steady_requests_per_s": round(before["requests"] / steady_s, 1),
            "steady_304_share": round(before["304"] / max(1, before["requests"]), 4),
            "requests": self.stats["requests"], "responses_200": self.stats["200"],
            "responses_304": self.stats["304"], "errors": self.stats["errors"],
            "bytes_after_publish": self.stats["bytes"] - before["bytes"],
            "run_s": round(t_end - t0, 1),
            "revocation_s": {"hosts_holding": len(d), "min": pct(0), "p50": pct(0.5), "p90": pct(0.9),
                             "p99": pct(0.99), "max": pct(1.0) if d else None,
                             "target": round(target, 2),
                             "within_target": sum(1 for v in d if v <= target)},
        }
        print(json.dumps(out))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--hosts", type=int, default=2000)
    p.add_argument("--interval", type=float, default=30)
    p.add_argument("--jitter", type=float, default=0.10)
    p.add_argument("--publish-at", type=float, default=40, help="seconds (real scale) after start")
    p.add_argument("--observe", type=float, default=40, help="seconds (real scale) after publishing")
    p.add_argument("--publish-cmd", required=True)
    p.add_argument("--timescale", type=float, default=1)
    p.add_argument("--seed", type=int, default=13)
    asyncio.run(Fleet(p.parse_args()).run())


if __name__ == "__main__":
    main()
