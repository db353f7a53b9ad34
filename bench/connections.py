#!/usr/bin/python3
"""10,000 concurrent idle SMTP connections (each after EHLO) against one ternd, and a separate client
that must still get a message delivered into the Maildir within 1 s.

Measures ternd's resident memory (VmRSS from /proc/PID/status) before the connections and while they
are all held; the growth divided by the count is the cost of an idle connection (target: under 200 MiB
in all, 20 KiB each). The connections come from 127.0.0.2 upwards, CONNECTIONS_PER_ADDRESS per source
address, so tern's per-client limit (smtpd_client_connection_count_limit, default 50) stays in force;
smtpd_connection_limit (default 5000, the whole server) is raised in the config to hold them all.

Usage: bench/connections.py [--connections N] [--per-address K] [--time-limit S]
Writes its figures to bench/results/scale.md (section connections.py). Exit status 0 when every target
is met. Loopback only; bounded in count and in time.
"""
import argparse
import asyncio
import os
import statistics
import sys
import time

import scalelib
from scalelib import log

RSS_TARGET_MIB = 200
PER_CONNECTION_TARGET_KIB = 20
DELIVERY_TARGET_S = 1.0


async def open_idle(index, source, port, semaphore, held, failures, deadline):
    """Connects from `source`, reads the banner, says EHLO and keeps the connection open."""
    async with semaphore:
        if time.monotonic() > deadline:
            failures.append("time limit reached before connecting")
            return
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0), limit=4096), 30)
            banner = await asyncio.wait_for(reader.readline(), 30)
            if not banner.startswith(b"220"):
                failures.append(f"banner: {banner[:80]!r}")
                writer.close()
                return
            writer.write(f"EHLO idle{index}.bench.test\r\n".encode())
            while True:
                line = await asyncio.wait_for(reader.readline(), 30)
                if not line.startswith(b"250"):
                    failures.append(f"EHLO: {line[:80]!r}")
                    writer.close()
                    return
                if line[3:4] == b" ":
                    break
            held.append((reader, writer))
        except (OSError, asyncio.TimeoutError) as error:
            failures.append(f"{type(error).__name__}: {error}")


async def still_alive(held, sample):
    """NOOP on a sample of the held connections: each must still answer 250."""
    alive = 0
    step = max(1, len(held) // sample)
    for reader, writer in held[::step][:sample]:
        try:
            writer.write(b"NOOP\r\n")
            line = await asyncio.wait_for(reader.readline(), 10)
            alive += line.startswith(b"250")
        except (OSError, asyncio.TimeoutError):
            pass
    return alive, min(sample, len(held[::step]))


async def run(args):
    needed = args.connections + 200
    limit = scalelib.raise_descriptor_limit(needed)
    log(f"client open-files limit: {limit}")
    if limit < needed:
        sys.exit(f"connections.py: the open-files limit is {limit}, below the {needed} this run needs "
                 "(raise the hard limit: ulimit -Hn, or run as root)")
    addresses = -(-args.connections // args.per_address)
    if addresses > 250:
        sys.exit("connections.py: more than 250 source addresses needed; raise --per-address")
    sources = [f"127.0.0.{2 + i}" for i in range(addresses)]

    server = scalelib.Ternd({
        "smtpd_connection_limit": str(args.connections + 100),
        "smtpd_client_connection_count_limit": str(args.per_address),
        "smtpd_timeout": "600s",  # idle connections must outlive the run
    })
    figures = {}
    held = []
    failures = []
    try:
        server.start()
        opened_line = [line for line in server.log_text().splitlines() if "open files" in line]
        figures["limit_log"] = opened_line[0].split(": ", 1)[-1] if opened_line else "(not logged)"
        # Warm up: the first delivery allocates what every later one reuses (threads, buffers).
        for number in range(3):
            scalelib.probe_delivery(server, f"warm{number}")
        time.sleep(1)
        scalelib.reset_peak(server.pid)
        before = scalelib.proc_status(server.pid)
        log(f"ternd pid {server.pid}: VmRSS {before['VmRSS']} KiB before the connections")

        semaphore = asyncio.Semaphore(args.concurrency)
        deadline = time.monotonic() + args.time_limit
        started = time.monotonic()
        tasks = [open_idle(i, sources[i // args.per_address], server.port, semaphore, held, failures, deadline)
                 for i in range(args.connections)]
        await asyncio.gather(*tasks)
        figures["open_seconds"] = time.monotonic() - started
        log(f"{len(held)} connections open after EHLO in {figures['open_seconds']:.1f} s, {len(failures)} failed")
        await asyncio.sleep(2)  # let every session settle into its idle read
        during = scalelib.proc_status(server.pid)
        figures["descriptors"] = scalelib.open_descriptors(server.pid)
        log(f"VmRSS {during['VmRSS']} KiB with them held; {figures['descriptors']} descriptors open in ternd")

        probes = []
        for number in range(args.probes):
            # a blocking client in a thread, so the held connections stay serviced by this loop
            probes.append(await asyncio.to_thread(scalelib.probe_delivery, server, f"busy{number}"))
        log("probe deliveries (accepted, in Maildir) s: " +
            ", ".join(f"({a:.3f}, {d:.3f})" for a, d in probes))
        alive, sampled = await still_alive(held, 200)
        log(f"{alive} of {sampled} sampled idle connections still answer NOOP")
        after = scalelib.proc_status(server.pid)
    finally:
        for _, writer in held:
            writer.close()
        await asyncio.sleep(0.5)
        status = server.stop()
        server_log = server.log_text()
        server.cleanup()

    growth_kib = during["VmRSS"] - before["VmRSS"]
    per_connection = growth_kib / max(1, len(held))
    delivered = [d for _, d in probes]
    all_held = len(held) == args.connections
    results = {
        "held": all_held and alive == sampled,
        "rss": growth_kib / 1024 < RSS_TARGET_MIB and per_connection < PER_CONNECTION_TARGET_KIB,
        "delivery": max(delivered) < DELIVERY_TARGET_S,
    }
    passed = all(results.values()) and status == 0
    timeouts = server_log.count("timeout after")
    lines = [
        "## connections.py — idle connections",
        "",
        f"- {scalelib.machine_facts()}",
        f"- {args.connections} connections after EHLO from {len(sources)} source addresses "
        f"(127.0.0.2–{sources[-1]}, {args.per_address} each, within `smtpd_client_connection_count_limit = "
        f"{args.per_address}`); `smtpd_connection_limit = {args.connections + 100}` (default 5000); "
        f"{args.concurrency} connecting at a time",
        f"- ternd: {figures.get('limit_log')}",
        "- other builds may share the CPUs: the time figures are noisy, the memory figures are not",
        "",
        "| figure | measured | target | result |",
        "| --- | ---: | --- | --- |",
        f"| connections held after EHLO | {len(held)} of {args.connections} ({len(failures)} failed, "
        f"{alive}/{sampled} sampled answer NOOP) | all | {verdict(results['held'])} |",
        f"| time to open them | {figures['open_seconds']:.1f} s | – | |",
        f"| ternd VmRSS before → held | {before['VmRSS'] / 1024:.1f} → {during['VmRSS'] / 1024:.1f} MiB | | |",
        f"| RSS growth | {growth_kib / 1024:.1f} MiB | < {RSS_TARGET_MIB} MiB | {verdict(results['rss'])} |",
        f"| per idle connection | {per_connection:.1f} KiB | < {PER_CONNECTION_TARGET_KIB} KiB | |",
        f"| ternd descriptors open | {figures['descriptors']} | | |",
        f"| probe message in Maildir (max of {len(delivered)}) | {max(delivered) * 1000:.0f} ms "
        f"(median {statistics.median(delivered) * 1000:.0f} ms; 250 after {max(a for a, _ in probes) * 1000:.0f} ms) "
        f"| < {DELIVERY_TARGET_S * 1000:.0f} ms | {verdict(results['delivery'])} |",
        f"| ternd VmHWM (reset before the connections) at the end | {after['VmHWM'] / 1024:.1f} MiB | | |",
        f"| ternd exit status on SIGTERM | {status} | 0 | {verdict(status == 0)} |",
        "",
        f"Overall: {verdict(passed)}" + (f"; first failures: {failures[:3]}" if failures else "") +
        (f"; {timeouts} sessions timed out" if timeouts else ""),
    ]
    scalelib.write_section("connections.py", lines)
    print("\n".join(lines))
    return 0 if passed else 1


verdict = scalelib.verdict


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--per-address", type=int, default=50,
                        help="connections per 127.0.0.x source address (and the per-client limit)")
    parser.add_argument("--concurrency", type=int, default=200, help="connections being opened at once")
    parser.add_argument("--probes", type=int, default=5, help="probe messages sent while they are held")
    parser.add_argument("--time-limit", type=float, default=300, help="seconds allowed to open them")
    args = parser.parse_args()
    if not 1 <= args.connections <= 60000:
        sys.exit("connections.py: --connections must be 1..60000")
    if not os.path.exists(scalelib.TERND):
        sys.exit(f"connections.py: no ternd at {scalelib.TERND} (build first, or set TERND)")
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
