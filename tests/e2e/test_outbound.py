"""Outbound delivery end to end: ternd sends mail for other domains over SMTP to a scriptable
remote MTA (python3-aiosmtpd) on loopback, through relayhost and through a real MX lookup answered
by dnsmasq on a loopback port. Remote 5xx replies become bounces with the remote text, 4xx replies
deferrals that wait in the queue."""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from aiosmtpd.controller import Controller

from ternlib import TERN, TernServer, free_port, timeout, wait_until

MESSAGE = b"Subject: outbound\r\nMessage-ID: <out@test>\r\n\r\nline one\r\n.starts with a dot\r\n"


class RemoteMta:
    """Accepts everything except recipients starting with 'reject' (550) or 'later' (451)."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()
        self.accept_later = False  # greylisting over: 'later' recipients are accepted
        self.max_recipients = None  # per transaction; more get 452 4.5.3

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject"):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if address.startswith("later") and not self.accept_later:
            return "451 4.7.1 <%s>: greylisted, try again later" % address
        if self.max_recipients is not None and len(envelope.rcpt_tos) >= self.max_recipients:
            return "452 4.5.3 Error: too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 Ok: queued as REMOTE1"


def start_remote(host, port):
    handler = RemoteMta()
    controller = Controller(handler, hostname=host, port=port, ready_timeout=timeout(10))
    controller.start()
    return handler, controller


def send(server, sender, recipients, message=MESSAGE):
    with server.connect() as conversation:
        queue_id = conversation.send_message(sender, recipients, message)
        conversation.quit()
    return queue_id


class RelayhostTest(unittest.TestCase):
    def setUp(self):
        port = free_port()
        self.remote, controller = start_remote("127.0.0.1", port)
        self.addCleanup(controller.stop)
        self.server = TernServer({"relayhost": f"[127.0.0.1]:{port}",
                                  "smtp_tls_security_level": "may"})
        self.server.start()
        self.addCleanup(self.server.cleanup)
        self.addCleanup(self.server.stop)
        self.port = port

    def test_delivered_to_the_remote_server(self):
        queue_id = send(self.server, "alice@example.test", ["bob@remote.example"])
        self.assertTrue(wait_until(lambda: self.remote.messages, 15), self.server.log_text()[-3000:])
        sender, recipients, content = self.remote.messages[0]
        self.assertEqual(sender, "alice@example.test")
        self.assertEqual(recipients, ["bob@remote.example"])
        self.assertTrue(content.endswith(MESSAGE), content)  # byte-exact after our Received:
        self.assertIn(b"Received: from client.example", content)
        self.server.wait_for_log(
            rf"{queue_id}: to=<bob@remote\.example>, relay=\S*\[127\.0\.0\.1\]:{self.port}, "
            r"delay=[\d.]+, dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok: queued as REMOTE1\)")
        self.assertTrue(wait_until(lambda: not self.server.queue_files("active"), 10))

    def test_remote_rejection_bounces_with_the_remote_text(self):
        send(self.server, "alice@example.test", ["reject-me@remote.example"])
        found = self.server.wait_for_messages("alice@example.test", 1, 15)
        bounce = found[0]
        self.assertIn(b"Undelivered Mail Returned to Sender", bounce)
        self.assertIn(b"Final-Recipient: rfc822; reject-me@remote.example", bounce)
        self.assertIn(b"Status: 5.1.1", bounce)
        self.assertIn(b"Diagnostic-Code: smtp; 550 5.1.1", bounce)
        self.assertIn(b"Remote-MTA: dns; 127.0.0.1", bounce)
        self.assertEqual(self.remote.messages, [])

    def test_temporary_failure_is_deferred_and_listed(self):
        queue_id = send(self.server, "alice@example.test", ["later@remote.example"])
        self.assertTrue(wait_until(lambda: queue_id in self.server.queue_files("deferred"), 15),
                        self.server.log_text()[-3000:])
        listing = subprocess.run([TERN, "queue", "-c", self.server.config_path, "list"],
                                 capture_output=True, text=True, timeout=timeout(30)).stdout
        self.assertIn("greylisted", listing)
        self.assertIn("later@remote.example", listing)

    def test_etrn_and_queue_flush_retry_only_their_domain(self):
        waiting_here = send(self.server, "alice@example.test", ["later@remote.example"])
        waiting_there = send(self.server, "alice@example.test", ["later@other.example"])
        self.assertTrue(wait_until(lambda: {waiting_here, waiting_there} <=
                                   set(self.server.queue_files("deferred")), 15),
                        self.server.log_text()[-3000:])
        self.remote.accept_later = True
        with self.server.connect() as conversation:
            conversation.ehlo()
            conversation.chat("ETRN remote.example", 250, "Queuing started")
            conversation.quit()
        # Well before the next queue run (minimal_backoff_time is minutes away).
        self.assertTrue(wait_until(lambda: len(self.remote.messages) == 1, 10),
                        self.server.log_text()[-3000:])
        self.assertEqual(self.remote.messages[0][1], ["later@remote.example"])
        time.sleep(1)
        self.assertIn(waiting_there, self.server.queue_files("deferred"))
        flushed = subprocess.run([TERN, "queue", "-c", self.server.config_path, "flush", "other.example"],
                                 capture_output=True, text=True, timeout=timeout(30))
        self.assertEqual((flushed.returncode, flushed.stderr), (0, ""))
        self.assertTrue(wait_until(lambda: len(self.remote.messages) == 2, 10))
        self.assertEqual(self.remote.messages[1][1], ["later@other.example"])
        bad = subprocess.run([TERN, "queue", "-c", self.server.config_path, "flush", "bad_domain!"],
                             capture_output=True, text=True, timeout=timeout(30))
        self.assertEqual(bad.returncode, 1)
        self.assertEqual(bad.stderr, "tern: bad_domain!: not a domain\n")

    def test_too_many_recipients_go_in_further_transactions(self):
        self.remote.max_recipients = 2
        recipients = [f"user{n}@remote.example" for n in range(5)]
        queue_id = send(self.server, "alice@example.test", recipients)
        self.assertTrue(wait_until(lambda: len(self.remote.messages) == 3, 15), self.server.log_text()[-3000:])
        self.assertEqual([m[1] for m in self.remote.messages],
                         [recipients[0:2], recipients[2:4], recipients[4:5]])
        for recipient in recipients:
            self.server.wait_for_log(rf"{queue_id}: to=<{re.escape(recipient)}>, .*status=sent")
        self.server.wait_for_log(r"took too many recipients at once; sending to 3 more in a new transaction")

    def test_mixed_local_and_remote_recipients(self):
        send(self.server, "alice@example.test", ["carol@example.test", "dan@remote.example"])
        self.assertTrue(self.server.wait_for_messages("carol@example.test", 1))
        self.assertTrue(wait_until(lambda: self.remote.messages, 15))
        self.assertEqual(self.remote.messages[0][1], ["dan@remote.example"])


class OutboundRewritingTest(unittest.TestCase):
    """smtp_generic_maps and masquerade_domains change what leaves, not what is delivered here."""

    def test_generic_map_and_masquerade_on_the_way_out(self):
        port = free_port()
        remote, controller = start_remote("127.0.0.1", port)
        self.addCleanup(controller.stop)
        directory = tempfile.mkdtemp(prefix="tern-generic-")
        self.addCleanup(shutil.rmtree, directory, True)
        os.chmod(directory, 0o755)  # ternd reads it after dropping privileges
        generic = os.path.join(directory, "generic")
        with open(generic, "w") as table:
            table.write("alice@example.test  alice.public@public.example\n"
                        "@internal.example   @public.example\n")
        server = TernServer({"relayhost": f"[127.0.0.1]:{port}", "masquerade_domains": "example.test",
                             "smtp_generic_maps": f"texthash:{generic}"})
        server.start()
        self.addCleanup(server.cleanup)
        self.addCleanup(server.stop)
        message = (b"From: Bob <bob@host.example.test>\r\nTo: far@remote.example, ops@internal.example\r\n"
                   b"Cc: \"Alice\" <alice@example.test>, carol@example.test\r\n"
                   b"Subject: about bob@host.example.test\r\n\r\nbody from bob@host.example.test\r\n")
        send(server, "bob@host.example.test", ["far@remote.example", "ops@internal.example",
                                               "carol@example.test"], message)
        self.assertTrue(wait_until(lambda: remote.messages, 15), server.log_text()[-3000:])
        sender, recipients, content = remote.messages[0]
        self.assertEqual(sender, "bob@example.test")  # masqueraded
        self.assertEqual(sorted(recipients), ["far@remote.example", "ops@public.example"])
        self.assertIn(b"From: Bob <bob@example.test>\r\n", content)
        self.assertIn(b"To: far@remote.example, ops@public.example\r\n", content)
        self.assertIn(b'Cc: "Alice" <alice.public@public.example>, carol@example.test\r\n', content)
        self.assertIn(b"Subject: about bob@host.example.test\r\n", content)  # not an address field
        self.assertTrue(content.endswith(b"\r\n\r\nbody from bob@host.example.test\r\n"), content)
        # The local copy is not rewritten.
        local = server.wait_for_messages("carol@example.test", 1)[0]
        self.assertIn(b"From: Bob <bob@host.example.test>", local)
        server.wait_for_log(r"to=<ops@internal\.example>, relay=.*status=sent")

    def test_unreadable_generic_map_defers_remote_mail(self):
        server = TernServer({"smtp_generic_maps": "hash:/nonexistent/generic"})
        server.start()
        self.addCleanup(server.cleanup)
        self.addCleanup(server.stop)
        queue_id = send(server, "alice@example.test", ["far@remote.example"])
        server.wait_for_log(rf"{queue_id}: to=<far@remote\.example>, relay=none, .*dsn=4\.3\.0, "
                            r"status=deferred \(smtp_generic_maps hash:/nonexistent/generic is unavailable")


class RelayhostAuthTest(unittest.TestCase):
    """smtp_sasl_auth_enable + smtp_sasl_password_maps: tern logs in to its relayhost (a second
    ternd with AUTH on port 25 after STARTTLS), never before TLS."""

    def start_remote_with_auth(self, auth_only="yes"):
        remote = TernServer({"mydestination": "remote.example", "mynetworks": "127.0.0.2/32",
                             "smtpd_sasl_auth_enable": "yes", "smtpd_tls_auth_only": auth_only},
                            users=["bob@remote.example", "relay@remote.example"], aliases={},
                            passwords={"relay@remote.example": "relay secret:1"})
        remote.start()
        self.addCleanup(remote.cleanup)
        self.addCleanup(remote.stop)
        return remote

    def start_sender(self, remote, entry, tls="encrypt"):
        directory = tempfile.mkdtemp(prefix="tern-sasl-")
        self.addCleanup(shutil.rmtree, directory, True)
        os.chmod(directory, 0o755)
        table = os.path.join(directory, "sasl_passwd")
        with open(table, "w") as out:
            out.write(entry)
        server = TernServer({"relayhost": f"[127.0.0.1]:{remote.port}", "smtp_tls_security_level": tls,
                             "smtp_sasl_auth_enable": "yes", "smtp_sasl_password_maps": f"texthash:{table}"})
        server.start()
        self.addCleanup(server.cleanup)
        self.addCleanup(server.stop)
        return server

    def test_logs_in_to_the_relayhost_after_starttls(self):
        remote = self.start_remote_with_auth()
        server = self.start_sender(remote, f"[127.0.0.1]:{remote.port} relay@remote.example:relay secret:1\n")
        send(server, "alice@example.test", ["bob@remote.example"])
        delivered = remote.wait_for_messages("bob@remote.example", 1, 15)[0]
        self.assertRegex(delivered, rb"\(using TLSv1\.[23] with cipher \S+ \(\d+/\d+ bits\)\)\r\n\tby mail\.example\.test "
                                    rb"\(tern\) with ESMTPSA id ")
        self.assertNotIn(b"relay secret", server.log_text().encode() + remote.log_text().encode())

    def test_wrong_password_defers_with_the_servers_reply(self):
        remote = self.start_remote_with_auth()
        server = self.start_sender(remote, f"[127.0.0.1] relay@remote.example:wrong\n")
        queue_id = send(server, "alice@example.test", ["bob@remote.example"])
        server.wait_for_log(rf"{queue_id}: to=<bob@remote\.example>, .*status=deferred \(.*535", 20)

    def test_no_credentials_without_tls(self):
        remote = self.start_remote_with_auth(auth_only="no")  # AUTH offered in the clear
        server = self.start_sender(remote, f"[127.0.0.1]:{remote.port} relay@remote.example:relay secret:1\n",
                                   tls="none")
        queue_id = send(server, "alice@example.test", ["bob@remote.example"])
        server.wait_for_log(rf"{queue_id}: to=<bob@remote\.example>, .*status=deferred \(SASL authentication "
                            r"failed; .*credentials are never sent in the clear", 20)


class DsnHandoffTest(unittest.TestCase):
    """NOTIFY=SUCCESS through a next hop: aiosmtpd announces no DSN, so tern owes the sender a
    'relayed' notice; a second ternd announces DSN, takes NOTIFY/ORCPT along and reports itself."""

    def send_with_success_notify(self, server, recipient):
        with server.connect() as c:
            c.ehlo()
            c.chat("MAIL FROM:<alice@example.test> ENVID=handoff-1", 250)
            c.chat(f"RCPT TO:<{recipient}> NOTIFY=SUCCESS ORCPT=rfc822;{recipient}", 250)
            c.chat("DATA", 354)
            c.send(MESSAGE + b".\r\n")
            c.expect(250)
            c.quit()

    def test_next_hop_without_dsn_gets_a_relayed_notice(self):
        port = free_port()
        remote, controller = start_remote("127.0.0.1", port)
        self.addCleanup(controller.stop)
        server = TernServer({"relayhost": f"[127.0.0.1]:{port}"})
        server.start()
        self.addCleanup(server.cleanup)
        self.addCleanup(server.stop)
        self.send_with_success_notify(server, "bob@remote.example")
        self.assertTrue(wait_until(lambda: remote.messages, 15), server.log_text()[-3000:])
        notice = server.wait_for_message_with("alice@example.test", b"Successful Mail Delivery", 15)[0]
        self.assertIn(b"Action: relayed", notice)
        self.assertIn(b"Final-Recipient: rfc822; bob@remote.example", notice)
        self.assertIn(b"Original-Envelope-Id: handoff-1", notice)
        self.assertIn(b"Remote-MTA: dns; 127.0.0.1", notice)

    def test_next_hop_with_dsn_takes_the_request_along(self):
        remote = TernServer({"mydestination": "remote.example", "mynetworks": "127.0.0.0/8"},
                            users=["bob@remote.example", "postmaster@remote.example"], aliases={})
        remote.start()
        self.addCleanup(remote.cleanup)
        self.addCleanup(remote.stop)
        server = TernServer({"relayhost": f"[127.0.0.1]:{remote.port}"})
        server.start()
        self.addCleanup(server.cleanup)
        self.addCleanup(server.stop)
        self.send_with_success_notify(server, "bob@remote.example")
        self.assertTrue(remote.wait_for_messages("bob@remote.example", 1, 15), remote.log_text()[-3000:])
        # The next hop delivered into a mailbox and owes the notice: it goes back to alice@example.test
        # through its own relayhost, which is loopback port 9 (closed), so it waits in its queue.
        self.assertTrue(wait_until(lambda: remote.queue_files("deferred") or remote.queue_files("active"), 15),
                        remote.log_text()[-3000:])
        remote.wait_for_log(r"sender delivery notification")
        server.wait_for_log(r"to=<bob@remote\.example>, .*status=sent")
        time.sleep(1)
        self.assertEqual(server.messages("alice@example.test"), [], "the next hop reports, not us")


class DelayWarningTest(unittest.TestCase):
    def test_one_warning_after_delay_warning_time(self):
        server = TernServer({"delay_warning_time": "2s", "minimal_backoff_time": "1s",
                             "maximal_backoff_time": "1s", "queue_run_delay": "1s"})
        server.start()
        self.addCleanup(server.cleanup)
        self.addCleanup(server.stop)
        # relayhost is a closed loopback port: every attempt is deferred.
        queue_id = send(server, "alice@example.test", ["far@remote.example"])
        warning = server.wait_for_message_with("alice@example.test", b"Delayed Mail", 20)[0]
        self.assertIn(b"THIS IS A WARNING ONLY", warning)
        self.assertIn(b"Action: delayed", warning)
        self.assertIn(b"Final-Recipient: rfc822; far@remote.example", warning)
        self.assertIn(b"Will-Retry-Until:", warning)
        server.wait_for_log(rf"{queue_id}: sender delay notification: ")
        attempts = len(re.findall(rf"{queue_id}: to=<far@remote\.example>", server.log_text()))
        self.assertTrue(wait_until(lambda: len(re.findall(rf"{queue_id}: to=<far@remote\.example>",
                                                          server.log_text())) >= attempts + 2, 15))
        self.assertEqual(len(server.messages("alice@example.test")), 1, "warned once, not per attempt")
        self.assertIn(queue_id, server.queue_files("deferred") + server.queue_files("active"))


@unittest.skipUnless(os.geteuid() == 0, "an MX host listens on port 25: needs root")
@unittest.skipUnless(shutil.which("dnsmasq"), "dnsmasq is installed by scripts/deps.sh")
class MxLookupTest(unittest.TestCase):
    """remote.example has MX 10 mx1 (127.0.0.3, nothing listens) and MX 20 mx2 (127.0.0.2:25)."""

    def setUp(self):
        try:
            self.remote, controller = start_remote("127.0.0.2", 25)
        except OSError as error:
            self.skipTest(f"cannot listen on 127.0.0.2:25: {error}")
        self.addCleanup(controller.stop)
        dns_port = free_port()
        self.directory = tempfile.mkdtemp(prefix="tern-dns-")
        self.addCleanup(shutil.rmtree, self.directory, True)
        self.dns = subprocess.Popen(
            ["dnsmasq", "--keep-in-foreground", "--no-daemon", "--no-resolv", "--no-hosts",
             "--bind-interfaces", "--listen-address=127.0.0.1", f"--port={dns_port}",
             "--user=root", f"--pid-file={self.directory}/pid",
             "--mx-host=remote.example,mx1.remote.example,10",
             "--mx-host=remote.example,mx2.remote.example,20",
             "--host-record=mx1.remote.example,127.0.0.3",
             "--host-record=mx2.remote.example,127.0.0.2",
             "--mx-host=nullmx.example,.,0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(self.dns.wait, 10)
        self.addCleanup(self.dns.terminate)
        time.sleep(0.3)
        self.server = TernServer({"relayhost": None, "resolver": f"127.0.0.1@{dns_port}",
                                  "smtp_connect_timeout": "5s", "inet_protocols": "ipv4"})
        self.server.start()
        self.addCleanup(self.server.cleanup)
        self.addCleanup(self.server.stop)

    def test_next_mx_is_tried_when_the_first_refuses(self):
        queue_id = send(self.server, "alice@example.test", ["bob@remote.example"])
        self.assertTrue(wait_until(lambda: self.remote.messages, 20), self.server.log_text()[-3000:])
        self.assertEqual(self.remote.messages[0][1], ["bob@remote.example"])
        self.server.wait_for_log(
            rf"{queue_id}: to=<bob@remote\.example>, relay=mx2\.remote\.example\[127\.0\.0\.2\]:25")

    def test_null_mx_bounces_at_once(self):
        send(self.server, "alice@example.test", ["someone@nullmx.example"])
        bounce = self.server.wait_for_messages("alice@example.test", 1, 15)[0]
        self.assertIn(b"Status: 5.1.10", bounce)
        self.assertIn(b"nullMX", bounce)


if __name__ == "__main__":
    unittest.main()
