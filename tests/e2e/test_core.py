"""End-to-end: a real ternd on loopback driven by Python's smtplib and raw sockets.

Covers the seed transcripts, the command set with its reply codes, pipelining, byte-exact Maildir delivery,
aliases and + addressing, 8BITMIME/SMTPUTF8, BDAT, relay control by client address, and limits.
"""
import re
import smtplib
import threading
import unittest

from ternd_harness import Conversation, TernServer, body_of

EHLO_KEYWORDS = ["PIPELINING", "SIZE 10240000", "ETRN", "STARTTLS", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN",
                 "SMTPUTF8", "CHUNKING"]


def smtp(port):
    # local_hostname avoids smtplib's reverse DNS lookup of this machine (there is no network here)
    return smtplib.SMTP("127.0.0.1", port, local_hostname="client.example", timeout=30)


class CoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = TernServer(
            users=["alice@example.test", "bob@example.test", "jörg@example.test", "carol"],
            aliases={"postmaster": "alice@example.test", "team": "alice@example.test, bob@example.test",
                     "chain": "team", "root": "carol"}).start()
        cls.port = cls.server.port

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def conversation(self, source="127.0.0.1"):
        c = Conversation(self.port, source)
        self.assertEqual(c.reply(), "220 mail.example.test ESMTP tern")
        return c

    def test_seed_transcript_helo_and_ehlo(self):
        c = self.conversation()
        self.assertEqual(c.command("HELO mail1.inlanefreight.htb"), "250 mail.example.test")
        ehlo = c.command("EHLO mail1").split("\n")
        self.assertEqual(ehlo[0], "250-mail.example.test")
        self.assertEqual([line[4:] for line in ehlo[1:]], EHLO_KEYWORDS)
        self.assertTrue(ehlo[-1].startswith("250 "))
        self.assertEqual(c.command("QUIT"), "221 2.0.0 Bye")

    def test_seed_transcript_vrfy_never_tells_users_apart(self):
        c = self.conversation()
        answers = {c.command(f"VRFY {name}") for name in ["root", "alice", "cry0l1t3", "a" * 28]}
        self.assertEqual(answers, {"252 2.0.0 Cannot VRFY user; try RCPT to attempt delivery"})
        self.assertEqual(c.command("EXPN team"), "252 2.0.0 Cannot VRFY user; try RCPT to attempt delivery")

    def test_seed_transcript_send_an_email(self):
        c = self.conversation()
        c.command("EHLO inlanefreight.htb")
        self.assertEqual(c.command("MAIL FROM: <cry0l1t3@inlanefreight.htb>"), "250 2.1.0 Ok")
        self.assertEqual(c.command("RCPT TO: <bob@example.test> NOTIFY=success,failure"), "250 2.1.5 Ok")
        self.assertEqual(c.command("DATA"), "354 End data with <CR><LF>.<CR><LF>")
        before = len(self.server.messages("bob@example.test"))
        message = ("From: <cry0l1t3@inlanefreight.htb>\r\nTo: <bob@example.test>\r\nSubject: DB\r\n"
                   "Date: Tue, 28 Sept 2021 16:32:51 +0200\r\n"
                   "Hey man, I am trying to access our XY-DB but the creds don't work. \r\n"
                   "Did you make any changes there?\r\n")
        self.assertRegex(c.command(message + "."), r"^250 2\.0\.0 Ok: queued as [0-9A-F]+$")
        self.assertEqual(c.command("QUIT"), "221 2.0.0 Bye")
        delivered = self.server.wait_for_messages("bob@example.test", before + 1)[-1]
        self.assertIn(b"Delivered-To: bob@example.test\r\n", delivered)
        self.assertTrue(delivered.startswith(b"Return-Path: <cry0l1t3@inlanefreight.htb>\r\n"))
        self.assertEqual(body_of(delivered), message.encode())

    def test_command_codes_and_sequence(self):
        c = self.conversation()
        self.assertEqual(c.command("RCPT TO:<alice@example.test>"), "503 5.5.1 Error: need MAIL command")
        self.assertEqual(c.command("DATA"), "503 5.5.1 Error: need MAIL command")
        self.assertEqual(c.command("HELO"), "501 5.5.4 Syntax: HELO hostname")
        self.assertEqual(c.command("NOOP"), "250 2.0.0 Ok")
        self.assertRegex(c.command("HELP"), r"^214 2\.0\.0 ")
        self.assertEqual(c.command("FOO"), "502 5.5.2 Error: command not recognized")
        self.assertEqual(c.command("MAIL FROM:<a@remote.test>"), "250 2.1.0 Ok")
        self.assertEqual(c.command("MAIL FROM:<a@remote.test>"), "503 5.5.1 Error: nested MAIL command")
        self.assertEqual(c.command("DATA"), "503 5.5.1 Error: need RCPT command")
        self.assertEqual(c.command("RCPT TO:<nobody@example.test>"),
                         "550 5.1.1 <nobody@example.test>: Recipient address rejected: "
                         "User unknown in local recipient table")
        self.assertEqual(c.command("RCPT TO:<bad address>"), "501 5.1.3 Bad recipient address syntax")
        self.assertEqual(c.command("RCPT TO:<alice@example.test> FOO=1"), "555 5.5.4 Unsupported option: FOO")
        self.assertRegex(c.command("RCPT TO:<alice@example.test> NOTIFY=NEVER,SUCCESS"), r"^501 5\.5\.4 ")
        self.assertEqual(c.command("DATA"), "554 5.5.1 Error: no valid recipients")
        self.assertEqual(c.command("RSET"), "250 2.0.0 Ok")
        self.assertEqual(c.command("MAIL FROM:<a b>"), "501 5.1.7 Bad sender address syntax")
        self.assertEqual(c.command("MAIL FROM:<a@remote.test> SIZE=99999999999"),
                         "552 5.3.4 Message size exceeds fixed limit")
        self.assertEqual(c.command("EHLO client"), c.command("EHLO client"))
        self.assertEqual(c.command("ETRN example.test"), "250 Queuing started")
        self.assertEqual(c.command("QUIT"), "221 2.0.0 Bye")
        self.server.wait_for_log(r"disconnect from unknown\[127\.0\.0\.1\] .*commands=")

    def test_whole_transaction_pipelined_in_one_write(self):
        before = len(self.server.messages("alice@example.test"))
        c = self.conversation()
        c.send("EHLO client\r\nMAIL FROM:<p@remote.test>\r\nRCPT TO:<nobody@example.test>\r\n"
               "RCPT TO:<alice@example.test>\r\nDATA\r\nSubject: pipelined\r\n\r\nhi\r\n.\r\nQUIT\r\n")
        replies = [c.reply() for _ in range(7)]
        self.assertTrue(replies[0].startswith("250-mail.example.test"))
        self.assertEqual(replies[1], "250 2.1.0 Ok")
        self.assertTrue(replies[2].startswith("550 5.1.1"))
        self.assertEqual(replies[3], "250 2.1.5 Ok")
        self.assertEqual(replies[4], "354 End data with <CR><LF>.<CR><LF>")
        self.assertRegex(replies[5], r"^250 2\.0\.0 Ok: queued as")
        self.assertEqual(replies[6], "221 2.0.0 Bye")
        self.server.wait_for_messages("alice@example.test", before + 1)

    def test_smtplib_delivery_is_byte_exact_with_dot_stuffing(self):
        body = (b"Subject: exact\r\n\r\n.leading dot\r\n..two dots\r\nline with \xc3\xa9 8bit\r\n"
                b"trailing spaces   \r\n\r\n")
        before = len(self.server.messages("bob@example.test"))
        with smtp(self.port) as client:
            client.sendmail("sender@remote.test", ["bob@example.test"], body, mail_options=["BODY=8BITMIME"])
        delivered = self.server.wait_for_messages("bob@example.test", before + 1)[-1]
        self.assertEqual(body_of(delivered), body)
        self.assertIn(b"with ESMTP id ", delivered)

    def test_smtputf8_local_part(self):
        before = len(self.server.messages("jörg@example.test"))
        with smtp(self.port) as client:
            client.ehlo()
            client.sendmail("sender@remote.test", ["jörg@example.test"], "Subject: ü\r\n\r\nhallo\r\n".encode(),
                            mail_options=["SMTPUTF8", "BODY=8BITMIME"])
        delivered = self.server.wait_for_messages("jörg@example.test", before + 1)[-1]
        self.assertIn("Delivered-To: jörg@example.test".encode(), delivered)
        self.assertIn(b"with UTF8SMTP id", delivered)
        c = self.conversation()
        c.command("EHLO x")
        c.command("MAIL FROM:<a@remote.test>")
        self.assertRegex(c.command("RCPT TO:<jörg@example.test>"), r"^553 5\.6\.7 ")

    def test_plus_addressing_aliases_and_postmaster(self):
        counts = {a: len(self.server.messages(a)) for a in ["alice@example.test", "bob@example.test"]}
        with smtp(self.port) as client:
            client.sendmail("s@remote.test", ["alice+lists@example.test"], b"Subject: plus\r\n\r\nx\r\n")
            client.sendmail("s@remote.test", ["chain@example.test"], b"Subject: chain\r\n\r\nx\r\n")
            client.sendmail("s@remote.test", ["postmaster"], b"Subject: pm\r\n\r\nx\r\n")
        alice = self.server.wait_for_messages("alice@example.test", counts["alice@example.test"] + 3)
        bob = self.server.wait_for_messages("bob@example.test", counts["bob@example.test"] + 1)
        self.assertTrue(any(b"Delivered-To: alice+lists@example.test" in m for m in alice))
        self.assertTrue(any(b"Subject: chain" in m for m in bob))
        self.assertTrue(any(b"Subject: pm" in m for m in alice))

    def test_bare_user_and_root_alias(self):
        with smtp(self.port) as client:
            client.sendmail("s@remote.test", ["root@example.test"], b"Subject: to root\r\n\r\nx\r\n")
        self.server.wait_for_log(r"to=<root@example\.test>.*status=sent")

    def test_bdat_chunks_deliver_byte_exact(self):
        before = len(self.server.messages("alice@example.test"))
        part1, part2 = b"Subject: chunked\r\n\r\n", b"no dot-stuffing here:\r\n.\r\nend\r\n"
        c = self.conversation()
        c.command("EHLO x")
        c.command("MAIL FROM:<c@remote.test>")
        c.command("RCPT TO:<alice@example.test>")
        c.send(b"BDAT %d\r\n" % len(part1) + part1)
        self.assertEqual(c.reply(), f"250 2.0.0 Ok: {len(part1)} octets received")
        c.send(b"BDAT %d LAST\r\n" % len(part2) + part2)
        self.assertRegex(c.reply(), r"^250 2\.0\.0 Ok: queued as")
        delivered = self.server.wait_for_messages("alice@example.test", before + 1)[-1]
        self.assertEqual(body_of(delivered), part1 + part2)

    def test_relay_denied_outside_mynetworks_allowed_inside(self):
        outside = self.conversation(source="127.0.0.2")
        outside.command("EHLO outside")
        outside.command("MAIL FROM:<a@remote.test>")
        self.assertEqual(outside.command("RCPT TO:<x@other.example>"),
                         "554 5.7.1 <x@other.example>: Relay access denied")
        self.assertEqual(outside.command("RCPT TO:<alice@example.test>"), "250 2.1.5 Ok")
        inside = self.conversation(source="127.0.0.1")
        inside.command("EHLO inside")
        inside.command("MAIL FROM:<a@example.test>")
        self.assertEqual(inside.command("RCPT TO:<x@other.example>"), "250 2.1.5 Ok")

    def test_nmap_open_relay_forms_are_all_refused_from_outside(self):
        forms = ["relaytest@nmap.scanme.org", "relaytest%nmap.scanme.org@[127.0.0.1]",
                 "relaytest%nmap.scanme.org@example.test", '"relaytest@nmap.scanme.org"',
                 '"relaytest%nmap.scanme.org"', "relaytest@nmap.scanme.org@[127.0.0.1]",
                 '"relaytest@nmap.scanme.org"@[127.0.0.1]', '"relaytest@nmap.scanme.org"@example.test',
                 "relaytest@nmap.scanme.org@example.test", "@[127.0.0.1]:relaytest@nmap.scanme.org",
                 "@example.test:relaytest@nmap.scanme.org", "nmap.scanme.org!relaytest",
                 "nmap.scanme.org!relaytest@[127.0.0.1]", "nmap.scanme.org!relaytest@example.test"]
        for sender in ["<>", "<antispam@nmap.scanme.org>", "<antispam@[127.0.0.1]>"]:
            # one connection per sender, as nmap reconnects: 14 refusals stay under the hard error limit
            c = self.conversation(source="127.0.0.2")
            c.command("EHLO nmap.scanme.org")
            self.assertEqual(c.command(f"MAIL FROM:{sender}"), "250 2.1.0 Ok")
            for form in forms:
                reply = c.command(f"RCPT TO:<{form}>")
                self.assertFalse(reply.startswith("2"), f"{sender} -> {form}: {reply}")

    def test_two_hundred_concurrent_clients_all_delivered(self):
        before = len(self.server.messages("bob@example.test"))
        errors = []

        def send(number):
            try:
                with smtp(self.port) as client:
                    client.sendmail("load@remote.test", ["bob@example.test"],
                                    f"Subject: load {number}\r\n\r\nmessage {number}\r\n".encode())
            except Exception as error:  # collected, reported below
                errors.append(error)

        threads = [threading.Thread(target=send, args=(n,)) for n in range(200)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual(errors, [])
        delivered = self.server.wait_for_messages("bob@example.test", before + 200, timeout=60)
        subjects = {re.search(rb"Subject: load (\d+)", m).group(1) for m in delivered if b"Subject: load" in m}
        self.assertEqual(len(subjects), 200)


if __name__ == "__main__":
    unittest.main()
