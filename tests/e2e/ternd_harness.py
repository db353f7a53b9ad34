"""Start a real ternd on loopback for end-to-end tests, and talk to it like a client would.

Each TernServer writes its own main.cf, users and aliases into a temporary directory, picks a free port,
starts $TERND, waits until it accepts connections, and on stop() checks that it exits cleanly (and, under
ASan, without a sanitizer report).
"""
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

TERND = os.environ.get("TERND", os.path.join(os.path.dirname(__file__), "../../build/release/ternd"))
TERN = os.environ.get("TERN", os.path.join(os.path.dirname(__file__), "../../build/release/tern"))
SANITIZED = os.environ.get("TERN_SANITIZE", "OFF") == "ON"
SLOW = 3 if SANITIZED else 1


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TernServer:
    """A ternd process with its own state directory."""

    def __init__(self, extra_config="", users=None, aliases=None):
        self.directory = tempfile.mkdtemp(prefix="tern-e2e-")
        os.chmod(self.directory, 0o755)  # ternd drops to mail_owner when started as root
        self.port = free_port()
        self.mail_root = os.path.join(self.directory, "mail")
        self.spool = os.path.join(self.directory, "spool")
        self.log_path = os.path.join(self.directory, "ternd.log")
        users = users if users is not None else ["alice@example.test", "bob@example.test"]
        aliases = aliases if aliases is not None else {"postmaster": "alice@example.test"}
        self._write("users", "".join(f"{user}::::::\n" for user in users))
        self._write("aliases", "".join(f"{name}: {target}\n" for name, target in aliases.items()))
        self.config_path = self._write("main.cf", f"""
myhostname = mail.example.test
mydestination = example.test, mail.example.test, localhost
mynetworks = 127.0.0.1/32
smtpd_listen = 127.0.0.1:{self.port}
smtpd_threads = 2
queue_directory = {self.spool}
data_directory = {self.directory}/data
relayhost = [127.0.0.1]:9
resolver = 127.0.0.1@9
mail_root = {self.mail_root}
local_recipient_maps = passwd-file:{self.directory}/users
alias_maps = texthash:{self.directory}/aliases
recipient_delimiter = +
mail_owner = nobody
{extra_config}
""")
        self.process = None

    def _write(self, name, text):
        path = os.path.join(self.directory, name)
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(path, 0o644)
        return path

    def start(self):
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen([TERND, "-c", self.config_path], stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.time() + 10 * SLOW
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ternd exited at start: {self.read_log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                # The probe holds a connection slot until the server has seen it close; tests of
                # the connection limits must not count it.
                self.wait_for_log(r"disconnect from")
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("ternd did not start listening")

    def kill(self):
        """SIGKILL: the crash the spool must survive."""
        self.process.kill()
        self.process.wait(timeout=10)
        self.log.close()

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return 0
        self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout=20 * SLOW)
        self.log.close()
        log = self.read_log()
        if any(m in log for m in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")):
            raise AssertionError(f"sanitizer report in ternd log:\n{log[-4000:]}")
        if status != 0:
            raise AssertionError(f"ternd exited with {status}:\n{log[-2000:]}")
        return status

    def read_log(self):
        with open(self.log_path, "rb") as log:
            return log.read().decode("utf-8", "replace")

    def wait_for_log(self, pattern, timeout=10):
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline:
            if re.search(pattern, self.read_log()):
                return True
            time.sleep(0.05)
        raise AssertionError(f"log never matched {pattern!r}:\n{self.read_log()[-2000:]}")

    def maildir(self, address):
        local, domain = address.split("@")
        return os.path.join(self.mail_root, domain, local, "Maildir")

    def messages(self, address):
        new = os.path.join(self.maildir(address), "new")
        if not os.path.isdir(new):
            return []
        result = []
        for name in sorted(os.listdir(new)):
            with open(os.path.join(new, name), "rb") as message:
                result.append(message.read())
        return result

    def wait_for_messages(self, address, count, timeout=10):
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline:
            found = self.messages(address)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{address}: expected {count} messages, found {len(self.messages(address))}")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class Conversation:
    """A raw SMTP client: send exact bytes, read exact replies."""

    def __init__(self, port, source="127.0.0.1", timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout * SLOW,
                                             source_address=(source, 0))
        self.buffer = b""

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def reply(self):
        """One whole reply (all its lines) as text."""
        lines = []
        while True:
            while b"\r\n" not in self.buffer:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError(f"closed; got so far: {lines!r} {self.buffer!r}")
                self.buffer += chunk
            line, self.buffer = self.buffer.split(b"\r\n", 1)
            lines.append(line.decode("utf-8", "replace"))
            if len(line) < 4 or line[3:4] != b"-":
                return "\n".join(lines)

    def command(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def closed(self):
        """True when the server closed the connection (after any pending bytes)."""
        try:
            return self.sock.recv(65536) == b""
        except (ConnectionResetError, socket.timeout):
            return True

    def close(self):
        self.sock.close()

    def __del__(self):
        self.sock.close()


def body_of(delivered):
    """The message as the client sent it: what follows tern's three added header lines."""
    _, rest = delivered.split(b"\r\nReceived: ", 1)
    _, message = rest.split(b"\r\n", 1)
    while message.startswith(b"\t"):
        _, message = message.split(b"\r\n", 1)
    return message
