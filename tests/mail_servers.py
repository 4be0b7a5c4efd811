"""Real mail and calendar servers for the sync tests, started in temporary directories on loopback ports.

- :func:`dovecot` — Debian's Dovecot IMAP server (``apt-get install dovecot-imapd``; ``.ci/run``
  installs it), one user with a password, a Maildir, and a Sent folder named "Sent Items" marked
  ``\\Sent`` by SPECIAL-USE (so a client that guesses "Sent" finds nothing). Tests fill it with
  IMAP APPEND, as a mail client would, and change a folder's UIDVALIDITY with ``doveadm``.
- :func:`radicale` — Radicale (from PyPI) serving CalDAV with one user.
Each yields what a test needs to connect and stops the server afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listened on 127.0.0.1:{port} within {timeout:.0f} s")


def have_dovecot() -> bool:
    return os.path.exists(DOVECOT) and os.path.exists(DOVEADM)


@dataclass
class Dovecot:
    host: str
    port: int
    user: str
    password: str
    config: Path

    @property
    def url(self) -> str:
        return f"imap://{self.user}:{self.password}@{self.host}:{self.port}"

    def doveadm(self, *args: str) -> str:
        return subprocess.run([DOVEADM, "-c", str(self.config), *args], check=True, capture_output=True,
                              text=True, timeout=30).stdout


@contextmanager
def dovecot(user: str = "justin@bezeliq.com", password: str = "s3cret pass") -> Iterator[Dovecot]:
    root = Path(tempfile.mkdtemp(prefix="cockpit-dovecot-"))
    port = free_port()
    uid, gid = os.getuid(), os.getgid()
    if uid == 0:  # Dovecot never delivers mail as root: the mail user is nobody
        import pwd

        nobody = pwd.getpwnam("nobody")
        uid, gid = nobody.pw_uid, nobody.pw_gid
    (root / "run").mkdir()
    for d in ("mail", "home"):
        (root / d).mkdir()
        os.chown(root / d, uid, gid)
    (root / "users").write_text(f"{user}:{{PLAIN}}{password}:{uid}:{gid}::{root / 'home'}::\n")
    cfg = root / "dovecot.conf"
    cfg.write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root / 'run'}
state_dir = {root / 'state'}
log_path = {root / 'dovecot.log'}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{root / 'mail'}/%u
default_login_user = dovenull
default_internal_user = dovecot
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root / 'users'}
}}
userdb {{
  driver = passwd-file
  args = {root / 'users'}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox "Sent Items" {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
}}
""")
    (root / "state").mkdir()
    os.chmod(root, 0o755)  # dovenull must reach the login socket directory
    proc = subprocess.Popen([DOVECOT, "-F", "-c", str(cfg)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_port(port)
        yield Dovecot("127.0.0.1", port, user, password, cfg)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Radicale:
    url: str
    user: str
    password: str


@contextmanager
def radicale(user: str = "justin", password: str = "calpass") -> Iterator[Radicale]:
    root = Path(tempfile.mkdtemp(prefix="cockpit-radicale-"))
    port = free_port()
    users = root / "users"
    users.write_text(f"{user}:{password}\n")
    cfg = root / "config"
    cfg.write_text(f"""[server]
hosts = 127.0.0.1:{port}
[auth]
type = htpasswd
htpasswd_filename = {users}
htpasswd_encryption = plain
[storage]
filesystem_folder = {root / 'collections'}
[logging]
level = warning
""")
    proc = subprocess.Popen([sys.executable, "-m", "radicale", "--config", str(cfg)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        _wait_port(port)
        yield Radicale(f"http://127.0.0.1:{port}/", user, password)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(root, ignore_errors=True)
