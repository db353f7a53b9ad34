#!/usr/bin/python3
"""A 100 MiB message, under a raised message_size_limit, is accepted with ternd's resident memory
growing by less than 4 MiB (the data is streamed to the spool, never held whole), and lands in the
Maildir byte for byte.

ternd runs with `message_size_limit = 209715200` (200 MiB). The client sends MAIL FROM with SIZE=, then
the message in 256 KiB writes (random base64 lines, so no dot-stuffing is needed and nothing compresses
or repeats), hashing what it sends. ternd's VmRSS and VmHWM (/proc/PID/status) are read before, sampled
every 20 ms while the data flows, read after the 250 and again once the message is in Maildir/new. The
delivered file must be the three header fields tern adds followed by exactly the bytes sent (SHA-256).

Usage: bench/big_message.py [--mib N]
Writes its figures to bench/results/scale.md (section big_message.py). Exit status 0 when every target
is met. Loopback only; bounded in size and in time.
"""
import argparse
import base64
import hashlib
import os
import socket
import sys
import threading
import time

import scalelib
from scalelib import log, verdict

GROWTH_TARGET_MIB = 4
CHUNK = 256 * 1024


def message_chunks(size):
    """The message as a header and base64 lines of random bytes, about `size` bytes in all (CRLF line
    ends; no line starts with a dot), in pieces of about CHUNK bytes."""
    header = (f"From: big@bench.test\r\nTo: {scalelib.USER}\r\nSubject: {size} bytes\r\n"
              f"Message-ID: <big-{time.time_ns()}@bench.test>\r\n\r\n").encode()
    yield header
    sent = len(header)
    while sent < size:
        lines = base64.encodebytes(os.urandom(min(CHUNK, size - sent) * 3 // 4 + 3)).replace(b"\n", b"\r\n")
        yield lines
        sent += len(lines)


class Sampler(threading.Thread):
    """Reads ternd's VmRSS every 20 ms until stopped; keeps the largest value."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            try:
                self.peak = max(self.peak, scalelib.proc_status(self.pid)["VmRSS"])
            except OSError:
                return
            self.stopping.wait(0.02)


def send_big(port, size, seconds):
    """Sends one message of about `size` bytes. Returns (the 250 line, bytes sent, SHA-256 of them,
    seconds until the 250)."""
    digest = hashlib.sha256()
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=seconds) as sock:
        reader = sock.makefile("rb")

        def expect(code):
            while True:
                line = reader.readline(4096)
                if not line:
                    raise scalelib.SmtpError(f"connection closed while waiting for {code}")
                if line[3:4] != b"-":
                    break
            if not line.startswith(str(code).encode()):
                raise scalelib.SmtpError(line.decode("utf-8", "replace").strip())
            return line.decode().strip()

        expect(220)
        sock.sendall(b"EHLO big.bench.test\r\n")
        expect(250)
        sock.sendall(f"MAIL FROM:<big@bench.test> SIZE={size}\r\n".encode())
        expect(250)
        sock.sendall(f"RCPT TO:<{scalelib.USER}>\r\n".encode())
        expect(250)
        sock.sendall(b"DATA\r\n")
        expect(354)
        started = time.monotonic()
        for chunk in message_chunks(size):
            sock.sendall(chunk)
            digest.update(chunk)
            sent += len(chunk)
        sock.sendall(b".\r\n")
        queued = expect(250)
        elapsed = time.monotonic() - started
        sock.sendall(b"QUIT\r\n")
    return queued, sent, digest.hexdigest(), elapsed


def wait_for_delivery(directory, size, seconds):
    """The path of the file in `directory` at least `size` bytes long, once its rename into new/ made
    it whole; None after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            for name in os.listdir(directory):
                path = os.path.join(directory, name)
                if os.path.getsize(path) >= size:
                    return path
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    return None


def delivered_matches(path, size, expected):
    """The file is tern's added fields followed by exactly the `size` bytes sent (SHA-256 `expected`)."""
    digest = hashlib.sha256()
    total = os.path.getsize(path)
    with open(path, "rb") as delivered:
        prefix = delivered.read(total - size)
        while True:
            block = delivered.read(1 << 20)
            if not block:
                break
            digest.update(block)
    return prefix.startswith(b"Return-Path: <big@bench.test>\r\n") and digest.hexdigest() == expected, prefix


def run(args):
    size = args.mib * 1024 * 1024
    server = scalelib.Ternd({"message_size_limit": str(2 * size)})
    try:
        server.start()
        for number in range(3):
            scalelib.probe_delivery(server, f"warm{number}")
        time.sleep(0.5)
        peak_reset = scalelib.reset_peak(server.pid)
        before = scalelib.proc_status(server.pid)
        log(f"ternd pid {server.pid}: VmRSS {before['VmRSS']} KiB, VmHWM {before['VmHWM']} KiB before")
        sampler = Sampler(server.pid)
        sampler.start()
        queued, sent, sha, elapsed = send_big(server.port, size, args.time_limit)
        accepted = scalelib.proc_status(server.pid)
        log(f"{queued} after {elapsed:.1f} s ({sent / elapsed / 1e6:.0f} MB/s); VmRSS {accepted['VmRSS']} KiB, "
            f"VmHWM {accepted['VmHWM']} KiB")
        started = time.monotonic()
        path = wait_for_delivery(server.maildir_new(), sent, args.time_limit)
        delivery_seconds = time.monotonic() - started
        sampler.stopping.set()
        sampler.join()
        delivered = scalelib.proc_status(server.pid)
        intact, prefix = delivered_matches(path, sent, sha) if path else (False, b"")
        log(f"in Maildir {delivery_seconds:.1f} s after the 250, intact: {intact}; VmHWM {delivered['VmHWM']} KiB")
    finally:
        status = server.stop()
        server.cleanup()

    peak_growth = (max(delivered["VmHWM"], sampler.peak) - before["VmHWM"]) / 1024
    peak_note = "VmHWM reset to VmRSS just before" if peak_reset else "VmHWM could not be reset: it includes start-up"
    rss_growth = (delivered["VmRSS"] - before["VmRSS"]) / 1024
    results = {"memory": peak_growth < GROWTH_TARGET_MIB and rss_growth < GROWTH_TARGET_MIB,
               "intact": intact, "accepted": queued.startswith("250")}
    passed = all(results.values()) and status == 0
    lines = [
        "## big_message.py — one 100 MiB message",
        "",
        f"- {scalelib.machine_facts()}",
        f"- {sent} bytes in one DATA (`message_size_limit = {2 * size}`), random base64 lines, sent in 256 KiB "
        "writes; ternd memory from /proc/PID/status, sampled every 20 ms",
        "- other builds may share the CPUs and the disk: the speed figures are noisy, the memory figures are not",
        "",
        "| figure | measured | target | result |",
        "| --- | ---: | --- | --- |",
        f"| reply | `{queued}` | 250 | {verdict(results['accepted'])} |",
        f"| time from the first data byte to the 250 | {elapsed:.1f} s ({sent / elapsed / 1e6:.0f} MB/s) | – | |",
        f"| ternd VmRSS before → after 250 → after delivery | {before['VmRSS'] / 1024:.1f} → "
        f"{accepted['VmRSS'] / 1024:.1f} → {delivered['VmRSS'] / 1024:.1f} MiB | | |",
        f"| ternd VmHWM before → after delivery ({peak_note}; largest sampled VmRSS {sampler.peak / 1024:.1f} MiB) | "
        f"{before['VmHWM'] / 1024:.1f} → {delivered['VmHWM'] / 1024:.1f} MiB | | |",
        f"| growth: peak / resident | {peak_growth:.2f} / {rss_growth:.2f} MiB | < {GROWTH_TARGET_MIB} MiB | "
        f"{verdict(results['memory'])} |",
        f"| in Maildir after the 250 | {delivery_seconds:.1f} s | – | |",
        f"| delivered file = tern's {len(prefix)} bytes of added fields + the bytes sent (SHA-256 {sha[:16]}…) | "
        f"{'identical' if intact else 'DIFFERENT or missing'} | identical | {verdict(intact)} |",
        f"| ternd exit status on SIGTERM | {status} | 0 | {verdict(status == 0)} |",
        "",
        f"Overall: {verdict(passed)}",
    ]
    scalelib.write_section("big_message.py", lines)
    print("\n".join(lines))
    return 0 if passed else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=100, help="message size in MiB")
    parser.add_argument("--time-limit", type=float, default=300, help="seconds allowed for sending and for delivery")
    args = parser.parse_args()
    if not 1 <= args.mib <= 1024:
        sys.exit("big_message.py: --mib must be 1..1024")
    if not os.path.exists(scalelib.TERND):
        sys.exit(f"big_message.py: no ternd at {scalelib.TERND} (build first, or set TERND)")
    sys.exit(run(args))


if __name__ == "__main__":
    main()
