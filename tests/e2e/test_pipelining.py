"""End-to-end PIPELINING (RFC 2920): whole transactions in one write, answered in order.

Every byte the client already sent is processed after end-of-data; a failing RCPT in the middle of a
group does not disturb later replies; a QUIT in the same write as the final dot is answered (chasquid
1.11 never answers it).
"""
import re

from ternlib import HOSTNAME, QUEUED, SharedServerTest, split_delivered, wait_until


class PipeliningTest(SharedServerTest):
    def test_whole_transaction_in_one_write(self):
        before = self.count("alice@example.test")
        c = self.connect()
        body = b"Subject: one write\r\nMessage-ID: <pipe-1@test>\r\n\r\nall at once\r\n"
        c.send(b"EHLO client.example\r\nMAIL FROM:<p@remote.test>\r\nRCPT TO:<alice@example.test>\r\n"
               b"DATA\r\n" + body + b".\r\nQUIT\r\n")
        ehlo, mail, rcpt, data, end, bye = c.replies(6)
        self.assertEqual(ehlo.raw_lines[0], f"250-{HOSTNAME}")
        c.expect(250, r"2\.1\.0 Ok", reply=mail)
        c.expect(250, r"2\.1\.5 Ok", reply=rcpt)
        c.expect(354, r"End data with <CR><LF>\.<CR><LF>", reply=data)
        c.expect(250, QUEUED[4:], reply=end)
        c.expect(221, r"2\.0\.0 Bye", reply=bye)
        self.assertTrue(c.closed_by_server())
        delivered = self.server.wait_for_message_with("alice@example.test", b"<pipe-1@test>")
        self.assertEqual(len(delivered), 1)
        self.assertEqual(split_delivered(delivered[0])[1], body)
        self.assertEqual(self.count("alice@example.test"), before + 1)

    def test_failing_rcpt_in_the_middle(self):
        c = self.connect()
        c.send(b"EHLO client.example\r\nMAIL FROM:<p@remote.test>\r\n"
               b"RCPT TO:<alice@example.test>\r\n"
               b"RCPT TO:<nobody@example.test>\r\n"
               b"RCPT TO:<bad address@@>\r\n"
               b"RCPT TO:<x@other.example> FOO=1\r\n"
               b"RCPT TO:<bob@example.test>\r\n"
               b"NOOP\r\n"
               b"DATA\r\nMessage-ID: <pipe-2@test>\r\n\r\nmiddle\r\n.\r\nQUIT\r\n")
        replies = c.replies(10)
        self.assertEqual(replies[0].code, 250)
        c.expect(250, r"2\.1\.0 Ok", reply=replies[1])
        c.expect(250, r"2\.1\.5 Ok", reply=replies[2])
        c.expect(550, r"5\.1\.1 <nobody@example\.test>: Recipient address rejected: "
                 r"User unknown in local recipient table", reply=replies[3])
        self.assertEqual(replies[4].code, 501, str(replies[4]))
        c.expect(555, r"5\.5\.4 Unsupported option: FOO", reply=replies[5])
        c.expect(250, r"2\.1\.5 Ok", reply=replies[6])
        c.expect(250, r"2\.0\.0 Ok", reply=replies[7])
        c.expect(354, reply=replies[8])
        c.expect(250, QUEUED[4:], reply=replies[9])
        c.expect(221, r"2\.0\.0 Bye")
        for address in ["alice@example.test", "bob@example.test"]:
            self.assertEqual(len(self.server.wait_for_message_with(address, b"<pipe-2@test>")), 1)

    def test_all_recipients_fail_then_data_is_refused_and_body_not_taken_as_commands(self):
        c = self.connect()
        # The DATA gets 554, so the following lines are commands again; a client that pipelines DATA
        # must wait for 354 (RFC 2920 §3.1), but the server must stay in sync either way.
        c.send(b"EHLO client.example\r\nMAIL FROM:<p@remote.test>\r\nRCPT TO:<nobody@example.test>\r\n"
               b"DATA\r\nNOOP\r\nRSET\r\nQUIT\r\n")
        replies = c.replies(7)
        self.assertEqual([r.code for r in replies], [250, 250, 550, 554, 250, 250, 221], replies)

    def test_two_transactions_in_one_write(self):
        c = self.connect()
        c.send(b"EHLO client.example\r\n"
               b"MAIL FROM:<p@remote.test>\r\nRCPT TO:<carol@example.test>\r\nDATA\r\n"
               b"Message-ID: <pipe-3a@test>\r\n\r\nfirst\r\n.\r\n"
               b"MAIL FROM:<q@remote.test>\r\nRCPT TO:<carol@example.test>\r\nRCPT TO:<dave@example.test>\r\n"
               b"DATA\r\nMessage-ID: <pipe-3b@test>\r\n\r\n..second, stuffed\r\n.\r\n"
               b"RSET\r\nQUIT\r\n")
        replies = c.replies(12)
        codes = [r.code for r in replies]
        self.assertEqual(codes, [250, 250, 250, 354, 250, 250, 250, 250, 354, 250, 250, 221], replies)
        ids = [r.text.split()[-1] for r in (replies[4], replies[9])]
        self.assertNotEqual(ids[0], ids[1], "each message gets its own queue id")
        first = self.server.wait_for_message_with("carol@example.test", b"<pipe-3a@test>")
        second = self.server.wait_for_message_with("carol@example.test", b"<pipe-3b@test>")
        self.assertEqual((len(first), len(second)), (1, 1))
        self.assertEqual(split_delivered(second[0])[0]["Return-Path"], "<q@remote.test>")
        self.assertTrue(split_delivered(second[0])[1].endswith(b"\r\n.second, stuffed\r\n"))
        self.assertEqual(len(self.server.wait_for_message_with("dave@example.test", b"<pipe-3b@test>")), 1)

    def test_many_recipients_and_commands_in_one_large_write(self):
        """900 RCPTs (a few refused, fewer than smtpd_hard_error_limit) in one 30 KB write."""
        c = self.connect()
        lines = [b"EHLO client.example", b"MAIL FROM:<p@remote.test>"]
        expected = [250, 250]
        for number in range(900):
            if number % 100 == 0:
                lines.append(b"RCPT TO:<nobody%d@example.test>" % number)
                expected.append(550)
            else:
                lines.append(b"RCPT TO:<bob+%d@example.test>" % number)
                expected.append(250)
        c.send(b"\r\n".join(lines) + b"\r\n")
        replies = c.replies(len(expected))
        self.assertEqual([r.code for r in replies], expected)
        c.send(b"RSET\r\nQUIT\r\n")
        c.expect(250)
        c.expect(221)

    def test_quit_in_the_same_write_as_the_final_dot(self):
        c = self.connect()
        c.ehlo()
        c.chat("MAIL FROM:<p@remote.test>", 250)
        c.chat("RCPT TO:<alice@example.test>", 250)
        c.chat("DATA", 354)
        c.send(b"Message-ID: <pipe-4@test>\r\n\r\nbye\r\n.\r\nQUIT\r\n")
        c.expect(250, QUEUED[4:])
        c.expect(221, r"2\.0\.0 Bye")
        self.assertTrue(c.closed_by_server())
        self.server.wait_for_message_with("alice@example.test", b"<pipe-4@test>")

    def test_bdat_pipelined_with_quit(self):
        c = self.connect()
        chunk1 = b"Message-ID: <pipe-5@test>\r\n"
        chunk2 = b"\r\nbody with\r\n.\r\na lone dot line\r\n"
        c.send(b"EHLO client.example\r\nMAIL FROM:<p@remote.test>\r\nRCPT TO:<bob@example.test>\r\n"
               + b"BDAT %d\r\n" % len(chunk1) + chunk1
               + b"BDAT %d LAST\r\n" % len(chunk2) + chunk2 + b"QUIT\r\n")
        replies = c.replies(6)
        c.expect(250, rf"2\.0\.0 Ok: {len(chunk1)} octets received", reply=replies[3])
        c.expect(250, QUEUED[4:], reply=replies[4])
        c.expect(221, r"2\.0\.0 Bye", reply=replies[5])
        delivered = self.server.wait_for_message_with("bob@example.test", b"<pipe-5@test>")
        self.assertEqual(split_delivered(delivered[0])[1], chunk1 + chunk2)

    def test_replies_to_a_group_are_not_sent_before_it_is_read(self):
        """Pipelined input split at awkward places (mid-line, mid-CRLF) still yields exact replies."""
        c = self.connect()
        stream = (b"EHLO client.example\r\nMAIL FROM:<p@remote.test>\r\nRCPT TO:<dave@example.test>\r\n"
                  b"DATA\r\nMessage-ID: <pipe-6@test>\r\n\r\nsplit\r\n.\r\nQUIT\r\n")
        cuts = [3, 21, 22, 40, 41, 70, 75, len(stream) - 9, len(stream) - 8, len(stream) - 7]
        start = 0
        import time
        for cut in cuts + [len(stream)]:
            c.send(stream[start:cut])
            start = cut
            time.sleep(0.01)
        codes = [r.code for r in c.replies(6)]
        self.assertEqual(codes, [250, 250, 250, 354, 250, 221])
        self.server.wait_for_message_with("dave@example.test", b"<pipe-6@test>")
        found = wait_until(lambda: re.search(r"disconnect from .*commands=", self.server.log_text()), 5)
        self.assertTrue(found)


if __name__ == "__main__":
    import unittest
    unittest.main()
