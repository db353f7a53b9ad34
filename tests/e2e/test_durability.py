"""End-to-end durability: a 250 is a promise. ternd is killed with SIGKILL while a client streams
messages; after a restart every message that got a 250 is in the Maildir exactly once (counted by
Message-ID), and the queue drains to nothing."""
import os
import re
import smtplib
import threading
import time
import unittest

from ternd_harness import SLOW, TernServer


def message_ids(messages):
    ids = []
    for message in messages:
        found = re.search(rb"Message-ID: <([^>]+)>", message)
        if found:
            ids.append(found.group(1).decode())
    return ids


class CrashTest(unittest.TestCase):
    def test_kill_9_during_deliveries_loses_and_duplicates_nothing(self):
        server = TernServer().start()
        acknowledged = []
        stop = threading.Event()

        def stream():
            number = 0
            while not stop.is_set() and number < 2000:
                try:
                    with smtplib.SMTP("127.0.0.1", server.port, local_hostname="c", timeout=10) as client:
                        while not stop.is_set() and number < 2000:
                            # A fresh id per attempt: a message committed whose 250 was lost in the
                            # crash may arrive too (SMTP's known duplicate window), but never twice.
                            message_id = f"crash-{number}@test"
                            number += 1
                            client.sendmail("s@remote.test", ["alice@example.test", "bob@example.test"],
                                            f"Message-ID: <{message_id}>\r\nSubject: {number}\r\n\r\nx\r\n")
                            acknowledged.append(message_id)  # only after the 250
                except (OSError, smtplib.SMTPException):
                    time.sleep(0.05)  # the server is down; try again

        client = threading.Thread(target=stream)
        client.start()
        try:
            for round_number in range(3):
                deadline = time.time() + 20 * SLOW
                target = len(acknowledged) + 40
                while len(acknowledged) < target and time.time() < deadline:
                    time.sleep(0.01)
                server.kill()
                server.start()
        finally:
            time.sleep(0.5)
            stop.set()
            client.join(timeout=60)
        self.assertGreater(len(acknowledged), 100)
        for address in ["alice@example.test", "bob@example.test"]:
            deadline = time.time() + 30 * SLOW
            while time.time() < deadline:
                delivered = message_ids(server.messages(address))
                if set(acknowledged) <= set(delivered):
                    break
                time.sleep(0.1)
            delivered = message_ids(server.messages(address))
            missing = set(acknowledged) - set(delivered)
            self.assertEqual(missing, set(), f"{address}: acknowledged but not delivered")
            duplicates = {m for m in delivered if delivered.count(m) > 1}
            self.assertEqual(duplicates, set(), f"{address}: delivered twice")
        deadline = time.time() + 20 * SLOW
        while os.listdir(os.path.join(server.spool, "active")) and time.time() < deadline:
            time.sleep(0.1)
        self.assertEqual(os.listdir(os.path.join(server.spool, "active")), [])
        self.assertEqual(os.listdir(os.path.join(server.spool, "incoming")), [])
        server.stop()

    def test_queue_left_by_an_earlier_run_is_delivered_at_start(self):
        server = TernServer()
        active = os.path.join(server.spool, "active")
        os.makedirs(active)
        records = ("id 00000000010000A0001\nsender left%40behind@remote.test\n"
                   "rcpt alice@example.test 0  \nrcpt bob@example.test 0  \n"
                   "ret \nenvid \nbody \nsmtputf8 0\narrival 1700000000\nclient unknown 127.0.0.1\n"
                   "helo x\nprotocol ESMTP\nend\n")
        first_line_size = len("TERN-QUEUE 1 ") + 10 + 1
        header = f"TERN-QUEUE 1 {first_line_size + len(records):010d}\n" + records
        body = "Message-ID: <recovered@test>\r\nSubject: left behind\r\n\r\nx\r\n"
        with open(os.path.join(active, "00000000010000A0001"), "w") as spool_file:
            spool_file.write(header + body)
        # recipient 0 was delivered before the "crash": only bob gets it now
        with open(os.path.join(active, "00000000010000A0001.results"), "w") as results:
            results.write("0 D 1700000001 delivered%20to%20maildir\n")
        with server:
            delivered = server.wait_for_messages("bob@example.test", 1)
            self.assertIn(b"Subject: left behind", delivered[0])
            self.assertIn(b"Return-Path: <left@behind@remote.test>", delivered[0])
            server.wait_for_log(r"00000000010000A0001: removed")
            self.assertEqual(server.messages("alice@example.test"), [])
            self.assertEqual(os.listdir(active), [])


if __name__ == "__main__":
    unittest.main()
