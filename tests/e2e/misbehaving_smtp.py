"""SMTP servers that are wrong on purpose, for tern audit's end-to-end tests: every flaw the audit
looks for is built into a small asyncio server on loopback, so that each finding is seen to fire
against a real socket, not only in unit tests.

MisbehavingSmtp(...) flags:
  bare_lf_ends_data  a line that is "." ends DATA whatever ends the line (LF alone too): the SMTP
                     smuggling flaw of 2023 (\\n.\\n, \\n.\\r\\n and \\r\\n.\\n end DATA; \\r.\\r\\n does not,
                     since lines are split at LF)
  accept_everything  every MAIL and RCPT gets 250: an open relay for all 16 of nmap's forms
  vrfy_users         None: VRFY/EXPN get 252 for every name (answer-everything); a set: 252 for
                     those names and 550 for others (a server that reveals users)
  drop_http          False: CONNECT/GET/POST get 502 and the session goes on
  auth_before_tls    AUTH PLAIN LOGIN announced on the plaintext connection
  tls_context        an ssl.SSLContext offered with STARTTLS (e.g. one that allows TLS 1.0)
"""
import asyncio
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import warnings

BANNER = "220 bad.example.test ESMTP misbehaving"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def legacy_tls_context():
    """A server context with a fresh RSA certificate that accepts TLS 1.0 and up (security level 0),
    or None when this machine's OpenSSL refuses to."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None, "openssl is missing"
    directory = tempfile.mkdtemp(prefix="tern-legacy-tls-")
    certificate = os.path.join(directory, "c.pem")
    key = os.path.join(directory, "k.pem")
    made = subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                           "/CN=bad.example.test", "-days", "30", "-keyout", key, "-out", certificate],
                          capture_output=True, timeout=60)
    if made.returncode != 0:
        return None, f"openssl req failed: {made.stderr.decode(errors='replace')}"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    shutil.rmtree(directory, ignore_errors=True)
    try:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
    except (ssl.SSLError, ValueError) as error:
        return None, f"this OpenSSL will not allow TLS 1.0: {error}"
    return context, ""


class MisbehavingSmtp:
    def __init__(self, bare_lf_ends_data=False, accept_everything=True, vrfy_users=None, drop_http=False,
                 auth_before_tls=False, tls_context=None):
        self.bare_lf_ends_data = bare_lf_ends_data
        self.accept_everything = accept_everything
        self.vrfy_users = vrfy_users
        self.drop_http = drop_http
        self.auth_before_tls = auth_before_tls
        self.tls_context = tls_context
        self.port = free_port()
        self.messages = []
        self.lines = []
        self._loop = None
        self._server = None
        self._thread = None

    def start(self):
        ready = threading.Event()

        def run():
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._serve, "127.0.0.1", self.port))
            ready.set()
            self._loop.run_forever()
            self._server.close()
            self._loop.run_until_complete(self._server.wait_closed())
            self._loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise AssertionError("the misbehaving server did not start")
        return self

    def stop(self):
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _keywords(self, tls):
        keywords = ["PIPELINING", "SIZE 10240000"]
        if self.vrfy_users is not None:
            keywords.append("VRFY")
        if self.tls_context is not None and not tls:
            keywords.append("STARTTLS")
        if tls or self.auth_before_tls:
            keywords.append("AUTH PLAIN LOGIN")
        return keywords + ["8BITMIME"]

    async def _serve(self, reader, writer):
        tls = False

        async def say(text):
            writer.write(text.encode() + b"\r\n")
            await writer.drain()

        try:
            await say(BANNER)
            while True:
                line = await reader.readuntil(b"\n")
                command = line.rstrip(b"\r\n").decode("latin-1")
                self.lines.append(command)
                verb = command.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    keywords = self._keywords(tls)
                    await say("\r\n".join(["250-bad.example.test"] + [f"250-{k}" for k in keywords[:-1]]
                                          + [f"250 {keywords[-1]}"]))
                elif verb == "HELO":
                    await say("250 bad.example.test")
                elif verb == "STARTTLS" and self.tls_context is not None and not tls:
                    await say("220 2.0.0 Ready to start TLS")
                    await writer.start_tls(self.tls_context)
                    tls = True
                elif verb in ("VRFY", "EXPN"):
                    name = command.split(" ", 1)[1] if " " in command else ""
                    if self.vrfy_users is None or name.split("@")[0] in self.vrfy_users:
                        await say(f"252 2.0.0 {name}")
                    else:
                        await say(f"550 5.1.1 <{name}>: Recipient address rejected: User unknown")
                elif verb in ("MAIL", "RSET", "NOOP"):
                    await say("250 2.0.0 Ok")
                elif verb == "RCPT":
                    await say("250 2.1.5 Ok" if self.accept_everything else "554 5.7.1 Relay access denied")
                elif verb == "DATA":
                    await say("354 End data with <CR><LF>.<CR><LF>")
                    data = b""
                    while True:
                        data_line = await reader.readuntil(b"\n")
                        if data_line == b".\r\n" or (self.bare_lf_ends_data and data_line.rstrip(b"\r\n") == b"."):
                            break
                        data += data_line
                    self.messages.append(data)
                    await say("250 2.0.0 Ok: queued as BAD")
                elif verb == "QUIT":
                    await say("221 2.0.0 Bye")
                    break
                elif verb in ("CONNECT", "GET", "POST") and self.drop_http:
                    break
                else:
                    await say("502 5.5.2 Error: command not recognized")
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
