"""A damaged spool never stops ternd: files that do not decode (garbage, truncated, an empty file, length
fields far past the end, a recipient without an address, a results log damaged in the middle) go to
corrupt/ with a warning, whether ternd finds them at start (recovery of active/) or while it runs
(deferred/ requeued by `tern queue flush`), and ternd keeps delivering normal mail meanwhile. What the
fuzz target fuzz/spool_format_fuzzer.cpp checks on the decoder, this checks on the daemon."""
import os
import random
import subprocess
import unittest

from ternlib import TERN, TernServer, timeout, wait_until

FIRST_LINE_SIZE = len("TERN-QUEUE 1 ") + 10 + 1


def spool_file(queue_id, recipients=("alice@example.test",), body="Subject: left\r\n\r\nx\r\n"):
    """A spool file as the encoder writes it (queue/spool_format.cpp), with a message after it."""
    records = (f"id {queue_id}\nsender s@remote.test\n"
               + "".join(f"rcpt {address} 0  \n" for address in recipients)
               + "ret \nenvid \nbody \nsmtputf8 0\narrival 1700000000\nclient unknown 127.0.0.1\n"
               "helo x\nprotocol ESMTP\nend\n")
    return (f"TERN-QUEUE 1 {FIRST_LINE_SIZE + len(records):010d}\n" + records + body).encode()


def damaged_files(first_id):
    """queue id -> (spool file bytes, results log bytes or None), one of each kind of damage. Ids count up
    from first_id (19 uppercase hex digits, as queue/queue_id.cpp makes them)."""
    number = int(first_id, 16)
    ids = [f"{number + i:019X}" for i in range(8)]
    garbage = random.Random(6).randbytes(3000)
    whole = spool_file(ids[1])
    return {
        ids[0]: (garbage, None),
        ids[1]: (whole[:FIRST_LINE_SIZE + 40], None),                       # cut inside the header
        ids[2]: (b"", None),                                                 # nothing at all
        ids[3]: (b"TERN-QUEUE 1 9999999999\nid x\nend\n", None),            # length past 16 MiB
        ids[4]: (b"TERN-QUEUE 1 0000999999\nid x\nend\n" + garbage, None),  # length past the end
        ids[5]: (spool_file(ids[5], recipients=("",)), None),                # a recipient without address
        ids[6]: (spool_file(ids[6], recipients=("alice@example.test", "bob@example.test")),
                 b"0 D 1700000001 delivered\n\x00\xff not a record\n1 D 1700000002 delivered\n"),
        ids[7]: (b"TERN-QUEUE 1 00000000zz\n" + garbage, b"\xff" * 100),    # length not a number
    }


def write_damage(folder, files):
    os.makedirs(folder, exist_ok=True)
    for queue_id, (content, results) in files.items():
        with open(os.path.join(folder, queue_id), "wb") as out:
            out.write(content)
        if results is not None:
            with open(os.path.join(folder, queue_id + ".results"), "wb") as out:
                out.write(results)


class CorruptSpoolTest(unittest.TestCase):
    def assert_set_aside(self, server, files):
        for queue_id, (content, results) in files.items():
            server.wait_for_log(rf"{queue_id}: .*: moved to corrupt/")
        corrupt = os.path.join(server.spool, "corrupt")
        for queue_id, (content, results) in files.items():
            with open(os.path.join(corrupt, queue_id), "rb") as kept:
                self.assertEqual(kept.read(), content, f"{queue_id} changed on its way to corrupt/")
            if results is not None:
                with open(os.path.join(corrupt, queue_id + ".results"), "rb") as kept:
                    self.assertEqual(kept.read(), results)
            for folder in ("active", "deferred"):
                self.assertNotIn(queue_id, server.queue_files(folder))
        self.assertTrue(server.running(), server.log_text()[-3000:])

    def assert_still_delivers(self, server, marker):
        with server.connect() as conversation:
            conversation.send_message("s@remote.test", ["bob@example.test"],
                                      f"Subject: {marker}\r\n\r\nstill here\r\n".encode())
            conversation.quit()
        server.wait_for_message_with("bob@example.test", marker.encode())

    def test_damaged_files_found_at_start_go_to_corrupt(self):
        server = TernServer()
        self.addCleanup(server.cleanup)
        active = os.path.join(server.spool, "active")
        files = damaged_files("0000000001000000C00")
        write_damage(active, files)
        good_id = "0000000001000000D00"
        with open(os.path.join(active, good_id), "wb") as out:
            out.write(spool_file(good_id, body="Subject: good one\r\n\r\nx\r\n"))
        with server:
            self.assert_set_aside(server, files)
            server.wait_for_message_with("alice@example.test", b"Subject: good one")
            # The message whose log is damaged was delivered to nobody again.
            self.assertEqual(server.messages("bob@example.test"), [])
            self.assert_still_delivers(server, "after recovery")

    def test_damaged_files_requeued_while_running_go_to_corrupt(self):
        server = TernServer()
        self.addCleanup(server.cleanup)
        with server:
            self.assert_still_delivers(server, "before the damage")
            files = damaged_files("0000000002000000C00")
            write_damage(os.path.join(server.spool, "deferred"), files)
            flushed = subprocess.run([TERN, "queue", "-c", server.config_path, "flush"],
                                     capture_output=True, text=True, timeout=timeout(30))
            self.assertEqual(flushed.returncode, 0, flushed.stderr)
            self.assert_set_aside(server, files)
            self.assertTrue(wait_until(lambda: server.queue_files("active") == [], 10),
                            server.queue_files("active"))
            self.assert_still_delivers(server, "after the damage")


if __name__ == "__main__":
    unittest.main()
