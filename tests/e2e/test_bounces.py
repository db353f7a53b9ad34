"""Delivery status notifications from a real ternd (RFC 3461/3464): a recipient that fails at
delivery time gets its sender a multipart/report bounce from <>, NOTIFY=NEVER silences it,
NOTIFY=SUCCESS brings a success report, and a bounce that bounces goes to the postmaster once."""
import re
import unittest

from ternlib import TernServer, dot_stuff, wait_until

ALIASES = {
    "postmaster": "alice@example.test",
    "broken": "nobody-here",  # accepted at RCPT (the alias exists), fails at delivery
}


def send(server, sender, recipient, message, rcpt_parameters="", mail_parameters=""):
    with server.connect() as conversation:
        conversation.ehlo()
        conversation.chat(f"MAIL FROM:<{sender}>{mail_parameters}", 250)
        conversation.chat(f"RCPT TO:<{recipient}>{rcpt_parameters}", 250)
        conversation.chat("DATA", 354)
        conversation.send(dot_stuff(message) + b".\r\n")
        reply = conversation.expect(250)
        conversation.quit()
        return str(reply).rsplit(" ", 1)[1]


class BounceTest(unittest.TestCase):
    def setUp(self):
        self.server = TernServer(aliases=ALIASES)
        self.server.start()
        self.addCleanup(self.server.cleanup)
        self.addCleanup(self.server.stop)

    def reports(self, address, count=1):
        found = self.server.wait_for_messages(address, count)
        return [m for m in found if b"report-type=delivery-status" in m]

    def test_failed_delivery_bounces_to_the_sender(self):
        original = b"Subject: to a broken alias\r\nMessage-ID: <orig@test>\r\n\r\nsecret body\r\n"
        queue_id = send(self.server, "bob@example.test", "broken@example.test", original,
                        mail_parameters=" ENVID=env-42")
        bounces = self.reports("bob@example.test")
        self.assertEqual(len(bounces), 1)
        bounce = bounces[0]
        self.assertIn(b"Return-Path: <>", bounce)
        self.assertRegex(bounce, rb"From: MAILER-DAEMON@mail\.example\.test")
        self.assertIn(b"Subject: Undelivered Mail Returned to Sender", bounce)
        self.assertIn(b"Auto-Submitted: auto-replied", bounce)
        self.assertIn(b"Content-Type: message/delivery-status", bounce)
        self.assertIn(b"Final-Recipient: rfc822; broken@example.test", bounce)
        self.assertIn(b"Action: failed", bounce)
        self.assertRegex(bounce, rb"Status: 5\.\d+\.\d+")
        self.assertIn(b"Original-Envelope-Id: env-42", bounce)
        self.assertIn(f"X-Postfix-Queue-ID: {queue_id}".encode(), bounce)
        self.assertIn(b"Message-ID: <orig@test>", bounce)  # the returned headers
        self.assertNotIn(b"secret body", bounce)  # RET=HDRS by default
        self.server.wait_for_log(rf"{queue_id}: sender non-delivery notification: [0-9A-F]+")
        self.assertTrue(wait_until(lambda: not self.server.queue_files("active")
                                   and not self.server.queue_files("deferred"), 10))

    def test_ret_full_returns_the_whole_message(self):
        send(self.server, "bob@example.test", "broken@example.test",
             b"Subject: full\r\n\r\nthe whole body\r\n", mail_parameters=" RET=FULL")
        bounce = self.reports("bob@example.test")[0]
        self.assertIn(b"Content-Type: message/rfc822", bounce)
        self.assertIn(b"the whole body", bounce)

    def test_notify_never_silences_and_success_reports(self):
        send(self.server, "bob@example.test", "broken@example.test", b"Subject: quiet\r\n\r\nx\r\n",
             rcpt_parameters=" NOTIFY=NEVER")
        send(self.server, "bob@example.test", "carol@example.test", b"Subject: tell me\r\n\r\ny\r\n",
             rcpt_parameters=" NOTIFY=SUCCESS ORCPT=rfc822;carol@example.test")
        reports = self.reports("bob@example.test")
        self.assertEqual(len(reports), 1)
        self.assertIn(b"Subject: Successful Mail Delivery Report", reports[0])
        self.assertIn(b"Action: delivered", reports[0])
        self.assertIn(b"Original-Recipient: rfc822; carol@example.test", reports[0])
        self.assertTrue(self.server.wait_for_messages("carol@example.test", 1))
        self.assertTrue(wait_until(lambda: not self.server.queue_files("active")
                                   and not self.server.queue_files("deferred"), 10))
        self.assertEqual(len([m for m in self.server.messages("bob@example.test")
                              if b"Undelivered" in m]), 0)

    def test_bounce_of_a_bounce_goes_to_the_postmaster(self):
        send(self.server, "", "broken@example.test", b"Subject: already a bounce\r\n\r\nz\r\n")
        reports = self.reports("alice@example.test")  # postmaster is alice
        self.assertEqual(len(reports), 1)
        self.assertIn(b"To: postmaster@mail.example.test", reports[0])
        self.assertTrue(wait_until(lambda: not self.server.queue_files("active")
                                   and not self.server.queue_files("deferred"), 10))


if __name__ == "__main__":
    unittest.main()
