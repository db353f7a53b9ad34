"""End-to-end disk full: a small tmpfs as the spool (queue_directory) or as the Maildirs (mail_root).

When the spool cannot take a message, clients are told `452 4.3.1 Insufficient system storage`: at MAIL
when free space is below 1.5 x message_size_limit or queue_minfree (Postfix's check), and at end of data
when the disk fills during the transfer. Nothing accepted is lost, no half-written queue file is left
behind, and mail is accepted again as soon as space returns. When the Maildirs' file system is full,
delivery is deferred (4.3.1, the message stays queued) and succeeds, exactly once, once space returns.

Needs root (mount); skipped otherwise, or when tmpfs cannot be mounted. Every mount is unmounted in
cleanup.
"""
import errno
import os
import subprocess
import tempfile
import unittest

from ternlib import TERN, TernServer, message_id_of, wait_until

INSUFFICIENT = r"4\.3\.1 Insufficient system storage"


class Tmpfs:
    """A tmpfs of `size` bytes mounted on a fresh directory, with a filler file to take its space."""

    def __init__(self, test, size):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root to mount a tmpfs")
        self.path = tempfile.mkdtemp(prefix="tern-e2e-tmpfs-")
        test.addCleanup(os.rmdir, self.path)
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", self.path],
                                capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            raise unittest.SkipTest(f"cannot mount a tmpfs: {result.stderr.strip()}")
        test.addCleanup(self.unmount)
        self.filler = os.path.join(self.path, "filler")

    def unmount(self):
        if subprocess.run(["umount", self.path], capture_output=True, timeout=30).returncode != 0:
            subprocess.run(["umount", "-l", self.path], capture_output=True, timeout=30)

    def free(self):
        info = os.statvfs(self.path)
        return info.f_bavail * info.f_frsize

    def fill(self, leave=0):
        """Writes the filler until at most `leave` bytes are free (0: until ENOSPC)."""
        block = b"\0" * 65536
        with open(self.filler, "ab") as filler:
            try:
                while self.free() > leave:
                    filler.write(block[:max(4096, min(len(block), self.free() - leave))])
                    filler.flush()
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise

    def empty(self):
        os.unlink(self.filler)


def message(marker):
    return (f"Message-ID: <{marker}@test>\r\nSubject: {marker}\r\n\r\n" + "body line\r\n" * 20).encode()


class DiskFullTest(unittest.TestCase):
    def start(self, **settings):
        server = TernServer({**settings, "message_size_limit": "1048576"})
        if "queue_directory" in settings:
            server.spool = settings["queue_directory"]
        if "mail_root" in settings:
            server.mail_root = settings["mail_root"]
        server.start()
        self.addCleanup(server.cleanup)
        self.addCleanup(lambda: server.process.poll() is None and server.process.kill())
        return server

    def send(self, server, marker):
        with server.connect() as client:
            client.ehlo()
            return client.send_message("s@remote.test", ["alice@example.test"], message(marker), ehlo=False)

    def delivered(self, server):
        return [message_id_of(m) for m in server.messages("alice@example.test")]

    def test_full_spool_refuses_with_452_and_accepts_again_when_space_returns(self):
        disk = Tmpfs(self, 8 * 1024 * 1024)
        server = self.start(queue_directory=os.path.join(disk.path, "spool"))
        self.send(server, "before")
        server.wait_for_message_with("alice@example.test", b"<before@test>")

        # Below 1.5 x message_size_limit free: refused at MAIL, before any data is sent.
        disk.fill(leave=1024 * 1024)
        with server.connect() as client:
            client.ehlo()
            client.chat("MAIL FROM:<s@remote.test>", 452, INSUFFICIENT)
            client.quit()
        server.wait_for_log(r"NOQUEUE: reject: MAIL from unknown\[127\.0\.0\.1\]: 452 4\.3\.1")
        server.wait_for_log(r"warning: not enough free space in mail queue")

        # Room at MAIL, but the disk fills during the transfer: refused at end of data.
        disk.empty()
        with server.connect() as client:
            client.ehlo()
            client.chat("MAIL FROM:<s@remote.test>", 250)
            client.chat("RCPT TO:<alice@example.test>", 250)
            client.chat("DATA", 354)
            disk.fill()
            client.send(message("during") + b"x" * 200000 + b"\r\n.\r\n")
            client.expect(452, INSUFFICIENT)
            # The session goes on: the client may try again later on the same connection.
            client.chat("NOOP", 250)
            client.quit()
        self.assertEqual(server.queue_files("incoming"), [], "a refused message left its queue file")

        disk.empty()
        self.send(server, "after")
        server.wait_for_message_with("alice@example.test", b"<after@test>")
        self.assertTrue(wait_until(lambda: not server.queue_files("active"), 10))
        self.assertEqual(sorted(self.delivered(server)), ["after@test", "before@test"])
        server.stop()

    def test_full_mailbox_file_system_defers_and_delivers_once_space_returns(self):
        disk = Tmpfs(self, 4 * 1024 * 1024)
        mail_root = os.path.join(disk.path, "mail")
        server = self.start(mail_root=mail_root)
        self.send(server, "first")
        server.wait_for_message_with("alice@example.test", b"<first@test>")

        disk.fill()
        queue_id = self.send(server, "blocked")
        server.wait_for_log(rf"{queue_id}: to=<alice@example.test>, relay=local, .*dsn=4\.3\.1, status=deferred")
        self.assertTrue(wait_until(lambda: queue_id in server.queue_files("deferred"), 10),
                        f"not in deferred/: {server.queue_files('deferred')}")
        self.assertEqual(self.delivered(server), ["first@test"])
        maildir_tmp = os.path.join(server.maildir("alice@example.test"), "tmp")
        self.assertEqual(os.listdir(maildir_tmp), [], "a failed delivery left its tmp/ file")

        disk.empty()
        flushed = subprocess.run([TERN, "queue", "-c", server.config_path, "flush"], capture_output=True,
                                 text=True, timeout=30)
        self.assertEqual(flushed.returncode, 0, flushed.stderr)
        server.wait_for_message_with("alice@example.test", b"<blocked@test>")
        server.wait_for_log(rf"{queue_id}: removed")
        self.assertEqual(sorted(self.delivered(server)), ["blocked@test", "first@test"])
        self.assertEqual(server.queue_files("deferred"), [])
        server.stop()

    def test_queue_minfree_keeps_space_free(self):
        disk = Tmpfs(self, 8 * 1024 * 1024)
        server = self.start(queue_directory=os.path.join(disk.path, "spool"), queue_minfree=str(6 * 1024 * 1024))
        self.send(server, "roomy")
        disk.fill(leave=5 * 1024 * 1024)  # above 1.5 x message_size_limit, below queue_minfree
        with server.connect() as client:
            client.ehlo()
            client.chat("MAIL FROM:<s@remote.test>", 452, INSUFFICIENT)
            client.quit()
        disk.empty()
        self.send(server, "again")
        server.wait_for_message_with("alice@example.test", b"<again@test>")
        server.stop()


if __name__ == "__main__":
    unittest.main()
