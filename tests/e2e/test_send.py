"""tern send end to end: against a real ternd (plain SMTP to a local user, STARTTLS, implicit TLS on
the smtps port, AUTH PLAIN and LOGIN on submission with real passwords, attachments decoded byte-exact
from the Maildir file by Python's email package, SMTPUTF8, DSN parameters that produce a success
report, --quit-after at each stage, refusals with their exit status and stderr line, --json, --data),
against python3-aiosmtpd as an independent server (the envelope and data it received), and through a
real HTTP CONNECT proxy (tinyproxy, started here on a loopback port with its own config file)."""
import email
import email.policy
import json
import os
import pty
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from aiosmtpd.controller import Controller

from ternlib import (HOSTNAME, TERN, SharedServerTest, TernServer, free_port, split_delivered, timeout,
                     wait_until)

ALICE = "alice@example.test"
ALICE_PW = "alice-Secret-42"
BOB = "bob@example.test"
CAROL = "carol@example.test"
JOERG = "jörg@example.test"

# Exit statuses (docs/send.md).
OK, USAGE, CONNECT, BANNER, EHLO, TLS, AUTH, MAIL, RCPT, DATA, MESSAGE, PARTIAL = 0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12


def tern_send(*args, input=None, env=None, seconds=30):
    """Runs `tern send args...`; returns the CompletedProcess (text, stdout and stderr captured)."""
    environment = dict(os.environ)
    environment.pop("TERN_PASSWORD", None)
    environment.update(env or {})
    return subprocess.run([TERN, "send", *args], input=input, capture_output=True, text=True,
                          env=environment, timeout=timeout(seconds), stdin=None if input else subprocess.DEVNULL)


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def text_of(part):
    """A text part's content with the wire's CRLF line ends as Python's "\n"."""
    return part.get_content().replace("\r\n", "\n")


class SendToTernd(SharedServerTest):
    SUBMISSION = True
    SMTPS = True
    PASSWORDS = {ALICE: ALICE_PW}

    def smtp(self):
        return f"127.0.0.1:{self.server.port}"

    def submission(self):
        return f"127.0.0.1:{self.server.submission_port}"

    def smtps(self):
        return f"127.0.0.1:{self.server.smtps_port}"

    def send_ok(self, *args, **kwargs):
        result = tern_send(*args, **kwargs)
        self.assertEqual(result.returncode, OK, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
        return result

    def delivered(self, address, marker):
        """The message with marker (str) in address's Maildir, split into (added fields, message)."""
        raw = self.server.wait_for_message_with(address, marker.encode())[0]
        return split_delivered(raw)

    # -- plain, STARTTLS, implicit TLS ------------------------------------------------------------
    def test_plain_to_a_local_user(self):
        result = self.send_ok("--server", self.smtp(), "--from", "Sender Person <sender@example.org>",
                              "--to", BOB, "--cc", CAROL, "--subject", "plain one", "--body", "hello\n.dot\n",
                              "--header", "X-Tern-Test: 1")
        found = re.fullmatch(rf"sent to <{BOB}>, <{CAROL}>: 250 2\.0\.0 Ok: queued as ([0-9A-F]+)\n",
                             result.stdout)
        self.assertTrue(found, result.stdout)
        self.assertEqual(result.stderr, "")
        added, message = self.delivered(BOB, "plain one")
        self.assertRegex(added["Received"], rf"with ESMTP id {found.group(1)}\b")
        self.assertNotIn("using TLS", added["Received"])
        parsed = parse(message)
        self.assertEqual(parsed["From"], "Sender Person <sender@example.org>")
        self.assertEqual(parsed["To"], BOB)
        self.assertEqual(parsed["Cc"], CAROL)
        self.assertEqual(parsed["Subject"], "plain one")
        self.assertEqual(parsed["X-Tern-Test"], "1")
        self.assertEqual(parsed["MIME-Version"], "1.0")
        self.assertRegex(parsed["User-Agent"], r"^tern/\d+\.\d+\.\d+$")
        self.assertRegex(parsed["Message-ID"], r"^<\d{14}\.[0-9A-F]{16}@example\.org>$")
        self.assertIsNotNone(parsed["Date"].datetime)
        self.assertEqual(text_of(parsed), "hello\n.dot\n")
        self.assertTrue(message.endswith(b"\r\n\r\nhello\r\n.dot\r\n"), message[-60:])
        self.assertTrue(self.server.wait_for_message_with(CAROL, b"plain one"))

    def test_starttls_with_transcript(self):
        result = self.send_ok("--server", self.smtp(), "--tls", "-v", "--to", BOB, "--from", ALICE,
                              "--subject", "over starttls")
        lines = result.stdout.splitlines()
        self.assertEqual(lines[0], f"S: 220 {HOSTNAME} ESMTP tern")
        self.assertIn("C: STARTTLS", lines)
        self.assertTrue(any(re.match(r"^-- TLSv1\.[23] with cipher ", line) for line in lines), lines)
        self.assertEqual(lines[-1][:len("sent to <")], "sent to <")
        self.assertNotIn("\x1b[", result.stdout)  # no colour: stdout is a pipe
        added, _ = self.delivered(BOB, "over starttls")
        self.assertRegex(added["Received"], r"\(using TLSv1\.[23] with cipher .*with ESMTPS id ")

    def test_optional_tls_is_used_when_offered(self):
        result = self.send_ok("--server", self.smtp(), "--tls-optional", "--to", BOB, "--subject", "optional tls",
                              "--json")
        self.assertEqual(json.loads(result.stdout)["tls"]["mode"], "starttls-optional")
        self.assertTrue(json.loads(result.stdout)["tls"]["active"])
        added, _ = self.delivered(BOB, "optional tls")
        self.assertRegex(added["Received"], r"\(using TLSv1\.[23] with cipher ")

    def test_transcript_is_coloured_only_on_a_terminal(self):
        primary, secondary = pty.openpty()
        try:
            process = subprocess.run([TERN, "send", "--server", self.smtp(), "--to", BOB, "--quit-after", "ehlo",
                                      "-v"], stdin=subprocess.DEVNULL, stdout=secondary, stderr=subprocess.PIPE,
                                     timeout=timeout(30), env={k: v for k, v in os.environ.items()
                                                               if k != "NO_COLOR"})
            os.close(secondary)
            secondary = None
            output = b""
            while True:
                try:
                    chunk = os.read(primary, 65536)
                except OSError:  # EIO: the terminal's other end is closed
                    break
                if not chunk:
                    break
                output += chunk
        finally:
            if secondary is not None:
                os.close(secondary)
            os.close(primary)
        self.assertEqual(process.returncode, OK, process.stderr)
        self.assertIn(b"\x1b[36mC: EHLO ", output)
        self.assertIn(f"\x1b[32mS: 220 {HOSTNAME} ESMTP tern\x1b[0m".encode(), output)

    def test_implicit_tls_on_the_smtps_port(self):
        # smtps takes mail only after AUTH; any mechanism offered (PLAIN first)
        result = self.send_ok("--server", self.smtps(), "--tls-on-connect", "--auth-user", ALICE, "--from", ALICE,
                              "--to", BOB, "--subject", "over smtps", "--json",
                              env={"TERN_PASSWORD": ALICE_PW})
        document = json.loads(result.stdout)
        self.assertEqual(document["tls"]["mode"], "on-connect")
        self.assertEqual(document["auth"]["mechanism"], "PLAIN")
        self.assertEqual(document["banner"], f"220 {HOSTNAME} ESMTP tern")
        added, _ = self.delivered(BOB, "over smtps")
        self.assertRegex(added["Received"], r"\(using TLSv1\.[23] with cipher .*with ESMTPSA id ")

    def test_tls_verify_refuses_the_self_signed_certificate(self):
        result = tern_send("--server", self.smtp(), "--tls-verify", "--to", BOB)
        self.assertEqual(result.returncode, TLS, result.stderr)
        self.assertRegex(result.stderr, r"^tern: Cannot start TLS: handshake failure with 127\.0\.0\.1"
                                        r"\[127\.0\.0\.1\]: certificate verify failed.*\n$")

    # -- AUTH -------------------------------------------------------------------------------------
    def test_auth_plain_on_submission(self):
        result = self.send_ok("--server", self.submission(), "--tls", "--auth", "PLAIN", "--auth-user", ALICE,
                              "--auth-password", ALICE_PW, "--from", ALICE, "--to", "someone@remote.example",
                              "--to", BOB, "--subject", "submitted plain", "-v", "--json")
        document = json.loads(result.stdout)
        self.assertEqual(document["auth"]["mechanism"], "PLAIN")
        self.assertTrue(document["auth"]["authenticated"])
        self.assertEqual(document["auth"]["reply"], "235 2.7.0 Authentication successful")
        self.assertIn("C: (credentials hidden)", document["transcript"])
        self.assertNotIn(ALICE_PW, result.stdout)
        # authenticated users may relay: the remote recipient is accepted (and deferred by ternd)
        self.assertEqual([r["status"] for r in document["recipients"]], ["sent", "sent"])
        added, _ = self.delivered(BOB, "submitted plain")
        self.assertRegex(added["Received"], r"with ESMTPSA id ")

    def test_auth_login_on_smtps_with_the_environment_variable(self):
        result = self.send_ok("--server", self.smtps(), "--tls-on-connect", "--auth", "LOGIN", "--auth-user", ALICE,
                              "--from", ALICE,
                              "--to", BOB, "--subject", "submitted login", "-v",
                              env={"TERN_PASSWORD": ALICE_PW})
        self.assertIn("C: AUTH LOGIN", result.stdout)
        self.assertEqual(result.stdout.count("C: (credentials hidden)"), 2)  # user name and password
        self.assertNotIn(ALICE_PW, result.stdout)
        added, _ = self.delivered(BOB, "submitted login")
        self.assertRegex(added["Received"], r"with ESMTPSA id ")

    def test_wrong_password_is_an_auth_failure(self):
        result = tern_send("--server", self.submission(), "--tls", "--auth-user", ALICE, "--auth-password",
                           "wrong", "--to", BOB)
        self.assertEqual(result.returncode, AUTH, result.stderr)
        self.assertRegex(result.stderr, r"^tern: AUTH refused: 535 5\.7\.8 .*\n$")

    def test_auth_required_but_not_offered(self):
        result = tern_send("--server", self.smtp(), "--tls", "--auth-user", ALICE, "--auth-password", ALICE_PW,
                           "--to", BOB)
        self.assertEqual(result.returncode, AUTH, result.stderr)
        self.assertEqual(result.stderr, "tern: SASL authentication failed; server 127.0.0.1[127.0.0.1] offered "
                                        "no AUTH\n")

    def test_no_password_and_no_terminal(self):
        result = subprocess.run([TERN, "send", "--server", self.submission(), "--tls", "--auth-user", ALICE,
                                 "--to", BOB], capture_output=True, text=True, timeout=timeout(30),
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                env={k: v for k, v in os.environ.items() if k != "TERN_PASSWORD"})
        self.assertEqual(result.returncode, USAGE)
        self.assertEqual(result.stderr, "tern: no terminal to ask for the password on (give --auth-password "
                                        "or set TERN_PASSWORD)\n")

    # -- MIME -------------------------------------------------------------------------------------
    def test_attachments_are_byte_exact(self):
        directory = tempfile.mkdtemp(prefix="tern-send-e2e-")
        self.addCleanup(shutil.rmtree, directory, True)
        blobs = {"random.bin": os.urandom(70000), "empty.txt": b"",
                 "Übersicht €.csv": "a;b\r\nä;ö\n".encode(), "photo.PNG": b"\x89PNG\r\n\x1a\n" + bytes(range(256))}
        paths = []
        for name, content in blobs.items():
            path = os.path.join(directory, name)
            with open(path, "wb") as out:
                out.write(content)
            paths += ["--attach", path]
        self.send_ok("--server", self.smtp(), "--to", BOB, "--subject", "with attachments", "--body",
                     "see attached", "--html", "<p>see <b>attached</b></p>", *paths)
        _, message = self.delivered(BOB, "with attachments")
        parsed = parse(message)
        self.assertEqual(parsed.get_content_type(), "multipart/mixed")
        parts = list(parsed.iter_parts())
        self.assertEqual(parts[0].get_content_type(), "multipart/alternative")
        self.assertEqual([p.get_content_type() for p in parts[0].iter_parts()], ["text/plain", "text/html"])
        self.assertEqual(text_of(parts[0].get_body(("plain",))), "see attached\n")
        attachments = {p.get_filename(): p for p in parts[1:]}
        self.assertEqual(sorted(attachments), sorted(blobs))
        for name, content in blobs.items():
            self.assertEqual(attachments[name].get_payload(decode=True), content, name)
            self.assertEqual(attachments[name].get_content_disposition(), "attachment")
        self.assertEqual(attachments["photo.PNG"].get_content_type(), "image/png")
        self.assertEqual(attachments["random.bin"].get_content_type(), "application/octet-stream")
        self.assertEqual(attachments["Übersicht €.csv"].get_content_type(), "text/csv")
        for line in message.split(b"\r\n"):
            self.assertLessEqual(len(line), 998)

    def test_utf8_header_is_encoded_and_8bit_body_declared(self):
        result = self.send_ok("--server", self.smtp(), "--to", BOB, "--from", "Jörg Müller <joerg@example.org>",
                              "--subject", "Gruß aus Köln", "--body", "Schöne Grüße\n", "-v")
        self.assertRegex(result.stdout, r"C: MAIL FROM:<joerg@example\.org> SIZE=\d+ BODY=8BITMIME\n")
        _, message = self.delivered(BOB, "=?utf-8?q?Gru=C3=9F?= aus =?utf-8?q?K=C3=B6ln?=")
        header = message.split(b"\r\n\r\n", 1)[0]
        self.assertTrue(all(byte < 0x80 for byte in header), header)
        parsed = parse(message)
        self.assertEqual(parsed["Subject"], "Gruß aus Köln")
        self.assertEqual(parsed["From"].addresses[0].display_name, "Jörg Müller")
        self.assertEqual(parsed["Content-Transfer-Encoding"], "8bit")
        self.assertEqual(text_of(parsed), "Schöne Grüße\n")

    def test_smtputf8_address_and_header(self):
        result = self.send_ok("--server", self.smtp(), "--smtputf8", "--from", "Jörg <jörg@example.test>",
                              "--to", JOERG, "--subject", "Grüße ungekürzt", "-v")
        self.assertIn("C: MAIL FROM:<jörg@example.test>", result.stdout)
        self.assertRegex(result.stdout, r"C: MAIL FROM:<jörg@example\.test> SIZE=\d+ SMTPUTF8\n")
        _, message = self.delivered(JOERG, "Grüße ungekürzt")
        self.assertIn("Subject: Grüße ungekürzt\r\n".encode(), message)
        self.assertIn("From: Jörg <jörg@example.test>\r\n".encode(), message)

    def test_long_lines_go_quoted_printable(self):
        body = "x" * 3000 + "\n"
        self.send_ok("--server", self.smtp(), "--to", BOB, "--subject", "long line", "--body", body)
        _, message = self.delivered(BOB, "long line")
        parsed = parse(message)
        self.assertEqual(parsed["Content-Transfer-Encoding"], "quoted-printable")
        self.assertEqual(text_of(parsed), body)

    def test_body_from_stdin_and_data_from_a_file(self):
        self.send_ok("--server", self.smtp(), "--to", BOB, "--subject", "body on stdin", "--body", "-",
                     input="from standard input\n")
        _, message = self.delivered(BOB, "body on stdin")
        self.assertTrue(message.endswith(b"\r\n\r\nfrom standard input\r\n"))

        directory = tempfile.mkdtemp(prefix="tern-send-e2e-")
        self.addCleanup(shutil.rmtree, directory, True)
        path = os.path.join(directory, "ready.eml")
        with open(path, "wb") as out:
            out.write(b"From: a@example.org\nSubject: ready made\nX-Keep: as is\n\nline\n.\n..two\nlast")
        self.send_ok("--server", self.smtp(), "--to", BOB, "--data", "@" + path)
        _, message = self.delivered(BOB, "ready made")
        self.assertEqual(message, b"From: a@example.org\r\nSubject: ready made\r\nX-Keep: as is\r\n\r\n"
                                  b"line\r\n.\r\n..two\r\nlast\r\n")

    # -- DSN --------------------------------------------------------------------------------------
    def test_dsn_parameters_reach_the_envelope(self):
        result = self.send_ok("--server", self.smtp(), "--from", ALICE, "--to", CAROL, "--subject", "dsn please",
                              "--dsn-notify", "success", "--dsn-ret", "hdrs", "--envid", "TERN-ENV-1", "-v")
        self.assertRegex(result.stdout, r"C: MAIL FROM:<alice@example\.test> SIZE=\d+ RET=HDRS "
                                        r"ENVID=TERN-ENV-1\n")
        self.assertIn(f"C: RCPT TO:<{CAROL}> NOTIFY=SUCCESS ORCPT=rfc822;{CAROL}\n", result.stdout)
        self.assertTrue(self.server.wait_for_message_with(CAROL, b"dsn please"))
        report = self.server.wait_for_message_with(ALICE, b"Original-Envelope-Id: TERN-ENV-1")[0]
        self.assertIn(b"Action: delivered", report)
        self.assertIn(f"Original-Recipient: rfc822; {CAROL}".encode(), report)

    # -- --quit-after -----------------------------------------------------------------------------
    def test_quit_after_each_stage(self):
        before = len(self.server.messages(BOB))
        expectations = {
            "connect": ([], None),
            "banner": ([], "C: QUIT"),
            "ehlo": (["C: EHLO"], "C: QUIT"),
            "tls": (["C: STARTTLS"], "C: QUIT"),
            "auth": (["C: (credentials hidden)"], "C: QUIT"),  # AUTH PLAIN with its secret masked
            "mail": (["C: MAIL FROM:"], "C: QUIT"),
            "rcpt": (["C: RCPT TO:"], "C: QUIT"),
        }
        for stage, (sent, last) in expectations.items():
            with self.subTest(stage=stage):
                args = ["--server", self.smtp(), "--to", BOB, "--quit-after", stage, "-v", "--pipeline"]
                if stage in ("tls", "auth"):
                    args = ["--server", self.submission(), "--tls", "--to", BOB, "--quit-after", stage, "-v",
                            "--pipeline"]
                    if stage == "auth":
                        args += ["--auth-user", ALICE, "--auth-password", ALICE_PW]
                result = self.send_ok(*args)
                client = [line for line in result.stdout.splitlines() if line.startswith("C: ")]
                for command in sent:
                    self.assertTrue(any(line.startswith(command) for line in client), (command, client))
                self.assertFalse(any(line.startswith("C: DATA") for line in client), client)
                if stage != "rcpt":
                    self.assertFalse(any(line.startswith("C: RCPT") for line in client), client)
                if last is None:
                    self.assertEqual(client, [])
                else:
                    self.assertEqual(client[-1], last)
                self.assertRegex(result.stdout.splitlines()[-1], rf"^quit after {stage} as asked; no message sent")
        time.sleep(0.5)
        self.assertEqual(len(self.server.messages(BOB)), before)

    def test_quit_after_rcpt_tells_which_recipients_were_accepted(self):
        result = tern_send("--server", self.smtp(), "--to", BOB, "--to", "nobody@example.test", "--quit-after",
                           "rcpt", "--json")
        self.assertEqual(result.returncode, PARTIAL, result.stderr)
        document = json.loads(result.stdout)
        self.assertEqual(document["result"], "partial")
        self.assertEqual([r["accepted"] for r in document["recipients"]], [True, False])
        self.assertEqual([r["status"] for r in document["recipients"]], ["not sent", "refused"])

    # -- refusals and partial success ---------------------------------------------------------------
    def test_refused_recipient(self):
        result = tern_send("--server", self.smtp(), "--to", "nobody@example.test")
        self.assertEqual(result.returncode, RCPT)
        self.assertEqual(result.stdout, "")
        self.assertRegex(result.stderr, r"^tern: RCPT TO <nobody@example\.test> refused: 550 5\.1\.1 "
                                        r"<nobody@example\.test>: Recipient address rejected: .*\n$")

    def test_partial_success_is_explicit(self):
        result = tern_send("--server", self.smtp(), "--to", BOB, "--to", "nobody@example.test", "--subject",
                           "partly", "--pipeline")
        self.assertEqual(result.returncode, PARTIAL, result.stderr)
        lines = result.stderr.splitlines()
        self.assertRegex(lines[0], r"^tern: RCPT TO <nobody@example\.test> refused: 550 5\.1\.1 ")
        self.assertEqual(lines[1], "tern: partial success: sent to 1 of 2 recipients")
        self.assertRegex(result.stdout, rf"^sent to <{BOB}>: 250 2\.0\.0 Ok: queued as [0-9A-F]+\n$")
        self.assertTrue(self.delivered(BOB, "partly"))

    def test_json_document(self):
        result = self.send_ok("--server", self.smtp(), "--to", BOB, "--from", ALICE, "--subject", "as json",
                              "--json")
        document = json.loads(result.stdout)
        self.assertEqual(list(document)[:3], ["server", "proxy", "peer"])
        self.assertEqual(document["server"], self.smtp())
        self.assertEqual(document["peer"], f"127.0.0.1[127.0.0.1]:{self.server.port}")
        self.assertEqual(document["result"], "sent")
        self.assertEqual(document["exit_code"], 0)
        self.assertEqual(document["banner"], f"220 {HOSTNAME} ESMTP tern")
        self.assertIn("PIPELINING", document["extensions"])
        self.assertEqual(document["tls"]["active"], False)
        self.assertIsNone(document["auth"])
        self.assertEqual(document["mail"]["reply"], "250 2.1.0 Ok")
        self.assertEqual(document["recipients"][0]["rcpt_reply"], "250 2.1.5 Ok")
        queue_id = document["data"]["queue_id"]
        self.assertRegex(queue_id, r"^[0-9A-F]+$")
        self.assertEqual(document["data"]["end_of_data_reply"], f"250 2.0.0 Ok: queued as {queue_id}")
        self.assertNotIn("transcript", document)
        added, _ = self.delivered(BOB, "as json")
        self.assertRegex(added["Received"], rf"id {queue_id}\b")

    def test_usage_errors_are_one_line_and_status_2(self):
        cases = [
            (["--to", BOB, "--tls", "--tls-on-connect"], "choose one of --tls, --tls-optional and --tls-on-connect"),
            (["--server", self.smtp()], "no recipients: give --to, --cc or --bcc"),
            (["--to", BOB, "--attach", "/nonexistent/file.pdf"],
             "--attach /nonexistent/file.pdf: No such file or directory"),
            (["--to", BOB, "--auth-user", ALICE], "--auth needs --tls, --tls-optional or --tls-on-connect: "
                                                  "credentials are never sent in the clear"),
            (["--to", "not an address"], None),
            (["--to", BOB, "--no-such-option"], None),
        ]
        for args, line in cases:
            with self.subTest(args=args):
                result = tern_send(*args)
                self.assertEqual(result.returncode, USAGE, result.stderr)
                self.assertEqual(result.stdout, "")
                self.assertEqual(result.stderr.count("\n"), 1, result.stderr)
                self.assertTrue(result.stderr.startswith("tern: "), result.stderr)
                if line:
                    self.assertEqual(result.stderr, f"tern: {line}\n")

    def test_connection_refused(self):
        result = tern_send("--server", f"127.0.0.1:{free_port()}", "--to", BOB)
        self.assertEqual(result.returncode, CONNECT)
        self.assertRegex(result.stderr, r"^tern: connect to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: Connection refused\n$")


class VerifiedTls(unittest.TestCase):
    """--tls-verify succeeds against a certificate for 127.0.0.1 signed by a CA given with --tls-ca-file."""

    def test_verified_starttls_and_smtps(self):
        directory = tempfile.mkdtemp(prefix="tern-send-ca-")
        self.addCleanup(shutil.rmtree, directory, True)
        cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True,
                       timeout=timeout(30))
        os.chmod(key, 0o644)
        os.chmod(directory, 0o755)
        server = TernServer({"smtpd_tls_cert_file": cert, "smtpd_tls_key_file": key}, smtps=True)
        server.start()
        self.addCleanup(server.cleanup)
        self.addCleanup(server.stop)
        # smtps wants AUTH before MAIL: the handshake is what is checked, so stop after EHLO there.
        for args in (["--server", f"127.0.0.1:{server.port}", "--tls"],
                     ["--server", f"127.0.0.1:{server.smtps_port}", "--tls-on-connect", "--quit-after", "ehlo"]):
            result = tern_send(*args, "--tls-ca-file", cert, "--to", BOB, "--json")
            self.assertEqual(result.returncode, OK, result.stderr)
            document = json.loads(result.stdout)
            self.assertTrue(document["tls"]["active"])
            self.assertTrue(document["tls"]["verified"])


class RecordingHandler:
    """aiosmtpd handler that keeps each transaction's envelope and refuses 'refuse*' recipients."""

    def __init__(self):
        self.transactions = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse"):
            return "550 5.1.1 <%s>: no such user here" % address
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.append(rcpt_options)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.transactions.append({"from": envelope.mail_from, "mail_options": list(envelope.mail_options),
                                      "to": list(envelope.rcpt_tos), "content": envelope.original_content})
        return "250 2.0.0 Ok: queued as AIO123"


class SendToAiosmtpd(unittest.TestCase):
    def setUp(self):
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, decode_data=False,
                                     enable_SMTPUTF8=True, ready_timeout=timeout(10))
        self.controller.start()
        self.addCleanup(self.controller.stop)

    def test_envelope_and_data_as_received(self):
        result = tern_send("--server", f"127.0.0.1:{self.port}", "--from", "alice@example.org", "--to",
                           "Bob <bob@example.org>", "--cc", "carol@example.org", "--bcc", "dave@example.org",
                           "--to", "refuse@example.org", "--subject", "to aiosmtpd", "--body", "Grüße\n",
                           "--pipeline", "--dsn-notify", "success", "--json")
        self.assertEqual(result.returncode, PARTIAL, result.stderr)
        self.assertIn("tern: RCPT TO <refuse@example.org> refused: 550 5.1.1 <refuse@example.org>: no such "
                      "user here\n", result.stderr)
        # aiosmtpd has no DSN: the parameters are left out, with a warning
        self.assertIn("tern: warning: the server does not offer DSN: NOTIFY, ORCPT, RET and ENVID were not sent\n",
                      result.stderr)
        self.assertTrue(wait_until(lambda: self.handler.transactions, 10))
        transaction = self.handler.transactions[0]
        self.assertEqual(transaction["from"], "alice@example.org")
        self.assertEqual(transaction["to"], ["bob@example.org", "carol@example.org", "dave@example.org"])
        self.assertIn("BODY=8BITMIME", transaction["mail_options"])
        self.assertTrue(any(option.startswith("SIZE=") for option in transaction["mail_options"]))
        size = int([o for o in transaction["mail_options"] if o.startswith("SIZE=")][0][5:])
        content = transaction["content"]
        self.assertEqual(size, len(content))
        parsed = parse(content)
        self.assertEqual(parsed["To"], "Bob <bob@example.org>, refuse@example.org")
        self.assertEqual(parsed["Cc"], "carol@example.org")
        self.assertIsNone(parsed["Bcc"])
        self.assertNotIn(b"dave@example.org", content)
        self.assertEqual(text_of(parsed), "Grüße\n")
        document = json.loads(result.stdout)
        self.assertEqual(document["data"]["queue_id"], "AIO123")
        self.assertEqual([r["status"] for r in document["recipients"]], ["sent", "refused", "sent", "sent"])

    def test_utf8_recipient_with_smtputf8(self):
        result = tern_send("--server", f"127.0.0.1:{self.port}", "--from", "alice@example.org", "--to",
                           "jörg@example.org", "--subject", "ünïcode")
        self.assertEqual(result.returncode, OK, result.stderr)
        self.assertTrue(wait_until(lambda: self.handler.transactions, 10))
        transaction = self.handler.transactions[0]
        self.assertIn("SMTPUTF8", transaction["mail_options"])
        self.assertEqual(transaction["to"], ["jörg@example.org"])
        self.assertIn("Subject: ünïcode\r\n".encode(), transaction["content"])


class TinyProxy:
    """tinyproxy in the foreground on a free loopback port with its own config file."""

    def __init__(self, connect_ports):
        self.binary = shutil.which("tinyproxy") or ("/usr/bin/tinyproxy" if os.path.exists("/usr/bin/tinyproxy")
                                                    else None)
        if self.binary is None:
            raise unittest.SkipTest("tinyproxy is missing (run scripts/deps.sh)")
        self.directory = tempfile.mkdtemp(prefix="tern-tinyproxy-")
        os.chmod(self.directory, 0o755)
        self.port = free_port()
        self.log_path = os.path.join(self.directory, "tinyproxy.log")
        lines = [f"Port {self.port}", "Listen 127.0.0.1", "Allow 127.0.0.1", "Timeout 30", "MaxClients 10",
                 "LogLevel Info", f"LogFile \"{self.log_path}\""]
        lines += [f"ConnectPort {port}" for port in connect_ports]
        if os.geteuid() == 0:
            lines += ["User nobody", "Group nogroup"]
        open(self.log_path, "w").close()
        os.chmod(self.log_path, 0o666)
        self.config = os.path.join(self.directory, "tinyproxy.conf")
        with open(self.config, "w") as out:
            out.write("\n".join(lines) + "\n")
        self.process = subprocess.Popen([self.binary, "-d", "-c", self.config], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout(10)
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"tinyproxy exited with {self.process.returncode}: {self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"tinyproxy never listened: {self.log()}")
                time.sleep(0.05)

    def log(self):
        with open(self.log_path, errors="replace") as log:
            return log.read()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout(10))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)


class SendThroughAProxy(unittest.TestCase):
    def setUp(self):
        self.server = TernServer(smtps=True, passwords={ALICE: ALICE_PW})
        self.server.start()
        self.addCleanup(self.server.cleanup)
        self.addCleanup(self.server.stop)
        self.proxy = TinyProxy([self.server.port, self.server.smtps_port])
        self.addCleanup(self.proxy.stop)
        self.proxy_url = f"http://127.0.0.1:{self.proxy.port}"

    def test_starttls_and_smtps_through_the_tunnel(self):
        for args, marker in ((["--server", f"127.0.0.1:{self.server.port}", "--tls"], "proxied starttls"),
                             (["--server", f"127.0.0.1:{self.server.smtps_port}", "--tls-on-connect",
                               "--auth-user", ALICE, "--auth-password", ALICE_PW, "--from", ALICE],
                              "proxied smtps")):
            result = tern_send(*args, "--proxy", self.proxy_url, "--to", BOB, "--subject", marker, "--json")
            self.assertEqual(result.returncode, OK, result.stderr)
            document = json.loads(result.stdout)
            self.assertEqual(document["proxy"], self.proxy_url)
            self.assertRegex(document["peer"], rf"^127\.0\.0\.1:\d+ via proxy 127\.0\.0\.1\[127\.0\.0\.1\]:"
                                               rf"{self.proxy.port}$")
            self.assertTrue(document["tls"]["active"])
            added, _ = split_delivered(self.server.wait_for_message_with(BOB, marker.encode())[0])
            self.assertRegex(added["Received"], r"with ESMTPSA? id ")
        self.assertTrue(wait_until(lambda: "CONNECT" in self.proxy.log(), 5), self.proxy.log())

    def test_proxy_refusing_the_port_is_a_connect_failure(self):
        closed = free_port()
        result = tern_send("--server", f"127.0.0.1:{closed}", "--proxy", self.proxy_url, "--to", BOB)
        self.assertEqual(result.returncode, CONNECT, result.stderr)
        self.assertRegex(result.stderr, r"^tern: 127\.0\.0\.1 \(proxy 127\.0\.0\.1\[127\.0\.0\.1\]:\d+\): proxy "
                                        r"refused CONNECT: 403 .*\n$")


if __name__ == "__main__":
    unittest.main()
