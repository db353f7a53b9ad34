"""End-to-end TLS and SMTP AUTH against a real ternd: STARTTLS (RFC 3207) on the smtp and submission roles,
TLS from the first byte on smtps, AUTH PLAIN/LOGIN (RFC 4954/4616) against yescrypt passwd-file users,
submission's rules (TLS before AUTH, AUTH before MAIL, senders the login owns, relay for authenticated
users, Message-ID/Date added), the command-injection fix (CVE-2011-0411), the protocol floor (TLS 1.2),
Received/log wording as Postfix writes it, and the brute-force defences (failure limit, delays).

Clients: raw sockets (ternlib.SmtpConversation), Python's smtplib, swaks and openssl s_client.

The auth throttle is server-wide and keyed by client address and login, so tests that fail an AUTH on
purpose run on their own ternd or from their own 127.0.0.x address, and never as alice or bob: the happy
paths must not be slowed by another test's failures.
"""
import base64
import os
import re
import shutil
import smtplib
import socket
import ssl
import stat
import subprocess
import threading
import time
import unittest
import warnings

from ternlib import (EHLO_KEYWORDS, HOSTNAME, SharedServerTest, TernServer, client_tls_context, message_id_of,
                     split_delivered, timeout)

PASSWORDS = {
    "alice@example.test": "alice's secret",
    "bob@example.test": "bob-pw-2",
    "eve@example.test": "eve-pw",        # the failure tests' user: her throttle never slows alice's
}
ALICE, ALICE_PW = "alice@example.test", PASSWORDS["alice@example.test"]
BOB, BOB_PW = "bob@example.test", PASSWORDS["bob@example.test"]
EVE, EVE_PW = "eve@example.test", PASSWORDS["eve@example.test"]

AUTH_KEYWORD = "AUTH PLAIN LOGIN"
READY = r"2\.0\.0 Ready to start TLS"
AUTH_OK = r"2\.7\.0 Authentication successful"
AUTH_FAILED = "535 5.7.8 Error: authentication failed"
NEED_STARTTLS = r"5\.7\.0 Must issue a STARTTLS command first"
NEED_AUTH = r"5\.7\.0 Authentication required"
QUEUED = r"2\.0\.0 Ok: queued as ([0-9A-F]+)"
TLS_DESCRIPTION = r"TLSv1\.3 with cipher \S+"
SWAKS = shutil.which("swaks")
OPENSSL = shutil.which("openssl")
with warnings.catch_warnings():  # deprecated names: these tests offer them to see them refused
    warnings.simplefilter("ignore", DeprecationWarning)
    TLS_1_0, TLS_1_1 = ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1


def b64(text):
    return base64.b64encode(text.encode("utf-8") if isinstance(text, str) else text).decode("ascii")


def plain(user, password, authzid=""):
    """The RFC 4616 PLAIN response: authzid NUL authcid NUL passwd, in base64."""
    return b64(f"{authzid}\0{user}\0{password}")


def keywords_after_tls():
    """What EHLO offers once TLS is active on the smtp role (no AUTH there by default)."""
    return [k for k in EHLO_KEYWORDS if k != "STARTTLS"]


def message(subject, extra=b""):
    return extra + b"From: <alice@example.test>\r\nTo: <bob@example.test>\r\nSubject: " + subject + \
        b"\r\n\r\nbody of " + subject + b"\r\n"


def send_data(c, body):
    """DATA and the message (no dots at line starts in these tests); returns the queue id."""
    c.chat("DATA", 354, r"End data with <CR><LF>\.<CR><LF>")
    c.send(body + b".\r\n")
    return c.expect(250, QUEUED).text.rsplit(" ", 1)[1]


def body_headers(delivered):
    """The header block of the message as the client sent it (after tern's three trace fields)."""
    _, rest = split_delivered(delivered)
    return rest.split(b"\r\n\r\n", 1)[0]


class TlsAuthBase(SharedServerTest):
    SUBMISSION = True
    SMTPS = True
    PASSWORDS = PASSWORDS

    def submission(self, source="127.0.0.1", tls=True, ehlo=True):
        """A submission conversation: banner read; EHLO, STARTTLS and EHLO again unless told not to."""
        c = self.connect(source=source, port=self.server.submission_port)
        if tls:
            c.ehlo()
            c.starttls()
        if ehlo:
            c.ehlo()
        return c

    def smtps(self, source="127.0.0.1", context=None):
        return self.connect(source=source, port=self.server.smtps_port, tls=context or client_tls_context())

    def login(self, c, user=ALICE, password=ALICE_PW):
        c.chat(f"AUTH PLAIN {plain(user, password)}", 235, AUTH_OK)


class StartTlsTest(TlsAuthBase):
    """STARTTLS itself, on the smtp role (port 25) and on submission."""

    def test_self_signed_certificate_made_on_first_start(self):
        cert, key = self.server.tls_cert_path, self.server.tls_key_path
        self.assertTrue(os.path.isfile(cert), cert)
        self.assertTrue(os.path.isfile(key), key)
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600, "the private key is for ternd only")
        warning = self.server.wait_for_log(r"^.*warning: .*self-signed.*$", seconds=2).group(0)
        self.assertIn(cert, warning)
        self.assertIn(key, warning)
        # the certificate STARTTLS presents is that file
        c = self.connect()
        c.ehlo()
        c.starttls()
        with open(cert, encoding="ascii") as pem:
            self.assertEqual(c.sock.getpeercert(binary_form=True), ssl.PEM_cert_to_DER_cert(pem.read()))

    def test_smtp_role_offers_starttls_then_not_and_no_auth(self):
        c = self.connect()
        ehlo = c.ehlo()
        self.assertEqual(ehlo.texts[1:], EHLO_KEYWORDS, "STARTTLS right after ETRN, no AUTH before TLS")
        self.assertEqual(str(c.starttls()), "220 2.0.0 Ready to start TLS")
        self.assertEqual(c.tls_version, "TLSv1.3")
        ehlo = c.ehlo()
        self.assertEqual(ehlo.texts[1:], keywords_after_tls(),
                         "after TLS: no STARTTLS, and no AUTH while smtpd_sasl_auth_enable = no")
        c.chat(f"AUTH PLAIN {plain(ALICE, ALICE_PW)}", 503, r"5\.5\.1 .*")
        c.quit()
        self.server.wait_for_log(rf"Anonymous TLS connection established from unknown\[127\.0\.0\.1\]: "
                                 rf"{TLS_DESCRIPTION}")

    def test_submission_ehlo_before_and_after_tls(self):
        c = self.connect(port=self.server.submission_port)
        before = c.ehlo().texts[1:]
        self.assertIn("STARTTLS", before)
        self.assertFalse([k for k in before if k.startswith("AUTH")],
                         f"smtpd_tls_auth_only: no AUTH before TLS: {before}")
        c.starttls()
        after = c.ehlo().texts[1:]
        self.assertIn(AUTH_KEYWORD, after)
        self.assertNotIn("STARTTLS", after)
        self.assertEqual([k for k in after if k != AUTH_KEYWORD], keywords_after_tls(), str(after))
        c.quit()

    def test_starttls_syntax_state_and_repeat(self):
        c = self.connect()
        c.ehlo()
        c.chat("STARTTLS now", 501, r"5\.5\.4 Syntax: STARTTLS")
        c.chat("MAIL FROM:<a@remote.test>", 250, r"2\.1\.0 Ok")
        c.chat("STARTTLS", 503, r"5\.5\.1 .*")   # not inside a mail transaction
        c.chat("RSET", 250, r"2\.0\.0 Ok")
        c.starttls()
        c.ehlo()
        c.chat("STARTTLS", 503, r"5\.5\.1 Error: TLS already active")
        # the session still works after the refusals
        c.chat("MAIL FROM:<a@remote.test>", 250, r"2\.1\.0 Ok")
        c.chat("RCPT TO:<carol@example.test>", 250, r"2\.1\.5 Ok")
        c.quit()

    def test_ehlo_forgotten_after_starttls(self):
        """RFC 3207 §4.2: the client starts over after the handshake; AUTH needs a new EHLO."""
        c = self.connect(port=self.server.submission_port)
        c.ehlo()
        c.starttls()
        c.chat(f"AUTH PLAIN {plain(ALICE, ALICE_PW)}", 503, r"5\.5\.1 Error: send HELO/EHLO first")
        c.ehlo()
        c.chat(f"AUTH PLAIN {plain(ALICE, ALICE_PW)}", 235, AUTH_OK)
        c.quit()

    def test_command_injection_after_starttls_rset(self):
        start = len(self.server.log_text())
        c = self.connect()
        c.ehlo()
        c.send(b"STARTTLS\r\nRSET\r\n")
        c.expect(220, READY)
        c.handshake()
        c.send_line("EHLO client.example")
        first = c.reply()
        self.assertEqual(first.code, 250, f"the first reply over TLS must be the EHLO's: {first}")
        self.assertEqual(first.raw_lines[0], f"250-{HOSTNAME}", f"the first reply over TLS: {first}")
        c.chat("NOOP", 250, r"2\.0\.0 Ok")   # and nothing else was queued behind it
        c.quit()
        self.server.wait_for_log(r"warning: unknown\[127\.0\.0\.1\]: discarding 6 bytes pipelined after STARTTLS",
                                 start=start)

    def test_command_injection_after_starttls_mail(self):
        start = len(self.server.log_text())
        c = self.connect()
        c.ehlo()
        injected = b"MAIL FROM:<evil@x>\r\n"
        c.send(b"STARTTLS\r\n" + injected)
        c.expect(220, READY)
        c.handshake()
        c.send_line("EHLO client.example")
        first = c.reply()
        self.assertEqual(first.raw_lines[0], f"250-{HOSTNAME}", f"the first reply over TLS: {first}")
        # had the injected MAIL been run, this RCPT would be accepted
        c.chat("RCPT TO:<carol@example.test>", 503, r"5\.5\.1 Error: need MAIL command")
        c.quit()
        self.server.wait_for_log(rf"discarding {len(injected)} bytes pipelined after STARTTLS", start=start)

    def test_port25_starttls_without_auth_is_esmtps_and_unchanged(self):
        before = self.count("carol@example.test")
        c = self.connect()
        c.ehlo()
        c.starttls()
        c.ehlo()
        c.chat("MAIL FROM:<s@remote.test>", 250, r"2\.1\.0 Ok")
        c.chat("RCPT TO:<carol@example.test>", 250, r"2\.1\.5 Ok")
        body = b"Subject: port 25 over TLS\r\n\r\nno Message-ID, no Date\r\n"
        queue_id = send_data(c, body)
        c.quit()
        delivered = self.server.wait_for_message_with("carol@example.test", b"Subject: port 25 over TLS")[0]
        self.assertEqual(self.count("carol@example.test"), before + 1)
        added, rest = split_delivered(delivered)
        self.assertRegex(added["Received"], rf"\(using {TLS_DESCRIPTION}.*\) by {re.escape(HOSTNAME)} \(tern\) "
                                            rf"with ESMTPS id {queue_id}\b")
        self.assertEqual(rest, body, "mail on port 25 gets no Message-ID or Date")
        self.server.wait_for_log(rf"{queue_id}: client=unknown\[127\.0\.0\.1\]$")

    def test_unauthenticated_relay_denied_outside_mynetworks(self):
        c = self.connect(source="127.0.0.2")
        c.ehlo()
        c.starttls()
        c.ehlo()
        c.chat("MAIL FROM:<a@remote.test>", 250, r"2\.1\.0 Ok")
        c.chat("RCPT TO:<someone@remote.example>", 554, r"5\.7\.1 <someone@remote\.example>: Relay access denied")
        c.chat("RCPT TO:<carol@example.test>", 250, r"2\.1\.5 Ok")
        c.chat("RSET", 250)
        c.quit()


class TlsVersionTest(TlsAuthBase):
    """smtpd_tls_protocols = >=TLSv1.2 (the default): TLS 1.0 and 1.1 clients fail the handshake."""

    def handshake_with(self, maximum, minimum=None):
        """STARTTLS on port 25 with a client limited to [minimum, maximum]: the version, or the SSLError."""
        c = self.connect()
        c.ehlo()
        c.chat("STARTTLS", 220, READY)
        context = client_tls_context(minimum=minimum or TLS_1_0, maximum=maximum, legacy=True)
        try:
            c.handshake(context)
        except ssl.SSLError as failure:
            return failure
        version = c.tls_version
        c.ehlo()
        c.quit()
        return version

    def test_legacy_client_really_offers_tls_1_0_and_1_1(self):
        """The control: the same client contexts complete TLS 1.0/1.1 with a local Python server, so the
        failures below are ternd's refusal, not this machine's OpenSSL policy."""
        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_context.load_cert_chain(self.server.tls_cert_path, self.server.tls_key_path)
        server_context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            server_context.minimum_version = ssl.TLSVersion.TLSv1
        listener = socket.socket()
        self.addCleanup(listener.close)
        listener.bind(("127.0.0.1", 0))
        listener.listen(2)
        listener.settimeout(timeout(10))
        versions = []

        def serve():
            for _ in range(2):
                try:
                    accepted, _ = listener.accept()
                    accepted.settimeout(timeout(10))
                    with server_context.wrap_socket(accepted, server_side=True) as tls:
                        tls.recv(1)
                except OSError:
                    return

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        for maximum in (TLS_1_0, TLS_1_1):
            context = client_tls_context(minimum=TLS_1_0, maximum=maximum, legacy=True)
            with socket.create_connection(listener.getsockname(), timeout=timeout(10)) as raw:
                try:
                    with context.wrap_socket(raw) as tls:
                        versions.append(tls.version())
                except ssl.SSLError as failure:
                    versions.append(f"failed: {failure}")
        thread.join(timeout(10))
        if versions != ["TLSv1", "TLSv1.1"]:
            self.skipTest(f"this OpenSSL cannot offer TLS 1.0/1.1 at all: {versions}")

    def test_tls_1_0_and_1_1_refused(self):
        for maximum in (TLS_1_0, TLS_1_1):
            result = self.handshake_with(maximum)
            self.assertIsInstance(result, ssl.SSLError, f"a client limited to {maximum.name} got {result}")
        self.assertTrue(self.server.running())

    def test_tls_1_2_and_1_3_accepted(self):
        self.assertEqual(self.handshake_with(ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2), "TLSv1.2")
        self.assertEqual(self.handshake_with(ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_3), "TLSv1.3")

    @unittest.skipUnless(OPENSSL, "openssl is not installed")
    def test_openssl_s_client_versions(self):
        def s_client(flag):
            command = [OPENSSL, "s_client", "-starttls", "smtp", "-connect", f"127.0.0.1:{self.server.port}",
                       "-servername", HOSTNAME, flag]
            if flag in ("-tls1", "-tls1_1"):
                command += ["-cipher", "DEFAULT:@SECLEVEL=0"]
            return subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=timeout(20))
        for flag, version in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
            result = s_client(flag)
            output = result.stdout + result.stderr
            self.assertEqual(result.returncode, 0, f"{flag}: {output[-2000:]}")
            self.assertRegex(output, rf"New, {re.escape(version)}, Cipher is (?!\(NONE\))\S+", f"{flag}: {output}")
        for flag in ("-tls1", "-tls1_1"):
            result = s_client(flag)
            output = result.stdout + result.stderr
            self.assertNotEqual(result.returncode, 0, f"{flag} must fail the handshake: {output[-2000:]}")
            self.assertNotRegex(output, r"New, TLSv1(\.\d)?, Cipher is (?!\(NONE\))", f"{flag}: {output}")


class SubmissionTest(TlsAuthBase):
    """Submission (port 587 role) and smtps (port 465 role): TLS, AUTH, then mail. Every AUTH here succeeds."""

    def test_mail_and_auth_before_starttls_refused(self):
        c = self.submission(tls=False)
        c.chat(f"AUTH PLAIN {plain(ALICE, ALICE_PW)}", 530, NEED_STARTTLS)
        c.chat("MAIL FROM:<alice@example.test>", 530, NEED_STARTTLS)
        c.chat("RCPT TO:<bob@example.test>", 530, NEED_STARTTLS)
        c.chat("NOOP", 250, r"2\.0\.0 Ok")
        c.quit()

    def test_mail_before_auth_refused(self):
        c = self.submission()
        c.chat("MAIL FROM:<alice@example.test>", 530, NEED_AUTH)
        c.chat("RCPT TO:<bob@example.test>", 503, r"5\.5\.1 .*|5\.7\.0 .*")
        self.login(c)
        c.chat("MAIL FROM:<alice@example.test>", 250, r"2\.1\.0 Ok")
        c.chat("RSET", 250)
        c.quit()

    def test_auth_plain_with_initial_response_then_again(self):
        c = self.submission()
        c.chat(f"AUTH PLAIN {plain(ALICE, ALICE_PW)}", 235, AUTH_OK)
        c.chat(f"AUTH PLAIN {plain(ALICE, ALICE_PW)}", 503, r"5\.5\.1 Error: already authenticated")
        c.chat("AUTH LOGIN", 503, r"5\.5\.1 Error: already authenticated")
        c.chat("MAIL FROM:<alice@example.test>", 250, r"2\.1\.0 Ok")
        c.chat("RSET", 250)
        c.quit()

    def test_auth_plain_without_initial_response(self):
        c = self.submission()
        challenge = c.command("AUTH PLAIN")
        self.assertEqual(challenge.raw_lines, ["334 "], "an empty challenge: '334 '")
        c.chat(plain(BOB, BOB_PW), 235, AUTH_OK)
        c.quit()

    def test_auth_plain_lowercase_mechanism_and_authzid_of_self(self):
        c = self.submission()
        c.chat(f"auth plain {plain(ALICE, ALICE_PW, authzid=ALICE)}", 235, AUTH_OK)
        c.quit()

    def test_auth_login(self):
        c = self.submission()
        c.chat("AUTH LOGIN", 334, "VXNlcm5hbWU6")      # "Username:"
        c.chat(b64(BOB), 334, "UGFzc3dvcmQ6")          # "Password:"
        c.chat(b64(BOB_PW), 235, AUTH_OK)
        c.chat("MAIL FROM:<bob@example.test>", 250, r"2\.1\.0 Ok")
        c.quit()

    def test_submitted_message_gets_message_id_date_esmtpsa_and_logs(self):
        start = len(self.server.log_text())
        before = self.count("bob@example.test")
        c = self.submission()
        self.login(c)
        c.chat("MAIL FROM:<alice@example.test>", 250, r"2\.1\.0 Ok")
        c.chat("RCPT TO:<bob@example.test>", 250, r"2\.1\.5 Ok")
        queue_id = send_data(c, message(b"submitted without ids"))
        c.quit()
        delivered = self.server.wait_for_message_with(BOB, b"Subject: submitted without ids")[0]
        self.assertEqual(self.count(BOB), before + 1)
        added, rest = split_delivered(delivered)
        self.assertRegex(added["Received"], rf"^from client\.example \(unknown \[127\.0\.0\.1\]\) "
                                            rf"\(using {TLS_DESCRIPTION}.*\) by {re.escape(HOSTNAME)} \(tern\) "
                                            rf"with ESMTPSA id {queue_id}\b")
        headers = rest.split(b"\r\n\r\n", 1)[0]
        self.assertEqual(len(re.findall(rb"(?im)^Message-ID:", headers)), 1, headers)
        self.assertEqual(len(re.findall(rb"(?im)^Date:", headers)), 1, headers)
        self.assertRegex(message_id_of(rest), rf"^\d{{14}}\.{queue_id}@{re.escape(HOSTNAME)}$")
        self.assertRegex(headers, rb"(?m)^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} "
                                  rb"\d\d:\d\d:\d\d [+-]\d{4}")
        self.assertTrue(rest.endswith(b"\r\n\r\nbody of submitted without ids\r\n"), rest)
        self.assertIn(b"From: <alice@example.test>\r\nTo: <bob@example.test>\r\n", rest)
        self.server.wait_for_log(rf"{queue_id}: client=unknown\[127\.0\.0\.1\], sasl_method=PLAIN, "
                                 rf"sasl_username=alice@example\.test$", start=start)
        self.server.wait_for_log(rf"Anonymous TLS connection established from unknown\[127\.0\.0\.1\]: "
                                 rf"{TLS_DESCRIPTION}", start=start)

    def test_submitted_message_keeps_its_own_message_id_and_date(self):
        c = self.submission()
        self.login(c)
        c.chat("MAIL FROM:<alice@example.test>", 250, r"2\.1\.0 Ok")
        c.chat("RCPT TO:<bob@example.test>", 250, r"2\.1\.5 Ok")
        own = b"Message-ID: <own-id@client.example>\r\nDate: Tue, 28 Sep 2021 16:32:51 +0200\r\n"
        body = message(b"submitted with ids", extra=own)
        send_data(c, body)
        c.quit()
        delivered = self.server.wait_for_message_with(BOB, b"Subject: submitted with ids")[0]
        _, rest = split_delivered(delivered)
        self.assertEqual(rest, body, "a message with its own Message-ID and Date is not changed")

    def test_only_missing_date_is_added(self):
        c = self.submission()
        self.login(c)
        c.chat("MAIL FROM:<alice@example.test>", 250, r"2\.1\.0 Ok")
        c.chat("RCPT TO:<bob@example.test>", 250, r"2\.1\.5 Ok")
        send_data(c, message(b"only date missing", extra=b"Message-ID: <half@client.example>\r\n"))
        c.quit()
        delivered = self.server.wait_for_message_with(BOB, b"Subject: only date missing")[0]
        headers = body_headers(delivered)
        self.assertEqual(message_id_of(headers), "half@client.example")
        self.assertEqual(len(re.findall(rb"(?im)^Message-ID:", headers)), 1, headers)
        self.assertEqual(len(re.findall(rb"(?im)^Date:", headers)), 1, headers)

    def test_authenticated_user_may_relay(self):
        c = self.submission()
        self.login(c)
        c.chat("MAIL FROM:<alice@example.test>", 250, r"2\.1\.0 Ok")
        c.chat("RCPT TO:<someone@remote.example>", 250, r"2\.1\.5 Ok")
        send_data(c, b"Subject: relayed\r\n\r\nto the world\r\n")
        c.quit()

    def test_sender_login_mismatch(self):
        c = self.submission()
        self.login(c)
        c.chat("MAIL FROM:<bob@example.test>", 553,
               r"5\.7\.1 <bob@example\.test>: Sender address rejected: not owned by user alice@example\.test")
        c.chat("MAIL FROM:<someone@remote.example>", 553,
               r"5\.7\.1 <someone@remote\.example>: Sender address rejected: not owned by user alice@example\.test")
        for sender in ["alice@example.test", "ALICE@example.test", "alice+tag@example.test", "postmaster@example.test",
                       ""]:
            c.chat(f"MAIL FROM:<{sender}>", 250, r"2\.1\.0 Ok")
            c.chat("RSET", 250, r"2\.0\.0 Ok")
        c.quit()

    def test_smtps_tls_from_the_first_byte(self):
        c = self.smtps()
        self.assertEqual(c.tls_version, "TLSv1.3")
        after = c.ehlo().texts[1:]
        self.assertIn(AUTH_KEYWORD, after)
        self.assertNotIn("STARTTLS", after)
        c.chat("STARTTLS", 503, r"5\.5\.1 .*")
        c.chat("MAIL FROM:<alice@example.test>", 530, NEED_AUTH)
        c.chat("AUTH LOGIN", 334, "VXNlcm5hbWU6")
        c.chat(b64(ALICE), 334, "UGFzc3dvcmQ6")
        c.chat(b64(ALICE_PW), 235, AUTH_OK)
        c.chat("MAIL FROM:<bob@example.test>", 553, r"5\.7\.1 .*not owned by user alice@example\.test")
        c.chat("MAIL FROM:<alice@example.test>", 250, r"2\.1\.0 Ok")
        c.chat("RCPT TO:<carol@example.test>", 250, r"2\.1\.5 Ok")
        queue_id = send_data(c, b"Subject: over smtps\r\n\r\nimplicit TLS\r\n")
        c.quit()
        delivered = self.server.wait_for_message_with("carol@example.test", b"Subject: over smtps")[0]
        added, rest = split_delivered(delivered)
        self.assertRegex(added["Received"], rf"\(using {TLS_DESCRIPTION}.*with ESMTPSA id {queue_id}\b")
        self.assertIsNotNone(message_id_of(rest), "smtps is submission: Message-ID added")
        self.server.wait_for_log(rf"{queue_id}: client=unknown\[127\.0\.0\.1\], sasl_method=LOGIN, "
                                 rf"sasl_username=alice@example\.test$")

    def test_smtps_plaintext_client_gets_nothing(self):
        """A client that speaks SMTP in the clear to the smtps port never gets a banner."""
        c = self.connect(port=self.server.smtps_port, banner=False)
        c.send_line("EHLO client.example")
        self.assertTrue(c.closed_by_server(seconds=10), "ternd must drop a failed handshake")
        self.assertFalse(re.search(rb"^2\d\d", c.last_bytes, re.M), c.last_bytes)
        self.assertTrue(self.server.running())

    def test_smtplib_starttls_login(self):
        before = self.count("carol@example.test")
        with smtplib.SMTP("127.0.0.1", self.server.submission_port, local_hostname="client.example",
                          timeout=timeout(20)) as client:
            client.ehlo()
            self.assertTrue(client.has_extn("starttls"))
            self.assertFalse(client.has_extn("auth"))
            client.starttls(context=client_tls_context())
            client.ehlo()
            self.assertEqual(client.esmtp_features.get("auth", "").split(), ["PLAIN", "LOGIN"])
            code, _ = client.login(ALICE, ALICE_PW)
            self.assertEqual(code, 235)
            refused = client.sendmail(ALICE, ["carol@example.test"], b"Subject: smtplib starttls\r\n\r\nx\r\n")
            self.assertEqual(refused, {})
        self.server.wait_for_message_with("carol@example.test", b"Subject: smtplib starttls")
        self.assertEqual(self.count("carol@example.test"), before + 1)

    def test_smtplib_smtps_login(self):
        with smtplib.SMTP_SSL("127.0.0.1", self.server.smtps_port, local_hostname="client.example",
                              timeout=timeout(20), context=client_tls_context()) as client:
            client.ehlo()
            self.assertFalse(client.has_extn("starttls"))
            client.login(BOB, BOB_PW)
            client.sendmail(BOB, ["carol@example.test"], b"Subject: smtplib smtps\r\n\r\nx\r\n")
        self.server.wait_for_message_with("carol@example.test", b"Subject: smtplib smtps")

    def swaks(self, *arguments):
        command = [SWAKS, "--server", f"127.0.0.1:{self.server.submission_port}", "--helo", "client.example",
                   "--timeout", "10", *arguments]
        return subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout(30))

    @unittest.skipUnless(SWAKS, "swaks is not installed")
    def test_swaks_submission_plain_and_login_and_smtps(self):
        for number, auth in enumerate(["PLAIN", "LOGIN"]):
            subject = f"swaks {auth}"
            result = self.swaks("--from", ALICE, "--to", "dave@example.test", "--tls", "--auth", auth,
                                "--auth-user", ALICE, "--auth-password", ALICE_PW, "--header", f"Subject: {subject}")
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertRegex(result.stdout, r"<~  235 2\.7\.0 Authentication successful")
            self.assertRegex(result.stdout, r"<~  250 2\.0\.0 Ok: queued as [0-9A-F]+")
            self.server.wait_for_message_with("dave@example.test", subject.encode())
        result = subprocess.run(
            [SWAKS, "--server", f"127.0.0.1:{self.server.smtps_port}", "--helo", "client.example", "--timeout", "10",
             "--tls-on-connect", "--auth", "PLAIN", "--auth-user", BOB, "--auth-password", BOB_PW,
             "--from", BOB, "--to", "dave@example.test", "--header", "Subject: swaks smtps"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout(30))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertRegex(result.stdout, r"<~  250 2\.0\.0 Ok: queued as [0-9A-F]+")
        self.server.wait_for_message_with("dave@example.test", b"swaks smtps")

    @unittest.skipUnless(SWAKS, "swaks is not installed")
    def test_swaks_without_tls_cannot_authenticate(self):
        result = self.swaks("--from", ALICE, "--to", "dave@example.test", "--auth", "PLAIN",
                            "--auth-user", ALICE, "--auth-password", ALICE_PW)
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertNotIn("235 ", result.stdout)


class AuthFailureTest(TlsAuthBase):
    """Failed and broken AUTH exchanges. Each test uses its own client address (the throttle delays later
    attempts from an address that failed) and eve or unknown logins."""

    def test_bad_password_and_unknown_user_get_the_same_reply(self):
        start = len(self.server.log_text())
        c = self.submission(source="127.0.0.10")
        wrong = c.command(f"AUTH PLAIN {plain(EVE, 'not-eve-pw')}")
        self.assertEqual(str(wrong), AUTH_FAILED)
        unknown = c.command(f"AUTH PLAIN {plain('nobody@example.test', EVE_PW)}")
        self.assertEqual(str(unknown), AUTH_FAILED, "an unknown user must look exactly like a bad password")
        # the connection is still usable below the limit (5), and the right password still works
        c.chat(f"AUTH PLAIN {plain(EVE, EVE_PW)}", 235, AUTH_OK)
        c.quit()
        found = self.server.wait_for_log(r"warning: unknown\[127\.0\.0\.10\]: SASL PLAIN authentication failed: "
                                         r"authentication failure", start=start)
        self.server.wait_for_log(r"warning: unknown\[127\.0\.0\.10\]: SASL PLAIN authentication failed: "
                                 r"authentication failure", start=start + found.end())
        self.assertNotIn("not-eve-pw", self.server.log_text(), "passwords are never logged")

    def test_auth_login_failure(self):
        start = len(self.server.log_text())
        c = self.submission(source="127.0.0.13")
        c.chat("AUTH LOGIN", 334, "VXNlcm5hbWU6")
        c.chat(b64("somebody-else@example.test"), 334, "UGFzc3dvcmQ6")
        self.assertEqual(str(c.command(b64("x"))), AUTH_FAILED)
        c.quit()
        self.server.wait_for_log(r"warning: unknown\[127\.0\.0\.13\]: SASL LOGIN authentication failed: "
                                 r"authentication failure", start=start)

    def test_user_without_password_cannot_log_in(self):
        c = self.submission(source="127.0.0.11")
        # carol is in the users file with an empty password field
        self.assertEqual(str(c.command(f"AUTH PLAIN {plain('carol@example.test', '')}")), AUTH_FAILED)
        c.quit()

    def test_cancel_malformed_and_unknown_mechanism(self):
        c = self.submission(source="127.0.0.12")
        c.chat("AUTH PLAIN", 334, "")
        c.chat("*", 501, r"5\.7\.0 Authentication aborted")
        c.chat("AUTH LOGIN", 334, "VXNlcm5hbWU6")
        c.chat("*", 501, r"5\.7\.0 Authentication aborted")
        c.chat("AUTH PLAIN !!not-base64!!", 501, r"5\.5\.2 Cannot decode response")
        c.chat("AUTH PLAIN", 334, "")
        c.chat("%%%", 501, r"5\.5\.2 Cannot decode response")
        c.chat("AUTH CRAM-MD5", 504, r"5\.5\.4 Unrecognized authentication type")
        c.chat("AUTH", 501, r"5\.5\.4 Syntax: .*")
        c.chat("NOOP", 250, r"2\.0\.0 Ok")
        c.quit()


class BruteForceTest(unittest.TestCase):
    """smtpd_auth_failure_limit and the progressive delay, on a ternd of its own."""

    def test_failure_limit_closes_and_failures_are_delayed(self):
        with TernServer({"smtpd_auth_failure_limit": "3"}, submission=True, passwords=PASSWORDS) as server:
            c = server.connect(port=server.submission_port)
            self.addCleanup(c.close)
            c.ehlo()
            c.starttls()
            c.ehlo()
            began = time.monotonic()
            took = []
            replies = []
            for attempt in range(3):
                sent = time.monotonic()
                c.send_line(f"AUTH PLAIN {plain(EVE, f'guess-{attempt}')}")
                replies.append(c.reply())
                took.append(time.monotonic() - sent)
            self.assertEqual([str(r) for r in replies[:2]], [AUTH_FAILED, AUTH_FAILED])
            self.assertEqual(str(replies[2]), f"421 4.7.0 {HOSTNAME} Error: too many authentication failures")
            self.assertTrue(c.closed_by_server(seconds=5), "the 421 closes the connection")
            self.assertLess(took[0], timeout(1.5), f"the first failure is not delayed: {took}")
            self.assertGreaterEqual(took[1], 0.8, f"the second failure is delayed: {took}")
            self.assertGreater(took[2], took[1] + 0.3, f"the delay grows with the failures: {took}")
            server.wait_for_log(r"disconnect from unknown\[127\.0\.0\.1\] .*auth=0/3")
            # reconnecting does not reset the delay: it is kept per client address
            again = server.connect(port=server.submission_port)
            self.addCleanup(again.close)
            again.ehlo()
            again.starttls()
            again.ehlo()
            sent = time.monotonic()
            self.assertEqual(str(again.command(f"AUTH PLAIN {plain('other@example.test', 'guess')}")), AUTH_FAILED)
            took.append(time.monotonic() - sent)
            self.assertGreaterEqual(took[3], 0.8, f"a new connection from the same address is delayed: {took}")
            self.assertLess(time.monotonic() - began, timeout(15), f"delays stay bounded: {took}")
            again.quit()


class TlsPolicyTest(unittest.TestCase):
    """smtpd_tls_security_level, smtpd_sasl_auth_enable and smtpd_tls_protocols on the smtp role."""

    def test_encrypt_and_auth_on_port_25(self):
        settings = {"smtpd_tls_security_level": "encrypt", "smtpd_sasl_auth_enable": "yes",
                    "smtpd_tls_protocols": ">=TLSv1.3"}
        with TernServer(settings, passwords=PASSWORDS) as server:
            c = server.connect()
            self.addCleanup(c.close)
            before = c.ehlo().texts[1:]
            self.assertIn("STARTTLS", before)
            self.assertFalse([k for k in before if k.startswith("AUTH")], before)
            c.chat("MAIL FROM:<a@remote.test>", 530, NEED_STARTTLS)
            c.chat(f"AUTH PLAIN {plain(ALICE, ALICE_PW)}", 530, NEED_STARTTLS)
            c.starttls()
            after = c.ehlo().texts[1:]
            self.assertIn(AUTH_KEYWORD, after)
            self.assertNotIn("STARTTLS", after)
            c.chat(f"AUTH PLAIN {plain(ALICE, ALICE_PW)}", 235, AUTH_OK)
            c.chat("MAIL FROM:<alice@example.test>", 250, r"2\.1\.0 Ok")
            c.chat("RCPT TO:<bob@example.test>", 250, r"2\.1\.5 Ok")
            queue_id = send_data(c, b"Subject: port 25 auth\r\n\r\nx\r\n")
            c.quit()
            delivered = server.wait_for_message_with(BOB, b"Subject: port 25 auth")[0]
            added, rest = split_delivered(delivered)
            self.assertRegex(added["Received"], rf"with ESMTPSA id {queue_id}\b")
            self.assertEqual(rest, b"Subject: port 25 auth\r\n\r\nx\r\n", "port 25 adds no Message-ID/Date")
            # smtpd_tls_protocols = >=TLSv1.3: a TLS 1.2 client is refused
            c2 = server.connect()
            self.addCleanup(c2.close)
            c2.ehlo()
            c2.chat("STARTTLS", 220, READY)
            with self.assertRaises(ssl.SSLError):
                c2.handshake(client_tls_context(maximum=ssl.TLSVersion.TLSv1_2))

    def test_security_level_none_offers_no_starttls(self):
        with TernServer({"smtpd_tls_security_level": "none"}) as server:
            c = server.connect()
            self.addCleanup(c.close)
            ehlo = c.ehlo().texts[1:]
            self.assertEqual(ehlo, [k for k in EHLO_KEYWORDS if k != "STARTTLS"])
            c.chat("STARTTLS", 502, r"5\.5\.[12] .*")
            c.quit()


if __name__ == "__main__":
    unittest.main()
