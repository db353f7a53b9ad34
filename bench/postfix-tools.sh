#!/usr/bin/env bash
# Postfix pieces the benchmark needs, taken from Debian's postfix package without installing it as the MTA:
# the package is downloaded once (apt-get download) and unpacked (dpkg -x) into a cache directory.
#
#   postfix-tools.sh fetch                 download + unpack once; install missing runtime libraries (needs root)
#   postfix-tools.sh tools                 print three lines: smtp-source, smtp-sink, the library directory
#   postfix-tools.sh peer-start DIR PORT   run a private Postfix under DIR on 127.0.0.1:PORT (needs root)
#   postfix-tools.sh peer-stop DIR         stop it (by its master pid, bounded wait)
#   postfix-tools.sh peer-maildir DIR      print the Maildir/new the peer delivers bench@bench.test to
#
# The binaries need LD_LIBRARY_PATH=<library directory> (Debian links them against libpostfix-*.so, which live
# in /usr/lib/postfix). BENCH_CACHE (default /var/tmp/tern-bench) holds the .deb and the unpacked tree.
#
# The peer delivers bench@bench.test through virtual(8) to Maildir, the Postfix delivery agent closest to what
# ternd does (a passwd-file user, no aliases, no .forward, one uid), at Postfix's defaults otherwise: cleanup
# fsyncs each queue file before smtpd replies 250, every process limit and concurrency is Debian's default.
set -euo pipefail

BENCH_CACHE=${BENCH_CACHE:-/var/tmp/tern-bench}
PFX=$BENCH_CACHE/postfix            # unpacked package root
LIBDIR=$PFX/usr/lib/postfix
RUNTIME_PACKAGES=(libdb5.3 libicu72 libnsl2 libsasl2-2 libssl3)
PEER_UID=${PEER_UID:-nobody}        # the uid virtual(8) writes the Maildir as

die() { echo "postfix-tools: $*" >&2; exit 1; }

fetch() {
  if [ ! -x "$PFX/usr/sbin/smtp-source" ]; then
    command -v apt-get >/dev/null || die "apt-get not found: this set-up needs Debian/Ubuntu"
    mkdir -p "$BENCH_CACHE/debs"
    if ! ls "$BENCH_CACHE"/debs/postfix_*.deb >/dev/null 2>&1; then
      # apt drops to user _apt for downloads; let it write the cache directory (else it warns and runs as root)
      chmod 0777 "$BENCH_CACHE/debs" 2>/dev/null || true
      (cd "$BENCH_CACHE/debs" && timeout 300 apt-get download -q postfix >/dev/null) \
        || die "apt-get download postfix failed (no network or no apt sources?)"
    fi
    rm -rf "$PFX.tmp"
    dpkg -x "$(ls "$BENCH_CACHE"/debs/postfix_*.deb | tail -1)" "$PFX.tmp"
    rm -rf "$PFX"; mv "$PFX.tmp" "$PFX"
  fi
  local missing=()
  for p in "${RUNTIME_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing runtime libraries ${missing[*]}: run as root or apt-get install them"
    timeout 600 apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
      || die "apt-get install ${missing[*]} failed"
  fi
  # Anything else unresolved (another Debian release names its libraries differently) is reported, not guessed.
  local unresolved
  unresolved=$(LD_LIBRARY_PATH=$LIBDIR ldd "$PFX/usr/sbin/smtp-source" "$PFX/usr/lib/postfix/sbin/smtpd" \
               2>/dev/null | awk '/not found/ {print $1}' | sort -u | tr '\n' ' ')
  [ -z "$unresolved" ] || die "unresolved libraries for the unpacked postfix: $unresolved"
}

tools() {
  fetch >&2
  printf '%s\n' "$PFX/usr/sbin/smtp-source" "$PFX/usr/sbin/smtp-sink" "$LIBDIR"
}

peer_start() {
  local dir=$1 port=$2
  [ "$(id -u)" = 0 ] || die "the Postfix peer needs root (it runs as user postfix and delivers as $PEER_UID)"
  fetch
  getent group postfix >/dev/null || groupadd --system postfix
  getent passwd postfix >/dev/null || useradd --system -g postfix -d /nonexistent -M -s /usr/sbin/nologin postfix
  getent group postdrop >/dev/null || groupadd --system postdrop
  local uid gid
  uid=$(id -u "$PEER_UID") gid=$(id -g "$PEER_UID") || die "no user $PEER_UID"
  mkdir -p "$dir"/{etc,queue,data,mail}
  chmod 0755 "$dir"
  printf 'bench@bench.test bench.test/bench/Maildir/\n' > "$dir/etc/vmailbox"
  cat > "$dir/etc/main.cf" <<CF
compatibility_level = 3.6
config_directory = $dir/etc
queue_directory = $dir/queue
data_directory = $dir/data
command_directory = $PFX/usr/sbin
daemon_directory = $PFX/usr/lib/postfix/sbin
shlib_directory = $LIBDIR
meta_directory = $PFX/etc/postfix
sendmail_path = $PFX/usr/sbin/sendmail
mailq_path = $PFX/usr/sbin/mailq
newaliases_path = /bin/true
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C LD_LIBRARY_PATH=$LIBDIR
mail_owner = postfix
setgid_group = postdrop
myhostname = peer.bench.test
mydomain = bench.test
mydestination = localhost
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
virtual_mailbox_domains = bench.test
virtual_mailbox_maps = texthash:$dir/etc/vmailbox
virtual_mailbox_base = $dir/mail
virtual_uid_maps = static:$uid
virtual_gid_maps = static:$gid
smtpd_tls_security_level = none
smtp_tls_security_level = none
maillog_file = $dir/postfix.log
CF
  # Debian's master.cf, smtpd moved to 127.0.0.1:PORT, chroot off (no jail is prepared under $dir/queue)
  awk -v port="$port" '
    /^[a-z]/ && NF >= 8 && $5 ~ /^[yn-]$/ { $5 = "n" }
    /^smtp[ \t]+inet/ { $1 = "127.0.0.1:" port }
    { print }' "$PFX/usr/share/postfix/master.cf.dist" > "$dir/etc/master.cf"
  chown -R postfix:postfix "$dir/data"
  chown "$uid:$gid" "$dir/mail"
  export LD_LIBRARY_PATH=$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  "$PFX/usr/sbin/postfix" -c "$dir/etc" set-permissions >/dev/null 2>&1 || true
  "$PFX/usr/sbin/postfix" -c "$dir/etc" check >/dev/null 2>&1 || true
  timeout 60 "$PFX/usr/sbin/postfix" -c "$dir/etc" start >/dev/null 2>&1 \
    || die "postfix start failed (see $dir/postfix.log)"
}

peer_stop() {
  local dir=$1 pid
  pid=$(tr -dc 0-9 < "$dir/queue/pid/master.pid" 2>/dev/null || true)
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

case ${1:-} in
  fetch) fetch ;;
  tools) tools ;;
  peer-start) [ $# -eq 3 ] || die "usage: $0 peer-start DIR PORT"; peer_start "$2" "$3" ;;
  peer-stop) [ $# -eq 2 ] || die "usage: $0 peer-stop DIR"; peer_stop "$2" ;;
  peer-maildir) [ $# -eq 2 ] || die "usage: $0 peer-maildir DIR"; echo "$2/mail/bench.test/bench/Maildir/new" ;;
  *) echo "usage: $0 fetch | tools | peer-start DIR PORT | peer-stop DIR | peer-maildir DIR" >&2; exit 2 ;;
esac
