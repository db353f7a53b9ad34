"""tern sendmail against a real ternd: a local program's message through the pickup socket into the
Maildirs, with recipients as arguments or from the header (-t, Bcc: removed), sendmail's dot rule
with and without -i, -f/-F, the Message-ID:/Date:/From: fields ternd adds, the Received: line with
the submitter's uid, a submission by an unprivileged user, the `sendmail` and `mailq` names, and
exit 69 when ternd is not running."""
import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile
import unittest

from ternlib import TERN, SharedServerTest, TernServer, split_delivered, timeout

EX_USAGE, EX_DATAERR, EX_UNAVAILABLE = 64, 65, 69


def unprivileged_user():
    """A user that is neither root nor the test ternd's mail_owner (nobody), so only the socket's
    0666 mode lets it in."""
    for name in ("daemon", "bin", "games"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
    return None


class SendmailTest(SharedServerTest):
    # Unqualified addresses (root, bob) get @myorigin: make that a local domain.
    SETTINGS = {"myorigin": "example.test"}

    def sendmail(self, *arguments, message=b"Subject: test\n\nbody\n", program=None, prefix=()):
        command = [*prefix, program or TERN, *([] if program else ["sendmail"]),
                   "-c", self.server.config_path, *arguments]
        return subprocess.run(command, input=message, capture_output=True, timeout=timeout(30))

    def delivered(self, address, marker):
        found = self.server.wait_for_message_with(address, marker)
        self.assertEqual(len(found), 1)
        return split_delivered(found[0])

    def assert_submitted(self, result):
        self.assertEqual((result.returncode, result.stdout, result.stderr), (0, b"", b""),
                         result.stderr.decode(errors="replace"))

    def test_recipients_as_arguments(self):
        result = self.sendmail("alice@example.test", "bob",
                               message=b"Subject: arguments\n\nline one\nline two\n")
        self.assert_submitted(result)
        uid = os.getuid()
        login = pwd.getpwuid(uid).pw_name
        for address in ("alice@example.test", "bob@example.test"):
            added, message = self.delivered(address, b"Subject: arguments")
            self.assertEqual(added["Return-Path"], f"<{login}@example.test>")
            self.assertRegex(added["Received"],
                             rf"^by mail\.example\.test \(tern, from userid {uid}\) id [0-9A-F]+; ")
            # The header got what Postfix's cleanup adds to mail from sendmail; lines end in CRLF.
            header, body = message.split(b"\r\n\r\n", 1)
            self.assertEqual(body, b"line one\r\nline two\r\n")
            self.assertRegex(header, rb"\r\nMessage-ID: <\d{14}\.[0-9A-F]+@mail\.example\.test>\r\n")
            self.assertRegex(header, rb"\r\nDate: \w{3}, ")
            self.assertTrue(header.endswith(f"\r\nFrom: {login}@example.test".encode()), header)
        queue_id = re.search(r"id ([0-9A-F]+);", added["Received"]).group(1)
        self.server.wait_for_log(rf"{queue_id}: uid={uid} from=<{login}@example\.test>")

    def test_recipients_from_header(self):
        message = (b"From: Me <me@example.test>\nTo: Alice <alice@example.test>\n"
                   b"Cc: bob@example.test, \"Carol, C.\" <carol@example.test>\n"
                   b"Bcc:\n dave@example.test\n"
                   b"Subject: header recipients\n\nbody\n")
        self.assert_submitted(self.sendmail("-t", "-i", message=message))
        for address in ("alice@example.test", "bob@example.test", "carol@example.test",
                        "dave@example.test"):
            added, delivered = self.delivered(address, b"Subject: header recipients")
            self.assertNotIn(b"Bcc", delivered)
            self.assertNotIn(b"dave@", delivered)
            self.assertIn(b"\r\nTo: Alice <alice@example.test>\r\n", delivered)
            self.assertIn(b"\r\nCc: bob@example.test, \"Carol, C.\" <carol@example.test>\r\n", delivered)
            self.assertEqual(delivered.count(b"From:"), 1)  # the message's own From: is kept

    def test_command_line_recipients_are_added_to_header_ones(self):
        message = b"To: alice@example.test\nSubject: added with -t\n\nbody\n"
        self.assert_submitted(self.sendmail("-t", "carol", message=message))
        self.delivered("alice@example.test", b"Subject: added with -t")
        self.delivered("carol@example.test", b"Subject: added with -t")

    def test_a_single_dot_ends_the_message_unless_i(self):
        message = b"Subject: dot rule %s\n\nbefore\n.\nafter\n"
        self.assert_submitted(self.sendmail("alice@example.test", message=message % b"default"))
        _, delivered = self.delivered("alice@example.test", b"dot rule default")
        self.assertTrue(delivered.endswith(b"\r\n\r\nbefore\r\n"), delivered)
        for flag in ("-i", "-oi"):
            self.assert_submitted(self.sendmail(flag, "alice@example.test",
                                                message=message % flag.encode()))
            _, delivered = self.delivered("alice@example.test", b"dot rule " + flag.encode())
            self.assertTrue(delivered.endswith(b"\r\n\r\nbefore\r\n.\r\nafter\r\n"), delivered)

    def test_sender_and_full_name(self):
        result = self.sendmail("-odi", "-oem", "-f", "list-bounces@example.test", "-F", "Mailing List",
                               "-N", "failure,delay", "alice@example.test",
                               message=b"Subject: with -f\r\n\r\nbody\r\n")
        self.assert_submitted(result)
        added, delivered = self.delivered("alice@example.test", b"Subject: with -f")
        self.assertEqual(added["Return-Path"], "<list-bounces@example.test>")
        self.assertIn(b"\r\nFrom: Mailing List <list-bounces@example.test>\r\n", delivered)

    def test_unprivileged_user(self):
        if os.getuid() != 0:
            self.skipTest("needs root to switch to another user")
        user = unprivileged_user()
        if user is None:
            self.skipTest("no unprivileged user (daemon, bin, games) on this system")
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            self.skipTest("setpriv is missing")
        prefix = [setpriv, f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]
        result = self.sendmail("alice@example.test", message=b"Subject: unprivileged\n\nbody\n",
                               prefix=prefix)
        self.assert_submitted(result)
        added, delivered = self.delivered("alice@example.test", b"Subject: unprivileged")
        self.assertEqual(added["Return-Path"], f"<{user.pw_name}@example.test>")
        self.assertIn(f"(tern, from userid {user.pw_uid})", added["Received"])
        self.assertIn(f"\r\nFrom: {user.pw_name}@example.test\r\n".encode(), delivered)

    def test_sendmail_and_mailq_names(self):
        directory = tempfile.mkdtemp(prefix="tern-sendmail-names-")
        self.addCleanup(shutil.rmtree, directory)
        for name in ("sendmail", "mailq"):
            os.symlink(os.path.abspath(TERN), os.path.join(directory, name))
        result = self.sendmail("-oi", "-t", program=os.path.join(directory, "sendmail"),
                               message=b"To: bob@example.test\nSubject: via the sendmail name\n\nbody\n")
        self.assert_submitted(result)
        self.delivered("bob@example.test", b"Subject: via the sendmail name")
        listing = subprocess.run([os.path.join(directory, "mailq"), "-c", self.server.config_path],
                                 capture_output=True, text=True, timeout=timeout(30))
        self.assertEqual(listing.returncode, 0, listing.stderr)
        self.assertRegex(listing.stdout, r"^(Mail queue is empty|-Queue ID-)")

    def test_errors(self):
        bad = self.sendmail("bob@")
        self.assertEqual((bad.returncode, bad.stderr),
                         (EX_DATAERR, b"tern: recipient bad address syntax: <bob@>\n"))
        usage = self.sendmail("-k", "bob")
        self.assertEqual(usage.returncode, EX_USAGE)
        self.assertEqual(len(usage.stderr.splitlines()), 1)
        none = self.sendmail("-t", message=b"Subject: nobody\n\nbody\n")
        self.assertEqual(none.returncode, EX_USAGE)

    def test_pickup_socket_is_open_to_local_users(self):
        public = os.path.join(self.server.spool, "public")
        socket_path = os.path.join(public, "pickup")
        self.assertTrue(stat.S_ISSOCK(os.stat(socket_path).st_mode))
        self.assertEqual(stat.S_IMODE(os.stat(socket_path).st_mode), 0o666)
        self.assertEqual(stat.S_IMODE(os.stat(public).st_mode), 0o755)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(self.server.spool, "active")).st_mode), 0o700)


class SendmailWithoutTerndTest(unittest.TestCase):
    def test_ternd_not_running(self):
        server = TernServer()  # configured, never started
        self.addCleanup(server.cleanup)
        result = subprocess.run([TERN, "sendmail", "-c", server.config_path, "alice@example.test"],
                                input=b"Subject: x\n\nbody\n", capture_output=True, timeout=timeout(30))
        socket_path = os.path.join(server.spool, "public", "pickup")
        self.assertEqual(result.returncode, EX_UNAVAILABLE)
        self.assertEqual(result.stderr.decode(),
                         f"tern: cannot submit: ternd is not running (no pickup socket at {socket_path})\n")


if __name__ == "__main__":
    unittest.main()
