"""Shared by the scale and robustness scripts in bench/ (connections.py, slow_clients.py, big_message.py,
crash.py): a ternd of their own on loopback (config, users file, spool and Maildir in a work directory),
its memory and descriptors read from /proc, a small SMTP client for probe messages, and the results file
bench/results/scale.md, in which each script rewrites only its own section.

Every wait here is bounded in time; only 127.0.0.0/8 is used. Python 3 standard library only.
"""
import datetime
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TERND = os.environ.get("TERND") or os.path.join(ROOT, "build/release/ternd")
RESULTS = os.path.join(HERE, "results", "scale.md")
WORK_ROOT = os.environ.get("BENCH_WORK", "/var/tmp/tern-bench")
KEEP = os.environ.get("KEEP") == "1"

DOMAIN = "bench.test"
USER = f"bench@{DOMAIN}"


def log(text):
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def raise_descriptor_limit(needed):
    """Raises this process's RLIMIT_NOFILE soft limit to the hard limit (and, as root, the hard limit to
    `needed` when it is lower). Returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed and os.geteuid() == 0:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (needed, needed))
            soft, hard = needed, needed
        except (ValueError, OSError):
            pass  # above fs.nr_open: keep what we have and let the caller say it is too low
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    return soft


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def proc_status(pid):
    """VmRSS, VmHWM (KiB) and the thread count of a process, from /proc/PID/status."""
    figures = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                figures[name] = int(value.split()[0])
            elif name == "Threads":
                figures[name] = int(value)
    return figures


def reset_peak(pid):
    """Resets VmHWM to the current VmRSS (Linux >= 4.0, by writing 5 to /proc/PID/clear_refs), so a
    later VmHWM is the peak of what follows and not of start-up (the yescrypt warm-up alone takes
    16 MiB for a moment). False when not permitted."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


def open_descriptors(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def commit_name():
    try:
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip() or "unknown"
        dirty = subprocess.run(["git", "-C", ROOT, "diff", "--quiet", "HEAD", "--", "src", "apps"],
                               timeout=10).returncode != 0
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return commit + (" (+ uncommitted changes in src/)" if dirty else "")


def machine_facts():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (f"{os.cpu_count()} CPUs ({model}), Linux {os.uname().release}; "
            f"commit {commit_name()}; {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC")


def write_section(script, lines):
    """Replaces the section of bench/results/scale.md headed `## script` (or appends it), keeping every
    other script's section as it was."""
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    title = "# tern scale and robustness\n\nEach section is rewritten by the script it names (see bench/README.md).\n"
    sections = {}
    order = []
    if os.path.exists(RESULTS):
        with open(RESULTS, encoding="utf-8") as existing:
            text = existing.read()
        for chunk in re.split(r"(?m)^(?=## )", text)[1:]:
            name = chunk.split("\n", 1)[0][3:].split(" ")[0]
            sections[name] = chunk.rstrip("\n") + "\n"
            order.append(name)
    if script not in sections:
        order.append(script)
    sections[script] = "\n".join(lines).rstrip("\n") + "\n"
    with open(RESULTS + ".tmp", "w", encoding="utf-8") as out:
        out.write(title)
        for name in order:
            out.write("\n" + sections[name])
    os.replace(RESULTS + ".tmp", RESULTS)


def verdict(passed):
    return "**pass**" if passed else "**FAIL**"


class Ternd:
    """One ternd with its own main.cf, users file, spool and Maildir under a new work directory.
    `settings` are main.cf parameters over the bench defaults. start() after kill() restarts it on the
    same port, config and spool, as after a crash."""

    def __init__(self, settings=None, users=(USER,)):
        os.makedirs(WORK_ROOT, exist_ok=True)
        directory = tempfile.mkdtemp(prefix="scale.", dir=WORK_ROOT)
        os.chmod(directory, 0o755)  # ternd drops to mail_owner when started as root
        self.directory = directory
        self.port = free_port()
        self.spool = os.path.join(directory, "spool")
        self.mail_root = os.path.join(directory, "mail")
        self.log_path = os.path.join(directory, "ternd.log")
        users_path = os.path.join(directory, "users")
        with open(users_path, "w") as out:
            out.write("".join(f"{user}::::::\n" for user in users))
        os.chmod(users_path, 0o644)
        config = {
            "smtpd_listen": f"127.0.0.1:{self.port}",
            "myhostname": DOMAIN,
            "mydestination": DOMAIN,
            "mynetworks": "127.0.0.1/32",
            "queue_directory": self.spool,
            "data_directory": os.path.join(directory, "data"),
            "mail_root": self.mail_root,
            "local_recipient_maps": f"passwd-file:{users_path}",
            "alias_maps": "",
            "smtpd_tls_security_level": "none",
            "mail_owner": "nobody",
            "relayhost": "[127.0.0.1]:9",  # nothing leaves loopback
            "resolver": "127.0.0.1@9",
        }
        config.update(settings or {})
        self.settings = config
        self.config_path = os.path.join(directory, "main.cf")
        with open(self.config_path, "w") as out:
            out.write("".join(f"{name} = {value}\n" for name, value in config.items()))
        os.chmod(self.config_path, 0o644)
        self.process = None
        self._log = None

    @property
    def pid(self):
        return self.process.pid

    def maildir_new(self, user=USER):
        return os.path.join(self.maildir(user), "new")

    def maildir(self, user=USER):
        local, domain = user.rsplit("@", 1)
        return os.path.join(self.mail_root, domain, local, "Maildir")

    def start(self, seconds=20):
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen([TERND, "-c", self.config_path], stdin=subprocess.DEVNULL,
                                        stdout=self._log, stderr=self._log)
        deadline = time.monotonic() + seconds
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"ternd exited with {self.process.returncode} at start:\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as probe:
                    probe.settimeout(5)
                    probe.recv(512)  # the banner, so the session ends cleanly
                return self
            except OSError:
                if time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError(f"ternd never listened on 127.0.0.1:{self.port}:\n{self.log_tail()}")
                time.sleep(0.05)

    def running(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        """SIGKILL, the crash the spool must survive."""
        if self.running():
            self.process.send_signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=30)
        if self._log:
            self._log.close()

    def stop(self, seconds=30):
        """SIGTERM; SIGKILL if it does not exit within `seconds`. Returns its exit status."""
        if not self.running():
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            status = self.process.wait(timeout=30)
            log(f"ternd ignored SIGTERM for {seconds} s: killed")
        if self._log:
            self._log.close()
        return status

    def log_text(self):
        try:
            with open(self.log_path, "rb") as text:
                return text.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines=20):
        return "\n".join(self.log_text().splitlines()[-lines:])

    def spool_files(self):
        """Every file left in the queue folders (the sockets in the spool's top folder are not mail)."""
        left = []
        for folder in ("incoming", "active", "deferred", "hold", "corrupt"):
            try:
                left += [f"{folder}/{name}" for name in os.listdir(os.path.join(self.spool, folder))]
            except FileNotFoundError:
                pass
        return left

    def cleanup(self):
        if self.running():
            self.kill()
        if KEEP:
            log(f"kept {self.directory}")
        else:
            shutil.rmtree(self.directory, ignore_errors=True)


class SmtpError(Exception):
    pass


def send_message(port, sender, recipients, message, timeout=10, source=None):
    """One SMTP transaction over a fresh connection (message: bytes with CRLF line ends, dot-stuffed by
    the caller when needed). Returns the queue id of the 250; raises SmtpError on any other reply and
    OSError when the connection fails."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                  source_address=(source, 0) if source else None) as sock:
        reader = sock.makefile("rb")

        def expect(code):
            line = b""
            for _ in range(100):
                line = reader.readline(4096)
                if not line:
                    raise SmtpError(f"connection closed while waiting for {code}")
                if line[3:4] != b"-":
                    break
            if not line.startswith(str(code).encode()):
                raise SmtpError(line.decode("utf-8", "replace").strip())
            return line.decode("utf-8", "replace").strip()

        expect(220)
        sock.sendall(b"EHLO probe.bench.test\r\n")
        expect(250)
        sock.sendall(f"MAIL FROM:<{sender}>\r\n".encode())
        expect(250)
        for recipient in recipients:
            sock.sendall(f"RCPT TO:<{recipient}>\r\n".encode())
            expect(250)
        sock.sendall(b"DATA\r\n")
        expect(354)
        sock.sendall(message + b".\r\n")
        queued = expect(250)
        sock.sendall(b"QUIT\r\n")
        return queued.rsplit(" ", 1)[-1]


def wait_for_file_with(directory, marker, seconds):
    """The path of the first file in `directory` whose content holds `marker` (bytes), polled every
    5 ms for at most `seconds`; None if none appears."""
    deadline = time.monotonic() + seconds
    seen = set()
    while time.monotonic() < deadline:
        try:
            names = os.listdir(directory)
        except FileNotFoundError:
            names = []
        for name in names:
            if name in seen:
                continue
            path = os.path.join(directory, name)
            try:
                with open(path, "rb") as candidate:
                    if marker in candidate.read():
                        return path
            except FileNotFoundError:
                continue
            seen.add(name)
        time.sleep(0.005)
    return None


def probe_delivery(server, label, seconds=10):
    """Sends one small message and measures (accepted, delivered) in seconds from the start of the
    connection: until the 250, and until the file is in Maildir/new. Raises on failure."""
    marker = f"probe-{label}-{time.monotonic_ns()}".encode()
    message = (b"From: probe@bench.test\r\nTo: " + USER.encode() + b"\r\nSubject: probe\r\nMessage-ID: <" +
               marker + b"@bench.test>\r\n\r\n" + marker + b"\r\n")
    started = time.monotonic()
    send_message(server.port, "probe@bench.test", [USER], message, timeout=seconds)
    accepted = time.monotonic() - started
    path = wait_for_file_with(server.maildir_new(), marker, seconds)
    if path is None:
        raise SmtpError(f"probe {label}: accepted but not in {server.maildir_new()} within {seconds} s")
    return accepted, time.monotonic() - started
