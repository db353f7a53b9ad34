"""End-to-end with the tools admins use: swaks against ternd, and tern check-config / ternd on good and
bad main.cf files (the seed's Postfix main.cf must load)."""
import os
import subprocess
import tempfile
import unittest

from ternd_harness import TERN, TERND, TernServer

SEED_MAIN_CF = """smtpd_banner = ESMTP Server 
biff = no
append_dot_mydomain = no
readme_directory = no
compatibility_level = 2
smtp_tls_session_cache_database = btree:${data_directory}/smtp_scache
myhostname = mail1.inlanefreight.htb
alias_maps = hash:/etc/aliases
alias_database = hash:/etc/aliases
smtp_generic_maps = hash:/etc/postfix/generic
mydestination = $myhostname, localhost 
masquerade_domains = $myhostname
mynetworks = 127.0.0.0/8 10.129.0.0/16
mailbox_size_limit = 0
recipient_delimiter = +
smtp_bind_address = 0.0.0.0
inet_protocols = ipv4
smtpd_helo_restrictions = reject_invalid_hostname
home_mailbox = /home/postfix
"""


def write(text):
    handle, path = tempfile.mkstemp(suffix=".cf")
    with os.fdopen(handle, "w") as out:
        out.write(text)
    return path


class SwaksTest(unittest.TestCase):
    def swaks(self, server, *arguments):
        return subprocess.run(["swaks", "--server", f"127.0.0.1:{server.port}", "--helo", "client.example",
                               "--from", "sender@remote.test", *arguments],
                              capture_output=True, text=True, timeout=60)

    def test_swaks_plain_pipelined_and_custom_message(self):
        with TernServer() as server:
            plain = self.swaks(server, "--to", "alice@example.test")
            self.assertEqual(plain.returncode, 0, plain.stdout + plain.stderr)
            self.assertRegex(plain.stdout, r"250 2\.0\.0 Ok: queued as [0-9A-F]+")
            piped = self.swaks(server, "--to", "alice@example.test", "--pipeline")
            self.assertEqual(piped.returncode, 0, piped.stdout + piped.stderr)
            custom = self.swaks(server, "--to", "bob@example.test", "--header", "X-Test: swaks",
                                "--body", "hello from swaks")
            self.assertEqual(custom.returncode, 0, custom.stdout + custom.stderr)
            self.assertEqual(len(server.wait_for_messages("alice@example.test", 2)), 2)
            bob = server.wait_for_messages("bob@example.test", 1)[0]
            self.assertIn(b"X-Test: swaks", bob)
            self.assertIn(b"hello from swaks", bob)
            refused = self.swaks(server, "--to", "nobody@example.test")
            self.assertNotEqual(refused.returncode, 0)
            self.assertIn("550 5.1.1", refused.stdout)


class ConfigToolsTest(unittest.TestCase):
    def test_check_config_loads_the_seed_postfix_main_cf(self):
        path = write(SEED_MAIN_CF)
        result = subprocess.run([TERN, "check-config", "-c", path], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("myhostname = mail1.inlanefreight.htb\n", result.stdout)
        self.assertIn("mydestination = mail1.inlanefreight.htb, localhost\n", result.stdout)
        self.assertIn("smtpd_banner = ESMTP Server\n", result.stdout)
        self.assertRegex(result.stdout, r"# accepted without effect in tern:.* biff .*smtp_bind_address")
        self.assertNotRegex(result.stdout, r"# accepted without effect in tern:.*(smtp_generic_maps|masquerade_domains)")

    def test_check_config_reports_file_and_line(self):
        path = write("myhostname = mail.example.test\nmessage_size_limit = lots\n")
        result = subprocess.run([TERN, "check-config", "-c", path], capture_output=True, text=True)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr.strip(),
                         f"tern: {path}:2: bad value for message_size_limit: lots (expected a number)")

    def test_unknown_parameter_is_a_warning_with_file_and_line(self):
        path = write("myhostname = mail.example.test\n\nno_such_thing = 1\n")
        result = subprocess.run([TERN, "check-config", "-c", path], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0)
        self.assertIn(f"{path}:3: warning: unknown parameter no_such_thing", result.stderr)

    def test_ternd_refuses_a_bad_config_with_one_line(self):
        path = write("mynetworks = 10.0.0.0/33\n")
        result = subprocess.run([TERND, "-c", path], capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr.strip(), f"ternd: {path}:1: bad network address: 10.0.0.0/33")


if __name__ == "__main__":
    unittest.main()
