"""End-to-end security defaults: smuggling, bare LF policy, non-SMTP clients, and every limit.

Each behaviour is checked against a real ternd, with the connection (and the server) still usable after
the refusal where the protocol says it should be.
"""
import socket
import time
import unittest

from ternd_harness import SLOW, Conversation, TernServer, body_of

SMUGGLING_FORMS = [b"\n.\n", b"\n.\r\n", b"\r\n.\n", b"\r.\r\n", b"\r.\n"]


class SmugglingTest(unittest.TestCase):
    def test_no_smuggling_form_ends_data(self):
        with TernServer() as server:
            for number, form in enumerate(SMUGGLING_FORMS):
                before = len(server.messages("alice@example.test"))
                c = Conversation(server.port)
                c.reply()
                c.command("EHLO x")
                c.command("MAIL FROM:<a@remote.test>")
                c.command("RCPT TO:<alice@example.test>")
                c.command("DATA")
                smuggled = (b"Subject: form %d\r\n\r\nfirst" % number + form +
                            b"MAIL FROM:<evil@x.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"
                            b"Subject: smuggled\r\n\r\nsmuggled\r\n")
                c.send(smuggled + b".\r\n")
                self.assertRegex(c.reply(), r"^250 2\.0\.0 Ok: queued as", repr(form))
                self.assertEqual(c.command("QUIT"), "221 2.0.0 Bye")
                delivered = server.wait_for_messages("alice@example.test", before + 1)[-1]
                self.assertIn(b"MAIL FROM:<evil@x.test>", delivered, repr(form))
            time.sleep(0.3 * SLOW)
            self.assertEqual(server.messages("bob@example.test"), [], "a smuggled message was delivered")

    def test_bare_newline_reject_policy(self):
        with TernServer("smtpd_forbid_bare_newline = reject") as server:
            c = Conversation(server.port)
            c.reply()
            c.command("EHLO x")
            c.command("MAIL FROM:<a@remote.test>")
            c.command("RCPT TO:<alice@example.test>")
            c.command("DATA")
            c.send(b"Subject: bare\r\n\r\nline with bare LF\nmore\r\n.\r\n")
            self.assertEqual(c.reply(), "550 5.5.2 Error: bare <LF> received")
            self.assertEqual(c.command("NOOP"), "250 2.0.0 Ok")


class LimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = TernServer("message_size_limit = 20000\nsmtpd_recipient_limit = 3\n"
                                "smtpd_hard_error_limit = 5\nsmtpd_timeout = 2s\n").start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def open(self, source="127.0.0.1"):
        c = Conversation(self.server.port, source)
        c.reply()
        return c

    def test_connect_get_post_are_dropped(self):
        for first in ["CONNECT 10.129.14.128:25 HTTP/1.0", "GET / HTTP/1.1", "POST /x HTTP/1.0"]:
            c = self.open()
            c.send(first + "\r\n")
            self.assertTrue(c.closed(), first)
        self.server.wait_for_log(r"warning: non-SMTP command from unknown\[127\.0\.0\.1\]: CONNECT")
        self.assertEqual(self.open().command("NOOP"), "250 2.0.0 Ok")

    def test_ten_thousand_byte_line(self):
        c = self.open()
        self.assertEqual(c.command("NOOP " + "x" * 10000), "500 5.5.0 Error: line too long")
        self.assertEqual(c.command("NOOP"), "250 2.0.0 Ok")

    def test_nul_bytes_in_data_and_commands(self):
        c = self.open()
        self.assertEqual(c.command("NO\0OP"), "502 5.5.2 Error: command not recognized")
        c.command("EHLO x")
        c.command("MAIL FROM:<a@remote.test>")
        c.command("RCPT TO:<alice@example.test>")
        c.command("DATA")
        before = len(self.server.messages("alice@example.test"))
        self.assertRegex(c.command("Subject: nul\r\n\r\nbefore\0after\r\n."), r"^250 ")
        delivered = self.server.wait_for_messages("alice@example.test", before + 1)[-1]
        self.assertEqual(body_of(delivered), b"Subject: nul\r\n\r\nbefore\0after\r\n")

    def test_size_limit_at_mail_and_at_end_of_data(self):
        c = self.open()
        c.command("EHLO x")
        self.assertEqual(c.command("MAIL FROM:<a@remote.test> SIZE=20001"),
                         "552 5.3.4 Message size exceeds fixed limit")
        self.assertEqual(c.command("MAIL FROM:<a@remote.test> SIZE=100"), "250 2.1.0 Ok")
        c.command("RCPT TO:<alice@example.test>")
        c.command("DATA")
        c.send(b"Subject: big\r\n\r\n" + (b"y" * 998 + b"\r\n") * 100)
        self.assertEqual(c.command("."), "552 5.3.4 Message size exceeds fixed limit")
        self.assertEqual(c.command("RSET"), "250 2.0.0 Ok")
        self.assertEqual(c.command("QUIT"), "221 2.0.0 Bye")

    def test_recipient_limit(self):
        c = self.open()
        c.command("EHLO x")
        c.command("MAIL FROM:<a@remote.test>")
        for _ in range(3):
            self.assertEqual(c.command("RCPT TO:<alice@example.test>"), "250 2.1.5 Ok")
        self.assertEqual(c.command("RCPT TO:<alice@example.test>"), "452 4.5.3 Error: too many recipients")

    def test_hard_error_limit_disconnects(self):
        c = self.open()
        for _ in range(5):
            self.assertTrue(c.command("BOGUS").startswith("502"))
        self.assertEqual(c.command("NOOP"), "421 4.7.0 mail.example.test Error: too many errors")
        self.assertTrue(c.closed())

    def test_idle_client_times_out(self):
        c = self.open()
        started = time.time()
        self.assertEqual(c.reply(), "421 4.4.2 mail.example.test Error: timeout exceeded")
        self.assertTrue(c.closed())
        self.assertLess(time.time() - started, 10 * SLOW)


class ConnectionLimitTest(unittest.TestCase):
    def test_per_client_and_global_limits(self):
        config = "mynetworks = 127.0.0.9/32\nsmtpd_client_connection_count_limit = 2\nsmtpd_connection_limit = 4"
        with TernServer(config) as server:
            held = [Conversation(server.port) for _ in range(2)]
            for c in held:
                self.assertTrue(c.reply().startswith("220"))
            third = Conversation(server.port)
            self.assertEqual(third.reply(), "421 4.7.0 mail.example.test Error: too many connections")
            self.assertTrue(third.closed())
            others = [Conversation(server.port, source="127.0.0.3") for _ in range(2)]
            for c in others:
                self.assertTrue(c.reply().startswith("220"))
            fifth = Conversation(server.port, source="127.0.0.4")
            self.assertEqual(fifth.reply(), "421 4.7.0 mail.example.test Error: too many connections")
            held[0].command("QUIT")
            held[0].close()
            deadline = time.time() + 5 * SLOW
            while time.time() < deadline:  # the slot is released once the server sees the close
                c = Conversation(server.port, source="127.0.0.4")
                if c.reply().startswith("220"):
                    break
                time.sleep(0.1)
            else:
                self.fail("a released connection slot was never reused")


class VrfyModesTest(unittest.TestCase):
    def test_disable_vrfy_yes_and_no(self):
        with TernServer("disable_vrfy_command = yes") as server:
            c = Conversation(server.port)
            c.reply()
            self.assertEqual(c.command("VRFY alice"), "502 5.5.1 VRFY command is disabled")
        with TernServer("disable_vrfy_command = no") as server:
            c = Conversation(server.port)
            c.reply()
            self.assertTrue(c.command("EHLO x").find("250-VRFY") >= 0)
            self.assertEqual(c.command("VRFY <alice@example.test>"), "252 2.0.0 alice@example.test")
            self.assertTrue(c.command("VRFY <nobody@example.test>").startswith("550 5.1.1"))


if __name__ == "__main__":
    unittest.main()
