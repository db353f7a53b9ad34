"""End-to-end: every SMTP command against a real ternd, with Postfix's reply codes and texts.

Includes the seed's telnet transcripts (HELO/EHLO, VRFY, "Send an Email"), the 503 state machine,
500/501/502/555 syntax errors, HELP, NOOP, RSET, ETRN, DSN parameters, and the VRFY/EXPN policies.
"""
import unittest

from ternlib import (BANNER, EHLO_KEYWORDS, HOSTNAME, QUEUED, VRFY_AMBIGUOUS, SharedServerTest,
                     TernServer, split_delivered)

SEED_MESSAGE = (b"From: <cry0l1t3@inlanefreight.htb>\r\n"
                b"To: <mrb3n@example.test>\r\n"
                b"Subject: DB\r\n"
                b"Date: Tue, 28 Sept 2021 16:32:51 +0200\r\n"
                b"Hey man, I am trying to access our XY-DB but the creds don't work. \r\n"
                b"Did you make any changes there?\r\n")


class SeedTranscriptTest(SharedServerTest):
    """The seed's telnet sessions, typed one line at a time."""
    USERS = ["alice@example.test", "bob@example.test", "mrb3n@example.test", "root@example.test"]

    def test_banner(self):
        c = self.server.connect(banner=False)
        self.addCleanup(c.close)
        self.assertEqual(str(c.reply()), BANNER)

    def test_helo_then_ehlo(self):
        c = self.connect()
        self.assertEqual(str(c.command("HELO mail1.inlanefreight.htb")), f"250 {HOSTNAME}")
        ehlo = c.command("EHLO mail1")
        self.assertEqual(ehlo.code, 250)
        self.assertEqual(ehlo.raw_lines[0], f"250-{HOSTNAME}")
        self.assertEqual(ehlo.texts[1:], EHLO_KEYWORDS, str(ehlo))
        self.assertNotIn("VRFY", ehlo.texts, "VRFY is advertised only with disable_vrfy_command = no")
        c.chat("QUIT", 221, r"2\.0\.0 Bye")
        self.assertTrue(c.closed_by_server(), "QUIT must close the connection")

    def test_vrfy_before_helo_is_ambiguous_for_everyone(self):
        c = self.connect()
        for name in ["root", "cry0l1t3", "testuser", "aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "alice",
                     "alice@example.test", "<bob@example.test>", "nobody@example.test"]:
            self.assertEqual(str(c.command(f"VRFY {name}")), VRFY_AMBIGUOUS, name)

    def test_expn_is_ambiguous_for_everyone(self):
        c = self.connect()
        c.ehlo()
        answers = {str(c.command(f"EXPN {name}")) for name in ["postmaster", "team", "nosuchlist", "root"]}
        self.assertEqual(answers, {VRFY_AMBIGUOUS})

    def test_send_an_email(self):
        before = self.count("mrb3n@example.test")
        c = self.connect()
        ehlo = c.command("EHLO inlanefreight.htb")
        self.assertEqual(ehlo.texts, [HOSTNAME] + EHLO_KEYWORDS)
        c.chat("MAIL FROM: <cry0l1t3@inlanefreight.htb>", 250, r"2\.1\.0 Ok")
        c.chat("RCPT TO: <mrb3n@example.test> NOTIFY=success,failure", 250, r"2\.1\.5 Ok")
        c.chat("DATA", 354, r"End data with <CR><LF>\.<CR><LF>")
        c.send(SEED_MESSAGE + b".\r\n")
        queue_id = c.expect(250, r"2\.0\.0 Ok: queued as [0-9A-F]+").text.split()[-1]
        c.chat("QUIT", 221, r"2\.0\.0 Bye")
        self.assertTrue(c.closed_by_server())
        delivered = self.server.wait_for_messages("mrb3n@example.test", before + 1)
        matching = [m for m in delivered if queue_id.encode() in m]
        self.assertEqual(len(matching), 1, f"one Maildir file mentions queue id {queue_id}")
        added, message = split_delivered(matching[0])
        self.assertEqual(added["Return-Path"], "<cry0l1t3@inlanefreight.htb>")
        self.assertEqual(added["Delivered-To"], "mrb3n@example.test")
        self.assertRegex(added["Received"], rf"by {HOSTNAME} \(tern\) with ESMTP id {queue_id}\b")
        self.assertEqual(message, SEED_MESSAGE)
        self.server.wait_for_log(rf"{queue_id}: to=<mrb3n@example\.test>, relay=local, .*status=sent")

    def test_postfix_style_log_lines(self):
        c = self.connect()
        c.ehlo()
        queue_id = c.send_message("logger@remote.test", ["bob@example.test"], b"Subject: log\r\n\r\nx\r\n",
                                  ehlo=False)
        c.quit()
        self.server.wait_for_log(r"connect from \S+\[127\.0\.0\.1\]")
        self.server.wait_for_log(rf"{queue_id}: client=\S+\[127\.0\.0\.1\]")
        self.server.wait_for_log(rf"{queue_id}: from=<logger@remote\.test>, size=\d+, nrcpt=1 \(queue active\)")
        self.server.wait_for_log(rf"{queue_id}: to=<bob@example\.test>, relay=local, delay=[\d.]+, .*"
                                 r"status=sent \(delivered to maildir\)")
        self.server.wait_for_log(r"disconnect from \S+\[127\.0\.0\.1\] ehlo=1 mail=1 rcpt=1 data=1 quit=1 "
                                 r"commands=5")


class CommandTest(SharedServerTest):
    """Each command's codes and texts with the default policy."""

    def test_noop_rset_help(self):
        c = self.connect()
        c.chat("NOOP", 250, r"2\.0\.0 Ok")
        c.chat("RSET", 250, r"2\.0\.0 Ok")
        help_reply = c.command("HELP")
        self.assertEqual(help_reply.code, 214, str(help_reply))
        self.assertTrue(help_reply.text.startswith("2.0.0"), str(help_reply))
        c.chat("noop", 250, r"2\.0\.0 Ok")   # verbs are case-insensitive
        c.chat("NOOP anything", 250, r"2\.0\.0 Ok")
        c.quit()

    def test_helo_and_ehlo_syntax(self):
        c = self.connect()
        c.chat("HELO", 501, r"(5\.5\.4 )?Syntax: HELO hostname")
        c.chat("EHLO", 501, r"(5\.5\.4 )?Syntax: EHLO hostname")
        c.chat("helo client.example", 250, HOSTNAME)
        ehlo = c.command("ehlo client.example")
        self.assertEqual(ehlo.texts, [HOSTNAME] + EHLO_KEYWORDS)
        self.assertEqual(str(c.command("EHLO [127.0.0.1]")), str(ehlo))  # address literal
        c.quit()

    def test_unknown_commands(self):
        c = self.connect()
        for line in ["FOO", "MAILFROM:<a@b.test>", "XYZZY 1 2 3", "STARTTLSX", "RCPTTO:<x@example.test>"]:
            c.chat(line, 502, r"5\.5\.2 Error: command not recognized")
        c.chat("NOOP", 250, r"2\.0\.0 Ok")

    def test_state_machine_503s(self):
        c = self.connect()
        c.ehlo()
        c.chat("RCPT TO:<alice@example.test>", 503, r"5\.5\.1 Error: need MAIL command")
        c.chat("DATA", 503, r"5\.5\.1 Error: need (MAIL|RCPT) command")
        c.send(b"BDAT 10 LAST\r\n0123456789")  # RFC 3030: the chunk is read, then refused
        c.expect(503, r"5\.5\.1 Error: need (MAIL|RCPT) command")
        c.chat("NOOP", 250, r"2\.0\.0 Ok")
        c.chat("MAIL FROM:<a@remote.test>", 250, r"2\.1\.0 Ok")
        c.chat("MAIL FROM:<a@remote.test>", 503, r"5\.5\.1 Error: nested MAIL command")
        c.chat("DATA", 503, r"5\.5\.1 Error: need RCPT command")
        c.chat("RCPT TO:<alice@example.test>", 250, r"2\.1\.5 Ok")
        c.chat("RSET", 250, r"2\.0\.0 Ok")
        c.chat("RCPT TO:<alice@example.test>", 503, r"5\.5\.1 Error: need MAIL command")
        c.chat("DATA", 503, r"5\.5\.1 Error: need (MAIL|RCPT) command")
        # a new EHLO resets the transaction too (RFC 5321 §4.1.4)
        c.chat("MAIL FROM:<a@remote.test>", 250, r"2\.1\.0 Ok")
        c.ehlo()
        c.chat("RCPT TO:<alice@example.test>", 503, r"5\.5\.1 Error: need MAIL command")
        c.quit()

    def test_mail_without_helo_is_allowed_by_default(self):
        before = self.count("bob@example.test")
        c = self.connect()
        c.send_message("nohelo@remote.test", ["bob@example.test"], b"Subject: no helo\r\n\r\nx\r\n", ehlo=False)
        c.quit()
        self.server.wait_for_message_with("bob@example.test", b"Subject: no helo")
        self.assertEqual(self.count("bob@example.test"), before + 1)

    def test_address_syntax(self):
        c = self.connect()
        c.ehlo()
        c.chat("MAIL FROM:<a b@remote.test>", 501, r".*")
        c.chat("MAIL FROM:<a@remote.test", 501, r"5\.1\.7 Bad sender address syntax|5\.5\.4 Syntax: .*")
        for bad in ["MAIL FROM:<@>",
                    "MAIL FROM:<a@@remote.test>", "MAIL FROM:<a@remote..test>"]:
            c.chat(bad, 501, r"5\.1\.7 Bad sender address syntax")
        c.chat("MAIL FROM:", 501, r"5\.5\.[24] Syntax: MAIL FROM:<address>|5\.1\.7 Bad sender address syntax")
        c.chat("MAIL FROM:<>", 250, r"2\.1\.0 Ok")  # the null sender of bounces
        c.chat("RCPT TO:<>", 501 if True else 553, r"5\.1\.3 Bad recipient address syntax")
        c.chat("RCPT TO:<a b@example.test>", 501, r".*")
        c.chat("RCPT TO:<alice@example.test", 501, r"5\.1\.3 Bad recipient address syntax|5\.5\.4 Syntax: .*")
        for bad in [
                    "RCPT TO:<alice@@example.test>", "RCPT TO:<alice@example..test>"]:
            c.chat(bad, 501, r"5\.1\.3 Bad recipient address syntax")
        c.chat("RCPT TO:", 501, r"5\.5\.[24] Syntax: RCPT TO:<address>|5\.1\.3 Bad recipient address syntax")
        c.chat("RCPT TO:<alice@example.test>", 250, r"2\.1\.5 Ok")
        c.chat("RCPT TO:<\"alice\"@example.test>", 250, r"2\.1\.5 Ok")  # quoted local part, same user
        c.chat("RCPT TO:<ALICE@EXAMPLE.TEST>", 250, r"2\.1\.5 Ok")       # case-insensitive lookup
        c.chat("RCPT TO:<postmaster>", 250, r"2\.1\.5 Ok")               # RFC 5321 §4.5.1
        c.chat("RCPT TO:<Postmaster@example.test>", 250, r"2\.1\.5 Ok")
        c.chat("RSET", 250, r"2\.0\.0 Ok")
        c.quit()

    def test_unknown_local_user(self):
        c = self.connect()
        c.ehlo()
        c.chat("MAIL FROM:<a@remote.test>", 250)
        for address in ["nobody@example.test", "nobody@mail.example.test", "nobody@localhost"]:
            c.chat(f"RCPT TO:<{address}>", 550,
                   rf"5\.1\.1 <{address}>: Recipient address rejected: User unknown in local recipient table")
        c.chat("DATA", 554, r"5\.5\.1 Error: no valid recipients")
        c.chat("RSET", 250)
        c.quit()

    def test_esmtp_parameters(self):
        c = self.connect()
        c.ehlo()
        c.chat("MAIL FROM:<a@remote.test> FOO=bar", 555, r"5\.5\.4 Unsupported option: FOO")
        c.chat("MAIL FROM:<a@remote.test> SIZE=1000 BODY=8BITMIME RET=HDRS ENVID=abc123", 250, r"2\.1\.0 Ok")
        c.chat("RCPT TO:<alice@example.test> FOO=1", 555, r"5\.5\.4 Unsupported option: FOO")
        c.chat("RCPT TO:<alice@example.test> NOTIFY=NEVER,SUCCESS", 501, r"5\.5\.4 .*")
        c.chat("RCPT TO:<alice@example.test> NOTIFY=BOGUS", 501, r"5\.5\.4 .*")
        c.chat("RCPT TO:<alice@example.test> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;alice@example.test",
               250, r"2\.1\.5 Ok")
        c.chat("RCPT TO:<bob@example.test> NOTIFY=NEVER", 250, r"2\.1\.5 Ok")
        c.chat("RSET", 250)
        c.chat("MAIL FROM:<a@remote.test> BODY=9BIT", 501, r"5\.5\.4 .*")
        c.chat("MAIL FROM:<a@remote.test> RET=NONSENSE", 501, r"5\.5\.4 .*")
        c.chat("MAIL FROM:<a@remote.test> SIZE=abc", 501, r"5\.5\.4 .*")
        c.chat("MAIL FROM:<a@remote.test> SIZE=10240001", 552, r"5\.3\.4 Message size exceeds fixed limit")
        # RFC 1870: size-value = 1*20DIGIT, so 20 nines are valid syntax and simply too big
        c.chat("MAIL FROM:<a@remote.test> SIZE=99999999999999999999", 552, r"5\.3\.4 Message size exceeds .*")
        c.chat("MAIL FROM:<a@remote.test> SIZE=10240000", 250, r"2\.1\.0 Ok")
        c.quit()

    def test_etrn(self):
        c = self.connect()
        c.ehlo()
        reply = c.command("ETRN example.test")
        self.assertIn(reply.code, (250, 251, 252, 253, 458, 459), str(reply))
        reply = c.command("ETRN other.example")
        self.assertIn(reply.code, (250, 251, 252, 253, 458, 459), str(reply))
        reply = c.command("ETRN")
        self.assertEqual(reply.code // 100, 5, f"ETRN without a domain is a syntax error: {reply}")
        c.chat("MAIL FROM:<a@remote.test>", 250)
        reply = c.command("ETRN example.test")
        self.assertEqual(reply.code, 503, f"ETRN inside a mail transaction: {reply}")
        c.quit()

    def test_quit_closes(self):
        c = self.connect()
        c.chat("QUIT", 221, r"2\.0\.0 Bye")
        self.assertTrue(c.closed_by_server())


class HeloRequiredTest(SharedServerTest):
    SETTINGS = {"smtpd_helo_required": "yes",
                "smtpd_helo_restrictions": "reject_invalid_helo_hostname"}

    def test_mail_before_helo_is_refused(self):
        c = self.connect()
        c.chat("MAIL FROM:<a@remote.test>", 503, r"5\.5\.1 Error: send HELO/EHLO first")
        c.chat("HELO client.example", 250, HOSTNAME)
        c.chat("MAIL FROM:<a@remote.test>", 250, r"2\.1\.0 Ok")
        c.quit()

    def test_invalid_helo_hostname_is_rejected(self):
        for name in ["bad..name", "-x_!@#"]:
            c = self.connect()
            reply = c.command(f"EHLO {name}")
            if reply.code == 250:  # Postfix delays HELO restrictions to RCPT by default
                c.chat("MAIL FROM:<a@remote.test>", 250)
                reply = c.command("RCPT TO:<alice@example.test>")
            self.assertEqual(reply.code // 100, 5, f"EHLO {name}: {reply}")
            self.assertRegex(reply.text, r"^5\.5\.2 .*Helo command rejected: Invalid name", f"EHLO {name}")
            c.close()
        c = self.connect()
        c.ehlo("[127.0.0.1]")                      # address literals are valid HELO names
        c.chat("MAIL FROM:<a@remote.test>", 250)
        c.chat("RCPT TO:<alice@example.test>", 250)
        c.quit()


class VrfyModesTest(unittest.TestCase):
    def test_disable_vrfy_command_yes(self):
        with TernServer({"disable_vrfy_command": "yes"}) as server:
            c = server.connect()
            ehlo = c.ehlo()
            self.assertNotIn("VRFY", ehlo.texts)
            for name in ["alice", "alice@example.test", "nobody@example.test", "root"]:
                c.chat(f"VRFY {name}", 502, r"5\.5\.1 .*")
                c.chat(f"EXPN {name}", 502, r"5\.5\.[12] .*")
            c.quit()

    def test_disable_vrfy_command_no_reveals_users(self):
        with TernServer({"disable_vrfy_command": "no"}) as server:
            c = server.connect()
            ehlo = c.ehlo()
            self.assertEqual(ehlo.texts[1:], EHLO_KEYWORDS[:2] + ["VRFY"] + EHLO_KEYWORDS[2:],
                             "VRFY goes after SIZE, as Postfix lists it")
            self.assertEqual(c.command("VRFY <alice@example.test>").code, 252)
            self.assertEqual(c.command("VRFY alice@example.test").code, 252)
            c.chat("VRFY <nobody@example.test>", 550, r"5\.1\.1 .*")
            c.chat("VRFY", 501, r"5\.5\.4 .*")
            c.quit()


if __name__ == "__main__":
    unittest.main()
