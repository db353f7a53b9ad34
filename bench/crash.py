#!/usr/bin/python3
"""Crash test: a steady stream of deliveries while ternd is killed with SIGKILL at random moments and
restarted. At the end every message that got a 250 must be in each recipient's Maildir exactly once
(counted by Message-ID), and the spool must hold nothing once the queue has drained.

Several client threads send messages to two local users, each with a Message-ID never used before
(a fresh one per attempt, so a message whose 250 was lost in a crash cannot be told apart from a
duplicate only by resending it). A message counts as acknowledged once its 250 was read, and as in
doubt when the connection broke after its final dot but before the 250: SMTP allows those to arrive
(once) or not. After the last restart the clients stop, the queue drains, ternd stops with SIGTERM,
and the Maildirs and the spool are inspected. Losses (acknowledged, not delivered) and duplicates
(delivered more than once) are reported separately.

Usage: bench/crash.py [--kills N] [--clients N] [--seed S]
Writes its figures to bench/results/scale.md (section crash.py). Exit status 0 when nothing was lost
or duplicated and the spool is empty. Loopback only; bounded in count and in time.
"""
import argparse
import collections
import os
import random
import re
import socket
import sys
import threading
import time

import scalelib
from scalelib import log, verdict

RECIPIENTS = [scalelib.USER, f"second@{scalelib.DOMAIN}"]
MESSAGE_ID = re.compile(rb"(?im)^Message-ID:\s*<([^>\r\n]+)>")


class Ledger:
    """What the clients know: which Message-IDs got a 250, and which are in doubt."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acknowledged = set()
        self.in_doubt = set()
        self.refused = collections.Counter()  # replies other than 250 at end of data

    def count(self):
        with self.lock:
            return len(self.acknowledged)


def client(number, port, stop, ledger, limit):
    """Sends messages over connections of up to 10 messages each until `stop` (at most `limit`
    messages), reconnecting while ternd is down."""
    sequence = 0
    while not stop.is_set() and sequence < limit:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            stop.wait(0.05)  # down: being restarted
            continue
        reader = sock.makefile("rb")

        def expect(code):
            while True:
                line = reader.readline(4096)
                if not line:
                    raise ConnectionError("closed")
                if line[3:4] != b"-":
                    break
            if not line.startswith(code):
                raise ValueError(line.decode("utf-8", "replace").strip())

        try:
            expect(b"220")
            sock.sendall(b"EHLO crash.bench.test\r\n")
            expect(b"250")
            for _ in range(10):
                if stop.is_set() or sequence >= limit:
                    break
                message_id = f"crash-{number}-{sequence}@bench.test"
                sequence += 1
                sock.sendall(b"MAIL FROM:<crash@bench.test>\r\n")
                expect(b"250")
                for recipient in RECIPIENTS:
                    sock.sendall(f"RCPT TO:<{recipient}>\r\n".encode())
                    expect(b"250")
                sock.sendall(b"DATA\r\n")
                expect(b"354")
                body = f"Message-ID: <{message_id}>\r\nSubject: crash test {sequence}\r\n\r\n" + "x" * 2000 + "\r\n"
                try:
                    sock.sendall(body.encode() + b".\r\n")
                    expect(b"250")
                except (OSError, ConnectionError):
                    with ledger.lock:
                        ledger.in_doubt.add(message_id)
                    raise
                except ValueError as refusal:
                    with ledger.lock:
                        ledger.refused[str(refusal)[:40]] += 1
                    continue
                with ledger.lock:
                    ledger.acknowledged.add(message_id)
            sock.sendall(b"QUIT\r\n")
        except (OSError, ConnectionError, ValueError):
            pass
        finally:
            sock.close()


def delivered_ids(maildir):
    """Message-ID -> number of files carrying it, over new/ and cur/."""
    counts = collections.Counter()
    for sub in ("new", "cur"):
        folder = os.path.join(maildir, sub)
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            continue
        for name in names:
            with open(os.path.join(folder, name), "rb") as message:
                found = MESSAGE_ID.search(message.read(8192))
            counts[found.group(1).decode() if found else f"(no Message-ID: {name})"] += 1
    return counts


def wait_until_drained(server, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not server.spool_files():
            return True
        time.sleep(0.1)
    return False


def run(args):
    chance = random.Random(args.seed)
    server = scalelib.Ternd({
        # Nothing should be deferred; if something is, it must still drain within the run.
        "minimal_backoff_time": "1s", "maximal_backoff_time": "2s", "queue_run_delay": "1s",
    }, users=RECIPIENTS)
    ledger = Ledger()
    stop = threading.Event()
    kill_times = []
    try:
        server.start()
        clients = [threading.Thread(target=client, args=(n, server.port, stop, ledger, 100000))
                   for n in range(args.clients)]
        for thread in clients:
            thread.start()
        started = time.monotonic()
        for kill in range(args.kills):
            # A random moment, after at least a few more 250s, so every run of ternd did some work.
            at_least = ledger.count() + 5
            wait_deadline = time.monotonic() + 20
            while ledger.count() < at_least and time.monotonic() < wait_deadline:
                time.sleep(0.01)
            time.sleep(chance.uniform(0.05, args.max_gap))
            kill_times.append(time.monotonic() - started)
            server.kill()
            log(f"kill {kill + 1}/{args.kills} at {kill_times[-1]:.2f} s: {ledger.count()} acknowledged so far")
            server.start()
        time.sleep(1)
        stop.set()
        for thread in clients:
            thread.join(timeout=30)
        drained = wait_until_drained(server, args.drain_seconds)
        status = server.stop()
        leftovers = server.spool_files()
        deliveries = {recipient: delivered_ids(server.maildir(recipient)) for recipient in RECIPIENTS}
        # Maildir tmp/ files of deliveries a kill interrupted: harmless (never in new/, and Maildir
        # readers remove old tmp/ files), but worth knowing.
        stale_tmp = sum(len(os.listdir(os.path.join(server.maildir(r), "tmp")))
                        for r in RECIPIENTS if os.path.isdir(os.path.join(server.maildir(r), "tmp")))
        server_log = server.log_text()
    finally:
        stop.set()
        server.cleanup()

    acknowledged = ledger.acknowledged
    rows = []
    lost_total = duplicated_total = 0
    for recipient, counts in deliveries.items():
        lost = sorted(acknowledged - set(counts))
        duplicated = sorted(i for i, n in counts.items() if n > 1)
        doubtful_delivered = len(ledger.in_doubt & set(counts))
        unknown = sorted(set(counts) - acknowledged - ledger.in_doubt)
        lost_total += len(lost)
        duplicated_total += len(duplicated)
        rows.append(f"| {recipient} | {sum(counts.values())} | {len(lost)} | {len(duplicated)} | "
                    f"{doubtful_delivered} of {len(ledger.in_doubt)} | {len(unknown)} |")
        if lost:
            log(f"{recipient}: LOST {lost[:10]}")
        if duplicated:
            log(f"{recipient}: DUPLICATED {duplicated[:10]}")
        if unknown:
            log(f"{recipient}: unknown ids {unknown[:10]}")
    recovered = len(re.findall(r"recovered \d+ messages", server_log))
    removed_incoming = server_log.count("removed unfinished incoming file")
    corrupt = server_log.count("moved to corrupt/")
    deferred = server_log.count("status=deferred")
    passed = (lost_total == 0 and duplicated_total == 0 and not leftovers and drained and
              len(kill_times) >= 10 and len(acknowledged) > 0 and corrupt == 0 and status == 0)
    lines = [
        "## crash.py — SIGKILL during a steady stream of deliveries",
        "",
        f"- {scalelib.machine_facts()}",
        f"- {args.clients} clients, each message to {len(RECIPIENTS)} local users with a fresh Message-ID, "
        f"connections of up to 10 messages; {len(kill_times)} SIGKILLs at random moments (seed {args.seed}), "
        f"each followed by a restart on the same spool; then the queue drains and ternd stops with SIGTERM",
        "",
        f"- acknowledged (250 read): {len(acknowledged)}; in doubt (connection lost after the final dot): "
        f"{len(ledger.in_doubt)}; refused at end of data: {sum(ledger.refused.values())} {dict(ledger.refused) or ''}",
        f"- ternd log: {recovered} starts recovered messages from active/, {removed_incoming} unacknowledged "
        f"incoming files removed, {deferred} deferrals, {corrupt} files moved to corrupt/; {stale_tmp} "
        "files left in Maildir tmp/ by interrupted deliveries (never in new/)",
        "",
        "| recipient | files in Maildir | lost (250, not delivered) | delivered twice or more | in-doubt delivered | unknown ids |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        "| figure | measured | target | result |",
        "| --- | ---: | --- | --- |",
        f"| SIGKILLs | {len(kill_times)} | ≥ 10 | {verdict(len(kill_times) >= 10)} |",
        f"| acknowledged messages lost | {lost_total} | 0 | {verdict(lost_total == 0)} |",
        f"| messages delivered twice | {duplicated_total} | 0 | {verdict(duplicated_total == 0)} |",
        f"| queue drained after the last restart | {'yes' if drained else 'NO'} | yes | {verdict(drained)} |",
        f"| files left in the spool after SIGTERM | {len(leftovers)} {leftovers[:5] if leftovers else ''} | 0 | "
        f"{verdict(not leftovers)} |",
        f"| ternd exit status on SIGTERM | {status} | 0 | {verdict(status == 0)} |",
        "",
        f"Overall: {verdict(passed)}",
    ]
    scalelib.write_section("crash.py", lines)
    print("\n".join(lines))
    return 0 if passed else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--max-gap", type=float, default=1.5, help="longest random wait before a kill, seconds")
    parser.add_argument("--drain-seconds", type=float, default=120)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    if not 1 <= args.kills <= 200 or not 1 <= args.clients <= 64:
        sys.exit("crash.py: --kills must be 1..200 and --clients 1..64")
    if not os.path.exists(scalelib.TERND):
        sys.exit(f"crash.py: no ternd at {scalelib.TERND} (build first, or set TERND)")
    sys.exit(run(args))


if __name__ == "__main__":
    main()
