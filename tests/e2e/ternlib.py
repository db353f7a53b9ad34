"""Harness for tern's end-to-end tests: a real ternd on loopback, driven by raw sockets.

TernServer writes main.cf, a Dovecot passwd-file users table and an aliases(5) file into a temporary
directory, picks free ports, starts $TERND in the foreground with its log on a file, waits until every
listener accepts, and on stop() sends SIGTERM and fails the test unless ternd exits 0 with no sanitizer
report. SmtpConversation sends exact bytes (several commands in one write for pipelining) and reads
whole replies; it can STARTTLS, or speak TLS from the first byte (smtps). Users may be given passwords,
hashed as yescrypt by mkpasswd. Every wait here is bounded in time; under ASan (TERN_SANITIZE=ON) the
bounds grow.
"""
import atexit
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
TERND = os.environ.get("TERND") or os.path.join(HERE, "../../build/release/ternd")
TERN = os.environ.get("TERN") or os.path.join(HERE, "../../build/release/tern")
SANITIZED = os.environ.get("TERN_SANITIZE", "OFF").upper() in ("ON", "1", "TRUE", "YES")
SLOW = 4 if SANITIZED else 1

HOSTNAME = "mail.example.test"
BANNER = f"220 {HOSTNAME} ESMTP tern"
# What EHLO on the smtp role offers before TLS (STARTTLS needs the TLS context ternd always has: its
# self-signed certificate in data_directory when no smtpd_tls_cert_file is set).
EHLO_KEYWORDS = ["PIPELINING", "SIZE 10240000", "ETRN", "STARTTLS", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN",
                 "SMTPUTF8", "CHUNKING"]
VRFY_AMBIGUOUS = "252 2.0.0 Cannot VRFY user; try RCPT to attempt delivery"
QUEUED = r"250 2\.0\.0 Ok: queued as ([0-9A-F]+)"

DEFAULT_USERS = ["alice@example.test", "bob@example.test", "carol@example.test", "dave@example.test",
                 "jörg@example.test"]
DEFAULT_ALIASES = {
    "postmaster": "alice@example.test",
    "team": "alice@example.test, bob@example.test",   # several targets
    "chain": "team",                                    # alias of an alias
    "info": "carol@example.test",
    "abuse": "postmaster",
}

_running = []  # every ternd we started; killed at exit if a test left one behind


@atexit.register
def _kill_leftovers():
    for process in _running:
        if process.poll() is None:
            process.kill()


def timeout(seconds):
    """A wait bound in seconds, stretched under the sanitizers."""
    return seconds * SLOW


_password_hashes = {}


def hash_password(password):
    """password as a Dovecot passwd-file field, {CRYPT} with a yescrypt hash made by mkpasswd (Debian's
    whois package, installed by scripts/deps.sh). Cached: hashing is deliberately slow."""
    if password not in _password_hashes:
        mkpasswd = shutil.which("mkpasswd")
        if mkpasswd is None:
            raise unittest.SkipTest("mkpasswd is missing (run scripts/deps.sh)")
        result = subprocess.run([mkpasswd, "-m", "yescrypt", "--stdin"], input=password + "\n",
                                capture_output=True, text=True, timeout=30)
        hashed = result.stdout.strip()
        if result.returncode != 0 or not hashed.startswith("$y$"):
            raise AssertionError(f"mkpasswd failed ({result.returncode}): {result.stderr}")
        _password_hashes[password] = "{CRYPT}" + hashed
    return _password_hashes[password]


def client_tls_context(minimum=None, maximum=None, legacy=False):
    """A TLS client context that accepts ternd's self-signed certificate. minimum/maximum are
    ssl.TLSVersion bounds; legacy lowers OpenSSL's security level so TLS 1.0/1.1 are really offered."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if legacy:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():  # TLS 1.0/1.1 are deprecated: tests name them to see them refused
        warnings.simplefilter("ignore", DeprecationWarning)
        if minimum is not None:
            context.minimum_version = minimum
        if maximum is not None:
            context.maximum_version = maximum
    return context


def free_port(host="127.0.0.1"):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class TernServer:
    """One ternd with its own config, users, aliases, spool and Maildirs in a temporary directory.

    settings: main.cf parameters that override or extend the defaults below (value None drops one).
    submission / smtps: also listen with those roles on free ports (submission_port, smtps_port).
    passwords: {user: password}; those users get a {CRYPT} yescrypt hash (added when not in users).
    """

    def __init__(self, settings=None, users=None, aliases=None, ipv6=False, submission=False, smtps=False,
                 passwords=None):
        self.directory = tempfile.mkdtemp(prefix="tern-e2e-")
        os.chmod(self.directory, 0o755)  # ternd may drop privileges to mail_owner when run as root
        self.port = free_port()
        self.port6 = free_port("::1") if ipv6 else None
        self.spool = os.path.join(self.directory, "spool")
        self.mail_root = os.path.join(self.directory, "mail")
        self.log_path = os.path.join(self.directory, "ternd.log")
        self.submission_port = free_port() if submission else None
        self.smtps_port = free_port() if smtps else None
        self.data_directory = os.path.join(self.directory, "data")
        self.users = list(users if users is not None else DEFAULT_USERS)
        self.passwords = dict(passwords or {})
        self.users += [user for user in self.passwords if user not in self.users]
        self.aliases = aliases if aliases is not None else DEFAULT_ALIASES
        self.users_path = self.write_file("users", "".join(
            f"{u}:{hash_password(self.passwords[u])}::::::\n" if u in self.passwords else f"{u}::::::\n"
            for u in self.users))
        self.aliases_path = self.write_file(
            "aliases", "".join(f"{name}: {target}\n" for name, target in self.aliases.items()))
        listen = f"127.0.0.1:{self.port}" + (f", [::1]:{self.port6}" if ipv6 else "")
        config = {
            "myhostname": HOSTNAME,
            "mydomain": "example.test",
            "mydestination": "example.test, mail.example.test, localhost",
            "mynetworks": "127.0.0.1/32",
            "smtpd_listen": listen,
            "smtpd_threads": "2",
            "queue_directory": self.spool,
            "mail_root": self.mail_root,
            "local_recipient_maps": f"passwd-file:{self.users_path}",
            "alias_maps": f"texthash:{self.aliases_path}",
            "recipient_delimiter": "+",
            "mail_owner": "nobody",
            "data_directory": self.data_directory,
            # Outbound mail must never leave loopback: remote recipients go to a closed loopback
            # port (deferred), and DNS, if anything asks, to a loopback port nobody answers.
            "relayhost": "[127.0.0.1]:9",
            "resolver": "127.0.0.1@9",
        }
        if submission:
            config["submission_listen"] = f"127.0.0.1:{self.submission_port}"
        if smtps:
            config["smtps_listen"] = f"127.0.0.1:{self.smtps_port}"
        for name, value in (settings or {}).items():
            if value is None:
                config.pop(name, None)
            else:
                config[name] = value
        self.settings = config
        self.config_path = self.write_file(
            "main.cf", "".join(f"{name} = {value}\n" for name, value in config.items()))
        self.process = None
        self._log = None

    # -- files ---------------------------------------------------------------------------------
    def write_file(self, name, text):
        path = os.path.join(self.directory, name)
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(path, 0o644)
        return path

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self):
        self._log = open(self.log_path, "ab")
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
        self.process = subprocess.Popen([TERND, "-c", self.config_path, "--foreground"],
                                        stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                                        env=env)
        _running.append(self.process)
        endpoints = [("127.0.0.1", self.port)] + ([("::1", self.port6)] if self.port6 else [])
        endpoints += [("127.0.0.1", self.submission_port)] if self.submission_port else []
        endpoints += [("127.0.0.1", self.smtps_port)] if self.smtps_port else []
        deadline = time.monotonic() + timeout(15)
        for host, port in endpoints:
            while True:
                if self.process.poll() is not None:
                    raise AssertionError(f"ternd exited with {self.process.returncode} at start:\n"
                                         f"{self.log_text()[-3000:]}")
                try:
                    probe = socket.create_connection((host, port), timeout=2)
                    # read the banner so the server does not log an aborted session mid-handshake
                    probe.settimeout(timeout(5))
                    try:
                        if port == self.smtps_port:  # TLS from the first byte: the banner comes after it
                            probe = client_tls_context().wrap_socket(probe, server_hostname=HOSTNAME)
                        probe.recv(512)
                    except OSError:
                        pass  # it listens; what it says is for the tests to judge
                    probe.close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise AssertionError(f"ternd never listened on {host}:{port}:\n"
                                             f"{self.log_text()[-3000:]}")
                    time.sleep(0.05)
        return self

    def running(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        """SIGKILL: the crash the spool must survive."""
        self.process.kill()
        self.process.wait(timeout=timeout(10))
        self._log.close()

    def stop(self):
        """SIGTERM; the test fails unless ternd exits 0 and its log has no sanitizer report."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                status = self.process.wait(timeout=timeout(20))
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
                raise AssertionError(f"ternd ignored SIGTERM for {timeout(20)} s:\n"
                                     f"{self.log_text()[-3000:]}")
        else:
            status = self.process.returncode
        if self._log and not self._log.closed:
            self._log.close()
        self.check_log_clean()
        if status != 0:
            raise AssertionError(f"ternd exited with status {status}:\n{self.log_text()[-3000:]}")

    def check_log_clean(self):
        log = self.log_text()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                       "terminate called", "panic:", "fatal:"):
            if marker in log:
                at = log.index(marker)
                raise AssertionError(f"{marker!r} in the ternd log:\n{log[max(0, at - 500):at + 4000]}")

    def cleanup(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, kind, value, traceback):
        try:
            self.stop()
        except AssertionError:
            if kind is None:
                raise  # a bad exit fails the test unless the test already failed
        finally:
            if self.process and self.process.poll() is None:
                self.process.kill()

    # -- log -----------------------------------------------------------------------------------
    def log_text(self):
        try:
            with open(self.log_path, "rb") as log:
                return log.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def wait_for_log(self, pattern, seconds=10, start=0):
        """The first match of pattern in the log (from offset start), waiting up to seconds."""
        deadline = time.monotonic() + timeout(seconds)
        while True:
            found = re.search(pattern, self.log_text()[start:], re.MULTILINE)
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"the ternd log never matched {pattern!r}:\n{self.log_text()[-3000:]}")
            time.sleep(0.05)

    # -- Maildirs ------------------------------------------------------------------------------
    def maildir(self, address):
        local, domain = address.rsplit("@", 1)
        return os.path.join(self.mail_root, domain, local, "Maildir")

    def message_files(self, address):
        new = os.path.join(self.maildir(address), "new")
        try:
            names = sorted(os.listdir(new))
        except FileNotFoundError:
            return []
        return [os.path.join(new, name) for name in names]

    def messages(self, address):
        result = []
        for path in self.message_files(address):
            try:
                with open(path, "rb") as message:
                    result.append(message.read())
            except FileNotFoundError:
                pass
        return result

    def wait_for_messages(self, address, count, seconds=10):
        """Poll address's Maildir until it holds at least count messages; return them all."""
        deadline = time.monotonic() + timeout(seconds)
        while True:
            found = self.messages(address)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{address}: expected {count} message(s) in {self.maildir(address)}"
                                     f"/new, found {len(found)}\nlog tail:\n{self.log_text()[-2000:]}")
            time.sleep(0.05)

    def wait_for_message_with(self, address, marker, seconds=10):
        """The one message in address's Maildir that contains marker (bytes)."""
        deadline = time.monotonic() + timeout(seconds)
        while True:
            found = [m for m in self.messages(address) if marker in m]
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{address}: no message containing {marker!r} within {seconds} s\n"
                                     f"log tail:\n{self.log_text()[-2000:]}")
            time.sleep(0.05)

    def queue_files(self, subdirectory):
        path = os.path.join(self.spool, subdirectory)
        try:
            return sorted(os.listdir(path))
        except FileNotFoundError:
            return []

    # -- clients -------------------------------------------------------------------------------
    @property
    def tls_cert_path(self):
        """The self-signed certificate ternd makes on first start when no smtpd_tls_cert_file is set."""
        return os.path.join(self.data_directory, "tls", "self-signed.crt")

    @property
    def tls_key_path(self):
        return os.path.join(self.data_directory, "tls", "self-signed.key")

    def connect(self, source="127.0.0.1", banner=True, host="127.0.0.1", port=None, tls=None):
        """A conversation with the 220 banner already read and checked. tls: an SSLContext to speak TLS
        from the first byte (for smtps_port)."""
        conversation = SmtpConversation(host, port or (self.port6 if ":" in host else self.port),
                                        source=source, tls=tls)
        if banner:
            conversation.expect(220)
        return conversation


class Reply:
    """One whole SMTP reply: its code and the text of each line (without "250-" / "250 ")."""

    def __init__(self, lines):
        self.raw_lines = lines
        self.code = int(lines[-1][:3])
        self.texts = [line[4:] for line in lines]
        self.text = self.texts[-1]

    def __str__(self):
        return "\n".join(self.raw_lines)

    __repr__ = __str__


class SmtpClosed(ConnectionError):
    pass


class SmtpConversation:
    """A raw SMTP client: exact bytes out, whole replies in. Several commands may go in one write."""

    def __init__(self, host, port, source="127.0.0.1", read_timeout=10, tls=None):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(timeout(read_timeout))
        if source and family == socket.AF_INET:
            self.sock.bind((source, 0))
        self.sock.connect((host, port))
        self.buffer = b""
        self.eof = False
        if tls is not None:  # smtps: the handshake comes before the banner
            self.sock = tls.wrap_socket(self.sock, server_hostname=HOSTNAME)

    # -- TLS -----------------------------------------------------------------------------------
    def starttls(self, context=None):
        """STARTTLS, its 220, then the handshake (RFC 3207). Fails if ternd sent anything after the 220
        in the clear. Returns the 220 Reply; the client must EHLO again afterwards."""
        ready = self.chat("STARTTLS", 220, r"2\.0\.0 Ready to start TLS")
        self.handshake(context)
        return ready

    def handshake(self, context=None):
        """The TLS handshake on the current socket (after a 220 to STARTTLS read by the caller)."""
        if self.buffer:
            raise AssertionError(f"plaintext after the 220 to STARTTLS: {self.buffer[:200]!r}")
        self.sock = (context or client_tls_context()).wrap_socket(self.sock, server_hostname=HOSTNAME)

    @property
    def tls_version(self):
        """The negotiated version ("TLSv1.3", ...), or None before TLS."""
        return self.sock.version() if isinstance(self.sock, ssl.SSLSocket) else None

    # -- writing -------------------------------------------------------------------------------
    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode("utf-8"))

    def send_line(self, line):
        self.send((line if isinstance(line, bytes) else line.encode("utf-8")) + b"\r\n")

    def send_lines(self, lines):
        """All lines in ONE write: a pipelined group."""
        self.send(b"".join((l if isinstance(l, bytes) else l.encode("utf-8")) + b"\r\n" for l in lines))

    # -- reading -------------------------------------------------------------------------------
    def _read_line(self):
        while b"\n" not in self.buffer:
            if self.eof:
                raise SmtpClosed(f"connection closed by ternd; unread bytes {self.buffer[:200]!r}")
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, ssl.SSLEOFError, ssl.SSLZeroReturnError):
                chunk = b""
            if not chunk:
                self.eof = True
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        if not line.endswith(b"\r"):
            raise AssertionError(f"reply line not ended by CRLF: {line!r}")
        return line[:-1].decode("utf-8", "replace")

    def reply(self):
        """One whole reply (every line of a multi-line reply). Raises SmtpClosed at EOF."""
        lines = []
        for _ in range(1000):
            line = self._read_line()
            if not re.match(r"^[2-5]\d\d[ -]", line) and not re.match(r"^[2-5]\d\d$", line):
                raise AssertionError(f"malformed reply line {line!r} after {lines!r}")
            if lines and line[:3] != lines[0][:3]:
                raise AssertionError(f"code changes inside a multi-line reply: {lines!r} then {line!r}")
            lines.append(line)
            if len(line) == 3 or line[3] == " ":
                return Reply(lines)
        raise AssertionError("a reply of more than 1000 lines")

    def replies(self, count):
        return [self.reply() for _ in range(count)]

    def expect(self, code, text=None, reply=None):
        """Read one reply (or check the given one): code must match and text, a regex, must match the
        text of its last line in full. Returns the Reply."""
        reply = reply or self.reply()
        if reply.code != code or (text is not None and not re.fullmatch(text, reply.text)):
            raise AssertionError(f"expected {code} {text or ''}, got:\n{reply}")
        return reply

    def command(self, line):
        """Send one command line, return its reply."""
        self.send_line(line)
        return self.reply()

    def chat(self, line, code, text=None):
        """Send one command line and expect its reply."""
        self.send_line(line)
        return self.expect(code, text)

    def closed_by_server(self, seconds=5):
        """True when the server closes the connection within seconds (any bytes before that are
        discarded and returned in self.last_bytes)."""
        self.last_bytes = self.buffer
        self.buffer = b""
        if self.eof:
            return True
        deadline = time.monotonic() + timeout(seconds)
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError, ssl.SSLEOFError, ssl.SSLZeroReturnError):
                return True
            if not chunk:
                self.eof = True
                return True
            self.last_bytes += chunk
            if len(self.last_bytes) > 1_000_000:
                return False
        return False

    # -- whole transactions ----------------------------------------------------------------------
    def ehlo(self, name="client.example"):
        return self.expect(250, reply=self.command(f"EHLO {name}"))

    def send_message(self, sender, recipients, message, ehlo=True):
        """MAIL, RCPTs, DATA with dot-stuffing; message is bytes with CRLF line ends ending in CRLF.
        Returns the queue id of the 250."""
        if ehlo:
            self.ehlo()
        self.chat(f"MAIL FROM:<{sender}>", 250, r"2\.1\.0 Ok")
        for recipient in recipients:
            self.chat(f"RCPT TO:<{recipient}>", 250, r"2\.1\.5 Ok")
        self.chat("DATA", 354, r"End data with <CR><LF>\.<CR><LF>")
        self.send(dot_stuff(message) + b".\r\n")
        return self.expect(250, r"2\.0\.0 Ok: queued as ([0-9A-F]+)").text.rsplit(" ", 1)[1]

    def quit(self):
        self.chat("QUIT", 221, r"2\.0\.0 Bye")
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def dot_stuff(message):
    """RFC 5321 §4.5.2: a line that starts with a dot gets one more."""
    if message.startswith(b"."):
        message = b"." + message
    return message.replace(b"\r\n.", b"\r\n..")


def split_delivered(delivered):
    """Split a Maildir file into (the header lines tern added, unfolded, as a dict, the message as sent).

    tern prepends exactly Return-Path:, Delivered-To: and a (possibly folded) Received: header."""
    added = {}
    rest = delivered
    for name in (b"Return-Path", b"Delivered-To", b"Received"):
        if not rest.startswith(name + b": "):
            raise AssertionError(f"expected {name.decode()}: next in the delivered file, got {rest[:200]!r}")
        end = rest.index(b"\r\n")
        value = rest[len(name) + 2:end]
        rest = rest[end + 2:]
        while rest[:1] in (b" ", b"\t"):  # folded continuation lines
            end = rest.index(b"\r\n")
            value += b" " + rest[:end].strip()
            rest = rest[end + 2:]
        added[name.decode()] = value.decode("utf-8", "replace")
    return added, rest


def message_id_of(message):
    found = re.search(rb"(?im)^Message-ID:\s*<([^>\r\n]+)>", message)
    return found.group(1).decode() if found else None


def wait_until(predicate, seconds, interval=0.05):
    """Poll predicate until it is true or seconds (stretched under ASan) pass; returns its last value."""
    deadline = time.monotonic() + timeout(seconds)
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


class SharedServerTest(unittest.TestCase):
    """A test class whose tests share one ternd (SETTINGS, USERS, ALIASES as class attributes)."""
    SETTINGS = None
    USERS = None
    ALIASES = None
    IPV6 = False
    SUBMISSION = False
    SMTPS = False
    PASSWORDS = None

    @classmethod
    def setUpClass(cls):
        cls.server = TernServer(cls.SETTINGS, cls.USERS, cls.ALIASES, ipv6=cls.IPV6, submission=cls.SUBMISSION,
                                smtps=cls.SMTPS, passwords=cls.PASSWORDS)
        try:
            cls.server.start()
        except Exception:
            if cls.server.process and cls.server.process.poll() is None:
                cls.server.process.kill()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            if cls.server.process and cls.server.process.poll() is None:
                cls.server.process.kill()
            cls.server.cleanup()

    def connect(self, source="127.0.0.1", **kwargs):
        conversation = self.server.connect(source=source, **kwargs)
        self.addCleanup(conversation.close)
        return conversation

    def count(self, address):
        return len(self.server.messages(address))
