"""tern queue against a real spool: list (mailq layout and --json), show, hold/release, requeue,
delete and flush through ternd's control socket while it runs, and straight on the spool when it
does not. Mail for a domain tern cannot deliver to stays deferred, which gives the queue content."""
import json
import os
import re
import stat
import subprocess
import unittest

from ternlib import TERN, TernServer, timeout, wait_until

MESSAGE = b"Subject: queued\r\n\r\nwaiting\r\n"


def tern_queue(server, *arguments):
    return subprocess.run([TERN, "queue", "-c", server.config_path, *arguments],
                          capture_output=True, text=True, timeout=timeout(30))


class QueueToolsTest(unittest.TestCase):
    def setUp(self):
        # The relay host is a closed loopback port: remote mail is deferred, never sent anywhere.
        self.server = TernServer({"relayhost": "[127.0.0.1]:9", "minimal_backoff_time": "3600s"})
        self.server.start()
        self.addCleanup(self.server.cleanup)
        self.addCleanup(self.server.stop)

    def queue_deferred_message(self, recipient="someone@remote.example"):
        with self.server.connect() as conversation:
            queue_id = conversation.send_message("alice@example.test", [recipient], MESSAGE)
            conversation.quit()
        self.assertTrue(wait_until(lambda: queue_id in self.server.queue_files("deferred"), 10),
                        self.server.log_text()[-2000:])
        return queue_id

    def test_list_show_and_json(self):
        self.assertEqual(tern_queue(self.server, "list").stdout, "Mail queue is empty\n")
        queue_id = self.queue_deferred_message()
        listing = tern_queue(self.server, "list")
        self.assertEqual(listing.returncode, 0, listing.stderr)
        lines = listing.stdout.splitlines()
        self.assertEqual(lines[0], "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------")
        self.assertRegex(lines[1], rf"^{queue_id}\s+\d+ \w{{3}} \w{{3}} [ \d]\d \d\d:\d\d:\d\d  alice@example\.test$")
        self.assertRegex(lines[2], r"^\(.+\)$")  # the deferral reason
        self.assertEqual(lines[3].strip(), "someone@remote.example")
        self.assertRegex(lines[-1], r"^-- \d+ Kbytes in 1 Request\.$")

        entries = [json.loads(line) for line in tern_queue(self.server, "list", "--json").stdout.splitlines()]
        self.assertEqual(len(entries), 1)
        self.assertEqual(entries[0]["queue_id"], queue_id)
        self.assertEqual(entries[0]["queue_name"], "deferred")
        self.assertEqual(entries[0]["sender"], "alice@example.test")
        self.assertEqual(entries[0]["recipients"][0]["address"], "someone@remote.example")
        self.assertIn("delay_reason", entries[0]["recipients"][0])

        shown = tern_queue(self.server, "show", queue_id)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertIn(f"queue_id: {queue_id}\n", shown.stdout)
        self.assertIn("recipient: someone@remote.example (deferred: ", shown.stdout)
        self.assertIn("Subject: queued", shown.stdout)
        self.assertNotIn("waiting", shown.stdout)  # headers only

        missing = tern_queue(self.server, "show", "0123456789ABCDEF012")
        self.assertEqual(missing.returncode, 1)
        self.assertEqual(missing.stderr, "tern: 0123456789ABCDEF012: no such message in the queue\n")

    def test_hold_release_requeue_delete_flush_while_running(self):
        queue_id = self.queue_deferred_message()
        self.assertEqual(tern_queue(self.server, "hold", queue_id).returncode, 0)
        self.assertIn(queue_id, self.server.queue_files("hold"))
        self.assertIn(f"{queue_id}!", tern_queue(self.server, "list").stdout)
        again = tern_queue(self.server, "hold", queue_id)
        self.assertEqual((again.returncode, again.stderr), (1, f"tern: {queue_id}: already on hold\n"))
        self.assertEqual(tern_queue(self.server, "flush").returncode, 0)
        self.assertIn(queue_id, self.server.queue_files("hold"))  # flush leaves held mail alone

        self.assertEqual(tern_queue(self.server, "release", queue_id).returncode, 0)
        # Released mail is tried at once, and deferred again.
        self.assertTrue(wait_until(lambda: queue_id in self.server.queue_files("deferred"), 10))
        self.server.wait_for_log(rf"{queue_id}: released from hold by the queue tool")
        self.assertEqual(tern_queue(self.server, "requeue", queue_id).returncode, 0)
        self.server.wait_for_log(rf"{queue_id}: requeued by the queue tool")
        self.assertTrue(wait_until(lambda: queue_id in self.server.queue_files("deferred"), 10))

        deleted = tern_queue(self.server, "delete", queue_id)
        self.assertEqual(deleted.returncode, 0, deleted.stderr)
        self.assertNotIn(queue_id, self.server.queue_files("deferred"))
        self.assertNotIn(queue_id + ".results", self.server.queue_files("deferred"))
        self.assertEqual(tern_queue(self.server, "list").stdout, "Mail queue is empty\n")

    def test_all_and_usage_errors(self):
        ids = {self.queue_deferred_message(f"r{i}@remote.example") for i in range(3)}
        held = tern_queue(self.server, "hold", "ALL")
        self.assertEqual((held.returncode, held.stdout), (0, "3 messages changed\n"))
        self.assertEqual(set(self.server.queue_files("hold")) & ids, ids)
        self.assertEqual(tern_queue(self.server, "delete", "ALL").stdout, "3 messages changed\n")
        self.assertEqual(tern_queue(self.server, "list").stdout, "Mail queue is empty\n")
        bad = tern_queue(self.server, "hold", "not-an-id")
        self.assertEqual(bad.returncode, 1)
        self.assertEqual(bad.stderr, "tern: not-an-id: not a queue id\n")
        usage = subprocess.run([TERN, "queue", "frobnicate"], capture_output=True, text=True)
        self.assertEqual(usage.returncode, 2)
        self.assertEqual(len(usage.stderr.splitlines()), 1)

    def test_control_socket_is_private(self):
        path = os.path.join(self.server.spool, "control")
        self.assertTrue(stat.S_ISSOCK(os.stat(path).st_mode))
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)

    def test_changes_without_a_running_daemon(self):
        queue_id = self.queue_deferred_message()
        self.server.stop()
        self.assertFalse(os.path.exists(os.path.join(self.server.spool, "control")))
        flush = tern_queue(self.server, "flush")
        self.assertEqual(flush.returncode, 1)
        self.assertIn("ternd is not running", flush.stderr)
        self.assertEqual(tern_queue(self.server, "hold", queue_id).returncode, 0)
        self.assertIn(queue_id, self.server.queue_files("hold"))
        self.assertEqual(tern_queue(self.server, "release", queue_id).returncode, 0)
        self.assertIn(queue_id, self.server.queue_files("active"))
        self.assertEqual(tern_queue(self.server, "delete", queue_id).returncode, 0)
        self.assertEqual(tern_queue(self.server, "list").stdout, "Mail queue is empty\n")


if __name__ == "__main__":
    unittest.main()
