"""End-to-end delivery into Maildir: byte-exact, 8BITMIME, SMTPUTF8, + addressing, aliases, BDAT, NUL
bytes, and 200 concurrent clients.

Each accepted message must land as exactly one file in <mail_root>/<domain>/<user>/Maildir/new/ holding
Return-Path:, Delivered-To: and Received: lines followed by the message byte for byte as sent.
"""
import os
import re
import threading
import time

from ternlib import (HOSTNAME, QUEUED, SharedServerTest, SmtpConversation, split_delivered, timeout,
                     wait_until)


class DeliveryTest(SharedServerTest):
    def send(self, sender, recipients, message, mail_params="", c=None):
        """One transaction over a fresh connection (or c); returns the queue id."""
        own = c is None
        c = c or self.connect()
        if own:
            c.ehlo()
        c.chat(f"MAIL FROM:<{sender}>{mail_params}", 250, r"2\.1\.0 Ok")
        for recipient in recipients:
            c.chat(f"RCPT TO:<{recipient}>", 250, r"2\.1\.5 Ok")
        c.chat("DATA", 354)
        stuffed = (b"." + message if message.startswith(b".") else message).replace(b"\r\n.", b"\r\n..")
        c.send(stuffed + b".\r\n")
        queue_id = c.expect(250, QUEUED[4:]).text.split()[-1]
        if own:
            c.quit()
        return queue_id

    def only_message_with(self, address, marker):
        found = self.server.wait_for_message_with(address, marker)
        time.sleep(0.05)
        found = [m for m in self.server.messages(address) if marker in m]
        self.assertEqual(len(found), 1, f"{address}: exactly one message containing {marker!r}")
        return found[0]

    def test_byte_exact_with_dot_stuffing_and_odd_lines(self):
        message = (b"Message-ID: <exact-1@test>\r\nSubject: exact\r\nX-Folded: one\r\n\ttwo\r\n\r\n"
                   b".leading dot\r\n..two dots\r\n.\r\n...\r\n"
                   b"trailing spaces   \r\n\ttab line\r\n\r\n\r\n"
                   + b"long " * 2000 + b"\r\n"          # a 10,000-byte body line
                   b"no final blank\r\n")
        queue_id = self.send("sender@remote.test", ["alice@example.test"], message)
        delivered = self.only_message_with("alice@example.test", b"<exact-1@test>")
        added, body = split_delivered(delivered)
        self.assertEqual(body, message)
        self.assertEqual(added["Return-Path"], "<sender@remote.test>")
        self.assertEqual(added["Delivered-To"], "alice@example.test")
        self.assertRegex(added["Received"], r"^from client\.example \((\S+ )?\[127\.0\.0\.1\]\)")
        self.assertRegex(added["Received"], rf"by {re.escape(HOSTNAME)} \(tern\) with ESMTP id {queue_id}\b")
        self.assertRegex(added["Received"], r"for <alice@example\.test>")
        self.assertRegex(added["Received"], r"; \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}")

    def test_maildir_layout(self):
        self.send("sender@remote.test", ["carol@example.test"], b"Message-ID: <layout@test>\r\n\r\nx\r\n")
        self.only_message_with("carol@example.test", b"<layout@test>")
        maildir = self.server.maildir("carol@example.test")
        for sub in ("new", "cur", "tmp"):
            self.assertTrue(os.path.isdir(os.path.join(maildir, sub)), f"{maildir}/{sub} missing")
        self.assertEqual(os.listdir(os.path.join(maildir, "tmp")), [], "a file was left in tmp/")
        for path in self.server.message_files("carol@example.test"):
            name = os.path.basename(path)
            self.assertRegex(name, r"^\d+\.[^/:]+\.[^/:]+", "Maildir names are time.unique.host")
            self.assertNotIn(":", name.split(",")[0][:0])  # new/ names carry no info part yet
            self.assertNotRegex(name, r":2,")

    def test_null_sender(self):
        self.send("", ["bob@example.test"], b"Message-ID: <null-sender@test>\r\n\r\nbounce\r\n")
        added, _ = split_delivered(self.only_message_with("bob@example.test", b"<null-sender@test>"))
        self.assertEqual(added["Return-Path"], "<>")

    def test_8bitmime_body(self):
        message = ("Message-ID: <8bit@test>\r\nSubject: =?UTF-8?Q?gr=C3=BC=C3=9Fe?=\r\n"
                   "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                   "Grüße, naïve café — 日本語\r\n").encode() + bytes(range(0x80, 0x100)) + b"\r\n"
        self.send("sender@remote.test", ["bob@example.test"], message, " BODY=8BITMIME")
        _, body = split_delivered(self.only_message_with("bob@example.test", b"<8bit@test>"))
        self.assertEqual(body, message)

    def test_smtputf8_local_part(self):
        message = "Message-ID: <utf8@test>\r\nFrom: <müller@absender.test>\r\nSubject: ü\r\n\r\nhallo\r\n".encode()
        queue_id = self.send("müller@absender.test", ["jörg@example.test"], message, " SMTPUTF8 BODY=8BITMIME")
        delivered = self.only_message_with("jörg@example.test", b"<utf8@test>")
        added, body = split_delivered(delivered)
        self.assertEqual(body, message)
        self.assertEqual(added["Delivered-To"], "jörg@example.test")
        self.assertEqual(added["Return-Path"], "<müller@absender.test>")
        self.assertRegex(added["Received"], rf"with UTF8SMTPS?A?\b.*id {queue_id}|with ESMTP id {queue_id}")
        self.assertTrue(os.path.isdir(os.path.join(self.server.mail_root, "example.test", "jörg", "Maildir")))

    def test_utf8_address_without_smtputf8_is_refused(self):
        c = self.connect()
        c.ehlo()
        c.chat("MAIL FROM:<a@remote.test>", 250)
        reply = c.command("RCPT TO:<jörg@example.test>")
        self.assertEqual(reply.code // 100, 5, f"RFC 6531 §3.4: a UTF-8 address needs SMTPUTF8: {reply}")
        c.chat("RSET", 250)
        reply = c.command("MAIL FROM:<müller@absender.test>")
        self.assertEqual(reply.code // 100, 5, f"UTF-8 sender without SMTPUTF8: {reply}")
        c.quit()

    def test_plus_addressing(self):
        self.send("s@remote.test", ["alice+lists@example.test"], b"Message-ID: <plus@test>\r\n\r\nx\r\n")
        added, _ = split_delivered(self.only_message_with("alice@example.test", b"<plus@test>"))
        self.assertIn(added["Delivered-To"], ("alice+lists@example.test", "alice@example.test"))
        self.assertEqual(self.server.messages("alice+lists@example.test"), [],
                         "no Maildir for the extended address")
        c = self.connect()
        c.ehlo()
        c.chat("MAIL FROM:<s@remote.test>", 250)
        c.chat("RCPT TO:<nobody+tag@example.test>", 550, r"5\.1\.1 .*User unknown in local recipient table")
        c.quit()

    def test_alias_to_one_target(self):
        self.send("s@remote.test", ["info@example.test"], b"Message-ID: <alias-1@test>\r\n\r\nx\r\n")
        added, _ = split_delivered(self.only_message_with("carol@example.test", b"<alias-1@test>"))
        self.assertEqual(added["Delivered-To"], "carol@example.test")
        self.assertEqual(self.server.messages("info@example.test"), [])

    def test_alias_chain_and_multiple_targets(self):
        self.send("s@remote.test", ["chain@example.test"], b"Message-ID: <alias-2@test>\r\n\r\nx\r\n")
        for target in ["alice@example.test", "bob@example.test"]:
            added, _ = split_delivered(self.only_message_with(target, b"<alias-2@test>"))
            self.assertEqual(added["Delivered-To"], target)

    def test_duplicate_rcpt_delivers_once(self):
        """The same RCPT twice: one copy (Postfix's cleanup drops duplicate recipients)."""
        self.send("s@remote.test", ["alice@example.test", "bob@example.test", "alice@example.test"],
                  b"Message-ID: <dedup@test>\r\n\r\nx\r\n")
        self.only_message_with("bob@example.test", b"<dedup@test>")
        self.only_message_with("alice@example.test", b"<dedup@test>")

    def test_postmaster_accepted_in_every_form(self):
        for number, address in enumerate(["postmaster", "postmaster@example.test", "POSTMASTER@example.test",
                                           "postmaster@mail.example.test", "abuse@example.test"]):
            marker = f"<pm-{number}@test>".encode()
            self.send("s@remote.test", [address], b"Message-ID: " + marker + b"\r\n\r\nx\r\n")
            self.only_message_with("alice@example.test", marker)

    def test_unknown_user_is_refused_and_others_still_delivered(self):
        c = self.connect()
        c.ehlo()
        c.chat("MAIL FROM:<s@remote.test>", 250)
        c.chat("RCPT TO:<nobody@example.test>", 550,
               r"5\.1\.1 <nobody@example\.test>: Recipient address rejected: User unknown in local recipient table")
        c.chat("RCPT TO:<dave@example.test>", 250)
        c.chat("DATA", 354)
        c.send(b"Message-ID: <partial@test>\r\n\r\nx\r\n.\r\n")
        c.expect(250, QUEUED[4:])
        c.quit()
        self.only_message_with("dave@example.test", b"<partial@test>")
        self.assertEqual(self.server.messages("nobody@example.test"), [])

    def test_several_messages_one_connection(self):
        c = self.connect()
        c.ehlo()
        ids = [self.send("s@remote.test", ["dave@example.test"],
                         b"Message-ID: <same-conn-%d@test>\r\n\r\nx\r\n" % n, c=c) for n in range(5)]
        c.quit()
        self.assertEqual(len(set(ids)), 5)
        for n in range(5):
            self.only_message_with("dave@example.test", b"<same-conn-%d@test>" % n)

    def test_bdat_several_chunks_byte_exact(self):
        parts = [b"Message-ID: <bdat-1@test>\r\nSubject: chunks\r\n",
                 b"\r\n.this line starts with a dot and is NOT stuffed in BDAT\r\n",
                 b"half a li", b"ne\r\n.\r\n", b"", b"\xff\xfe binary-ish \x80\r\nend\r\n"]
        c = self.connect()
        c.ehlo()
        c.chat("MAIL FROM:<c@remote.test> BODY=8BITMIME", 250)
        c.chat("RCPT TO:<bob@example.test>", 250)
        for part in parts[:-1]:
            c.send(b"BDAT %d\r\n" % len(part) + part)
            c.expect(250, rf"2\.0\.0 Ok: {len(part)} octets received")
        c.send(b"BDAT %d LAST\r\n" % len(parts[-1]) + parts[-1])
        queue_id = c.expect(250, QUEUED[4:]).text.split()[-1]
        c.quit()
        added, body = split_delivered(self.only_message_with("bob@example.test", b"<bdat-1@test>"))
        self.assertEqual(body, b"".join(parts))
        self.assertRegex(added["Received"], rf"id {queue_id}\b")

    def test_bdat_zero_last_and_data_refused_after_bdat(self):
        c = self.connect()
        c.ehlo()
        c.chat("MAIL FROM:<c@remote.test>", 250)
        c.chat("RCPT TO:<bob@example.test>", 250)
        chunk = b"Message-ID: <bdat-2@test>\r\n\r\nzero last\r\n"
        c.send(b"BDAT %d\r\n" % len(chunk) + chunk)
        c.expect(250, rf"2\.0\.0 Ok: {len(chunk)} octets received")
        reply = c.command("DATA")  # RFC 3030 §2: DATA may not follow BDAT in one transaction
        self.assertEqual(reply.code, 503, str(reply))
        c.send(b"BDAT 0 LAST\r\n")
        c.expect(250, QUEUED[4:])
        c.quit()
        _, body = split_delivered(self.only_message_with("bob@example.test", b"<bdat-2@test>"))
        self.assertEqual(body, chunk)

    def test_nul_bytes_in_data_do_not_break_the_server(self):
        c = self.connect()
        c.ehlo()
        c.chat("MAIL FROM:<s@remote.test>", 250)
        c.chat("RCPT TO:<carol@example.test>", 250)
        c.chat("DATA", 354)
        nul_message = b"Message-ID: <nul@test>\r\n\r\nbefore\0after\r\n\0\0\0\r\n"
        c.send(nul_message + b".\r\n")
        reply = c.reply()
        self.assertIn(reply.code // 100, (2, 5), str(reply))
        if reply.code == 250:
            _, body = split_delivered(self.only_message_with("carol@example.test", b"<nul@test>"))
            self.assertEqual(body, nul_message, "an accepted message is stored as sent")
        c.chat("NOOP", 250)
        c.send(b"NO\0OP\r\n")
        self.assertEqual(c.reply().code // 100, 5)
        self.send("s@remote.test", ["carol@example.test"], b"Message-ID: <after-nul@test>\r\n\r\nx\r\n", c=c)
        c.quit()
        self.only_message_with("carol@example.test", b"<after-nul@test>")

    def test_two_hundred_concurrent_clients(self):
        count = 200
        errors = []
        queue_ids = {}
        barrier = threading.Barrier(count, timeout=timeout(60))

        def client(number):
            try:
                c = SmtpConversation("127.0.0.1", self.server.port, read_timeout=60)
                try:
                    c.expect(220)
                    try:
                        barrier.wait()  # every client connected at once before any sends
                    except threading.BrokenBarrierError:
                        pass
                    queue_ids[number] = c.send_message(
                        "load@remote.test", ["dave@example.test"],
                        b"Message-ID: <load-%d@test>\r\nSubject: load %d\r\n\r\nmessage %d\r\n"
                        % (number, number, number))
                    c.quit()
                finally:
                    c.close()
            except Exception as error:  # reported below, with the client's number
                errors.append(f"client {number}: {error!r}")

        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(count)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + timeout(120)
        for thread in threads:
            thread.join(max(0.1, deadline - time.monotonic()))
        self.assertFalse(any(t.is_alive() for t in threads), "some clients never finished")
        self.assertEqual(errors, [])
        self.assertEqual(len(set(queue_ids.values())), count, "queue ids are unique")

        def all_there():
            found = {}
            for message in self.server.messages("dave@example.test"):
                m = re.search(rb"<load-(\d+)@test>", message)
                if m:
                    found[int(m.group(1))] = found.get(int(m.group(1)), 0) + 1
            return found if len(found) == count else None

        found = wait_until(all_there, 60)
        self.assertIsNotNone(found, "not every concurrent message was delivered")
        self.assertEqual(set(found.values()), {1}, "a message was delivered twice")


class IPv6DeliveryTest(SharedServerTest):
    IPV6 = True
    SETTINGS = {"mynetworks": "127.0.0.1/32, [::1]/128"}

    def test_ipv6_listener_delivers(self):
        c = self.connect(source=None, host="::1")
        c.ehlo()
        queue_id = c.send_message("v6@remote.test", ["bob@example.test"], b"Message-ID: <v6@test>\r\n\r\nx\r\n",
                                  ehlo=False)
        c.quit()
        message = self.server.wait_for_message_with("bob@example.test", b"<v6@test>")[0]
        added, _ = split_delivered(message)
        self.assertRegex(added["Received"], r"\[(IPv6:)?::1\]")
        self.server.wait_for_log(rf"{queue_id}: client=\S+\[::1\]")


if __name__ == "__main__":
    import unittest
    unittest.main()
