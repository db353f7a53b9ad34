"""An alias that forwards to another domain: the message is queued anew for the forward address,
with the same sender and a Delivered-To: for the alias, and the alias recipient counts as done.
The remote copy goes nowhere here: relayhost is a closed loopback port, so it waits in the queue."""
import re
import unittest

from ternlib import TernServer, wait_until


class ForwardingTest(unittest.TestCase):
    def test_alias_to_another_domain_is_requeued(self):
        server = TernServer({"relayhost": "[127.0.0.1]:9"},
                            aliases={"postmaster": "alice@example.test",
                                     "away": "alice@example.test, someone@remote.example"})
        server.start()
        self.addCleanup(server.cleanup)
        self.addCleanup(server.stop)
        with server.connect() as conversation:
            queue_id = conversation.send_message("bob@example.test", ["away@example.test"],
                                                 b"Subject: forward me\r\n\r\nhello\r\n")
            conversation.quit()
        self.assertTrue(server.wait_for_messages("alice@example.test", 1))
        line = server.wait_for_log(rf"{queue_id}: to=<away@example\.test>.*status=sent \(forwarded as [0-9A-F]+\)")
        forwarded = re.search(rf"{queue_id}: to=<away@example\.test>.*forwarded as ([0-9A-F]+)",
                              server.log_text()).group(1)
        self.assertTrue(wait_until(lambda: forwarded in server.queue_files("deferred"), 10),
                        server.log_text()[-2000:])
        with open(f"{server.spool}/deferred/{forwarded}", "rb") as spooled:
            content = spooled.read()
        self.assertIn(b"bob@example.test", content)  # the original sender
        self.assertIn(b"someone@remote.example", content)
        self.assertIn(b"Delivered-To: away@example.test\r\n", content)
        self.assertIn(b"Subject: forward me", content)
        self.assertNotIn(queue_id, server.queue_files("deferred") + server.queue_files("active"))


if __name__ == "__main__":
    unittest.main()
