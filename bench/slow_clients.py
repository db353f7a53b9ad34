#!/usr/bin/python3
"""2,000 slow clients, each sending one byte per second, are cut off by smtpd_timeout while a normal
client keeps getting its mail through.

ternd runs with `smtpd_timeout = 10s`. Three quarters of the slow clients trickle a command line after
the banner, the rest trickle a message line after DATA's 354; neither ever completes a line. Each one
measures the time until the server closes the connection, from the latest moment that surely precedes
the server's last reply (starting to connect, or sending DATA), and whether it said `421 4.4.2 ... Error:
timeout exceeded` first: the target is every one cut off between smtpd_timeout (less 0.2 s of clock
slack) and smtpd_timeout + 3 s. Meanwhile a normal client sends a message every 0.2 s and
measures the time from connecting until the message is in the Maildir, compared with the same figure
before the slow clients came (target: every message delivered, none slower than 1 s).

The slow clients come from 127.0.0.2 upwards, 50 per source address, within tern's per-client limit
(smtpd_client_connection_count_limit = 50); smtpd_connection_limit is raised in the config.

Usage: bench/slow_clients.py [--clients N] [--timeout S]
Writes its figures to bench/results/scale.md (section slow_clients.py). Exit status 0 when every target
is met. Loopback only; bounded in count and in time.
"""
import argparse
import asyncio
import os
import statistics
import sys
import threading
import time

import scalelib
from scalelib import log, verdict

LATENCY_TARGET_S = 1.0
LATE_MARGIN_S = 3.0
EARLY_MARGIN_S = 0.2  # clock and scheduling slack: the server must never cut before smtpd_timeout


async def slow_client(index, kind, source, port, semaphore, give_up_after, outcomes):
    """One client that trickles a line one byte per second and never ends it. Appends (kind, seconds
    until the server closed, the last line the server sent) to outcomes. The seconds count from a
    moment the server's deadline cannot precede (the connection's handshake, or the sending of DATA),
    so a busy client that reads replies late cannot make the server look early."""
    async with semaphore:
        try:
            # Taken before connecting: when the event loop is busy, it resumes this coroutine late,
            # and a time taken after the connection would be later than the server's banner.
            waiting_since = time.monotonic()
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0), limit=4096), 30)
            banner = await asyncio.wait_for(reader.readline(), 30)
            if not banner.startswith(b"220"):
                outcomes.append((kind, None, f"banner {banner[:60]!r}"))
                writer.close()
                return
            trickle = b"HELO " + b"x" * 200
            if kind == "data":
                for command, code in ((b"EHLO slow.bench.test", b"250"),
                                      (f"MAIL FROM:<slow{index}@bench.test>".encode(), b"250"),
                                      (f"RCPT TO:<{scalelib.USER}>".encode(), b"250"), (b"DATA", b"354")):
                    waiting_since = time.monotonic()  # the 354, and its deadline, come after this
                    writer.write(command + b"\r\n")
                    while True:
                        line = await asyncio.wait_for(reader.readline(), 30)
                        if line[3:4] != b"-":
                            break
                    if not line.startswith(code):
                        outcomes.append((kind, None, f"{command.decode()}: {line[:60]!r}"))
                        writer.close()
                        return
                trickle = b"Subject: " + b"y" * 200
        except (OSError, asyncio.TimeoutError) as error:
            outcomes.append((kind, None, f"set-up: {type(error).__name__}: {error}"))
            return

    async def send_slowly():
        for byte in trickle:
            try:
                writer.write(bytes([byte]))
                await writer.drain()
            except OSError:
                return
            await asyncio.sleep(1)

    sender = asyncio.create_task(send_slowly())
    last = b""
    try:
        while True:
            line = await asyncio.wait_for(reader.readline(), max(0.1, waiting_since + give_up_after - time.monotonic()))
            if not line:
                break
            last = line
        outcomes.append((kind, time.monotonic() - waiting_since, last.decode("utf-8", "replace").strip()))
    except asyncio.TimeoutError:
        outcomes.append((kind, None, "still open when the client gave up"))
    except OSError as error:
        outcomes.append((kind, time.monotonic() - waiting_since, f"{type(error).__name__}"))
    finally:
        sender.cancel()
        writer.close()


def normal_client(server, stop, latencies, failures, limit):
    """Sends a probe message every 0.2 s until `stop` is set (at most `limit` messages)."""
    number = 0
    while not stop.is_set() and number < limit:
        try:
            latencies.append(scalelib.probe_delivery(server, f"normal{number}")[1])
        except (OSError, scalelib.SmtpError) as error:
            failures.append(f"{type(error).__name__}: {error}")
        number += 1
        stop.wait(0.2)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(args):
    needed = args.clients + 200
    limit = scalelib.raise_descriptor_limit(needed)
    if limit < needed:
        sys.exit(f"slow_clients.py: the open-files limit is {limit}, below the {needed} this run needs")
    sources = [f"127.0.0.{2 + i // 50}" for i in range(args.clients)]
    server = scalelib.Ternd({
        "smtpd_timeout": f"{args.timeout}s",
        "smtpd_connection_limit": str(args.clients + 100),
        "smtpd_client_connection_count_limit": "50",
    })
    outcomes = []
    baseline, during, normal_failures = [], [], []
    try:
        server.start()
        for number in range(10):
            baseline.append(scalelib.probe_delivery(server, f"baseline{number}")[1])
        log(f"baseline: median {statistics.median(baseline) * 1000:.0f} ms, max {max(baseline) * 1000:.0f} ms "
            "from connect to Maildir")
        stop = threading.Event()
        normal = threading.Thread(target=normal_client, args=(server, stop, during, normal_failures, 1000))
        normal.start()
        semaphore = asyncio.Semaphore(200)
        data_clients = int(args.clients * args.data_share)
        started = time.monotonic()
        tasks = [slow_client(i, "data" if i < data_clients else "command", sources[i], server.port, semaphore,
                             args.timeout * 3 + 30, outcomes)
                 for i in range(args.clients)]
        log(f"{args.clients} slow clients ({data_clients} inside DATA), one byte per second each")
        await asyncio.gather(*tasks)
        log(f"every slow client ended after {time.monotonic() - started:.1f} s")
        stop.set()
        normal.join(timeout=60)
    finally:
        status = server.stop()
        server_log = server.log_text()
        server.cleanup()

    cut = [(kind, seconds, last) for kind, seconds, last in outcomes if seconds is not None]
    in_window = [s for _, s, _ in cut if args.timeout - EARLY_MARGIN_S <= s <= args.timeout + LATE_MARGIN_S]
    told = [last for _, _, last in cut if last.startswith("421 4.4.2") and "timeout exceeded" in last]
    problems = [f"{kind}: {last}" for kind, seconds, last in outcomes
                if seconds is None or not (args.timeout - EARLY_MARGIN_S <= seconds <= args.timeout + LATE_MARGIN_S)]
    seconds = [s for _, s, _ in cut] or [0]
    logged = server_log.count("timeout after")
    results = {
        "cut": len(in_window) == args.clients,
        "told": len(told) == args.clients,
        "normal": not normal_failures and bool(during) and max(during) < LATENCY_TARGET_S,
    }
    passed = all(results.values()) and status == 0
    lines = [
        "## slow_clients.py — clients sending one byte per second",
        "",
        f"- {scalelib.machine_facts()}",
        f"- {args.clients} slow clients from {len(set(sources))} source addresses (50 each), "
        f"{int(args.clients * args.data_share)} of them trickling inside DATA; `smtpd_timeout = {args.timeout}s`",
        "- a normal client sends a message every 0.2 s meanwhile; latency = connect until the file is in Maildir/new",
        "- other builds may share the CPUs: latencies are noisy",
        "",
        "| figure | measured | target | result |",
        "| --- | ---: | --- | --- |",
        f"| slow clients cut off {args.timeout - EARLY_MARGIN_S:g}–{args.timeout + LATE_MARGIN_S:g} s after their connection or DATA | {len(in_window)} of {args.clients} "
        f"(min {min(seconds):.1f} s, median {statistics.median(seconds):.1f} s, max {max(seconds):.1f} s) "
        f"| all | {verdict(results['cut'])} |",
        f"| told `421 4.4.2 ... Error: timeout exceeded` | {len(told)} (ternd logged {logged} timeouts) | all | "
        f"{verdict(results['told'])} |",
        f"| normal client before: median / max | {statistics.median(baseline) * 1000:.0f} / {max(baseline) * 1000:.0f} ms | | |",
        f"| normal client during: messages, median / p95 / max | {len(during)} delivered, "
        + (f"{statistics.median(during) * 1000:.0f} / {percentile(during, 0.95) * 1000:.0f} / {max(during) * 1000:.0f} ms"
           if during else "none") +
        f" ({len(normal_failures)} failed) | all delivered, max < {LATENCY_TARGET_S * 1000:.0f} ms | {verdict(results['normal'])} |",
        f"| ternd exit status on SIGTERM | {status} | 0 | {verdict(status == 0)} |",
        "",
        f"Overall: {verdict(passed)}" + (f"; first problems: {problems[:3]}" if problems else "") +
        (f"; normal client failures: {normal_failures[:3]}" if normal_failures else ""),
    ]
    scalelib.write_section("slow_clients.py", lines)
    print("\n".join(lines))
    return 0 if passed else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--timeout", type=int, default=10, help="smtpd_timeout in seconds")
    parser.add_argument("--data-share", type=float, default=0.25, help="share of slow clients inside DATA")
    args = parser.parse_args()
    if not 1 <= args.clients <= 12000 or not 2 <= args.timeout <= 120:
        sys.exit("slow_clients.py: --clients must be 1..12000 and --timeout 2..120")
    if not os.path.exists(scalelib.TERND):
        sys.exit(f"slow_clients.py: no ternd at {scalelib.TERND} (build first, or set TERND)")
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
