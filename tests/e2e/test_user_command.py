"""End-to-end `tern user`: add, list, change and delete users of a passwd-file with --stdin, as an admin
would; every other line of the file survives, the file keeps its mode, failures are one line on stderr
with exit status 1 (operational) or 2 (usage), and stored hashes are yescrypt that crypt(3) verifies."""
import os
import re
import shutil
import stat
import subprocess
import tempfile
import unittest
import warnings

from ternd_harness import TERN

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt  # deprecated in 3.11, gone in 3.13: only the hash's shape is checked then
except ImportError:
    crypt = None

YESCRYPT = re.compile(r"^\{CRYPT\}(\$y\$[./0-9A-Za-z]+\$[./0-9A-Za-z]+\$[./0-9A-Za-z]{43})$")
EXISTING = ("# Users of example.test\n"
            "\n"
            "bob@example.test:{PLAIN}bobpass:1000:1000:Bob:/home/bob:/bin/sh:userdb_quota_rule=*:storage=1G\n"
            "   # an indented comment\n"
            "carol@example.test::::::\n")


class UserCommandTest(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="tern-user-e2e-")
        self.users = os.path.join(self.directory, "users")

    def tearDown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def tern(self, *arguments, password=None, stdin=None):
        """Runs `tern user ARGUMENTS -f users`, the password (if any) given on stdin with --stdin."""
        command = [TERN, "user", *arguments, "-f", self.users]
        if password is not None:
            command.append("--stdin")
            return subprocess.run(command, input=password + "\n", capture_output=True, text=True, timeout=60)
        return subprocess.run(command, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=60)

    def read(self):
        with open(self.users, encoding="utf-8") as file:
            return file.read()

    def stored(self, name):
        for line in self.read().splitlines():
            if line.startswith(name + ":"):
                return line.split(":")[1]
        self.fail(f"{name} is not in the users file")

    def assertVerifies(self, password, stored):
        match = YESCRYPT.match(stored)
        self.assertIsNotNone(match, stored)
        if crypt is not None:
            self.assertEqual(crypt.crypt(password, match.group(1)), match.group(1))
            self.assertNotEqual(crypt.crypt(password + "x", match.group(1)), match.group(1))

    def assertFailsWith(self, result, status, message):
        self.assertEqual(result.returncode, status, result.stderr)
        self.assertEqual(result.stderr, f"tern: {message}\n")
        self.assertEqual(result.stdout, "")

    def test_add_list_passwd_del_keep_every_other_line_and_the_mode(self):
        with open(self.users, "w", encoding="utf-8") as file:
            file.write(EXISTING)
        os.chmod(self.users, 0o600)

        added = self.tern("add", "Alice@Example.test", password="first password")
        self.assertEqual((added.returncode, added.stderr, added.stdout), (0, "", ""))
        self.assertTrue(self.read().startswith(EXISTING))
        self.assertRegex(self.read()[len(EXISTING):], r"^alice@example\.test:\{CRYPT\}\$y\$[^:\n]+::::::\n$")
        self.assertVerifies("first password", self.stored("alice@example.test"))
        self.assertEqual(stat.S_IMODE(os.stat(self.users).st_mode), 0o600)

        listed = self.tern("list")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertEqual(listed.stdout, "bob@example.test\ncarol@example.test\nalice@example.test\n")
        self.assertNotIn("$", listed.stdout + listed.stderr)

        first_hash = self.stored("alice@example.test")
        changed = self.tern("passwd", "alice@example.test", password="second password")
        self.assertEqual((changed.returncode, changed.stderr), (0, ""))
        self.assertNotEqual(self.stored("alice@example.test"), first_hash)
        self.assertVerifies("second password", self.stored("alice@example.test"))

        carol = self.tern("passwd", "carol@example.test", password="carol's")
        self.assertEqual((carol.returncode, carol.stderr), (0, ""))
        self.assertVerifies("carol's", self.stored("carol@example.test"))
        self.assertRegex(self.read(), r"\ncarol@example\.test:\{CRYPT\}\$y\$[^:\n]+:::::\n")

        deleted = self.tern("del", "bob@example.test")
        self.assertEqual((deleted.returncode, deleted.stderr), (0, ""))
        text = self.read()
        self.assertNotIn("bob@example.test", text)
        self.assertTrue(text.startswith("# Users of example.test\n\n   # an indented comment\ncarol@example.test:"))
        self.assertEqual(self.tern("list").stdout, "carol@example.test\nalice@example.test\n")
        self.assertEqual(stat.S_IMODE(os.stat(self.users).st_mode), 0o600)
        self.assertEqual([name for name in os.listdir(self.directory)], ["users"])  # no temporary left

    def test_add_creates_a_missing_file_with_mode_0640(self):
        added = self.tern("add", "dave", password="pw")
        self.assertEqual(added.returncode, 0, added.stderr)
        self.assertEqual(stat.S_IMODE(os.stat(self.users).st_mode), 0o640)
        self.assertVerifies("pw", self.stored("dave"))

    def test_operational_errors_exit_1_with_one_line(self):
        self.assertFailsWith(self.tern("list"), 1, f"cannot read {self.users}: No such file or directory")
        with open(self.users, "w", encoding="utf-8") as file:
            file.write(EXISTING)
        self.assertFailsWith(self.tern("add", "bob@example.test", password="pw"), 1,
                             "user bob@example.test already exists")
        self.assertFailsWith(self.tern("passwd", "nobody@example.test", password="pw"), 1,
                             "user nobody@example.test does not exist")
        self.assertFailsWith(self.tern("del", "nobody@example.test"), 1, "user nobody@example.test does not exist")
        self.assertFailsWith(self.tern("add", "erin@example.test", password=""), 1, "empty password refused")
        no_line = subprocess.run([TERN, "user", "add", "erin@example.test", "--stdin", "-f", self.users],
                                 stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        self.assertFailsWith(no_line, 1, "no password on standard input")
        self.assertEqual(self.read(), EXISTING)

    def test_usage_errors_exit_2_with_one_line(self):
        self.assertFailsWith(self.tern("add", "a b@example.test", password="pw"), 2,
                             'invalid user name "a b@example.test": contains whitespace')
        self.assertFailsWith(self.tern("add", "frank@example.test"), 2,
                             "standard input is not a terminal; use --stdin to give the password on one line")
        for arguments in (["user"], ["user", "add"], ["user", "list", "--bogus"], ["user", "frobnicate"]):
            result = subprocess.run([TERN, *arguments], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                    timeout=60)
            self.assertEqual(result.returncode, 2, arguments)
            self.assertRegex(result.stderr, r"^tern: [^\n]+\n$", arguments)
        self.assertFalse(os.path.exists(self.users))

    def test_users_file_from_the_config(self):
        main_cf = os.path.join(self.directory, "main.cf")
        with open(main_cf, "w", encoding="utf-8") as file:
            file.write(f"myhostname = mail.example.test\nlocal_recipient_maps = passwd-file:{self.users}\n")
        added = subprocess.run([TERN, "user", "add", "gina@example.test", "--stdin", "-c", main_cf],
                               input="pw\n", capture_output=True, text=True, timeout=60)
        self.assertEqual(added.returncode, 0, added.stderr)
        listed = subprocess.run([TERN, "user", "-c", main_cf, "list"], capture_output=True, text=True, timeout=60)
        self.assertEqual((listed.returncode, listed.stdout), (0, "gina@example.test\n"))


if __name__ == "__main__":
    unittest.main()
