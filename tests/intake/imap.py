"""A real IMAP server for the intake tests: Debian's dovecot, run in the foreground with a
throwaway configuration (one maildir user, plain-text login, no SSL) on a free local port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)

USERNAME = "intake@acme.example"
PASSWORD = "imap-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ImapServer:
    host: str
    port: int
    username: str
    password: str
    process: subprocess.Popen
    root: Path

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver a mail the way a client files one: IMAP APPEND."""
        import imaplib

        with imaplib.IMAP4(self.host, self.port) as client:
            client.login(self.username, self.password)
            client.append(folder, "", None, raw)
            client.logout()

    def unseen(self, folder: str = "INBOX") -> int:
        import imaplib

        with imaplib.IMAP4(self.host, self.port) as client:
            client.login(self.username, self.password)
            client.select(folder)
            _, data = client.search(None, "UNSEEN")
            client.logout()
        return len(data[0].split())

    def empty(self, folder: str = "INBOX") -> None:
        import imaplib

        with imaplib.IMAP4(self.host, self.port) as client:
            client.login(self.username, self.password)
            _, (count,) = client.select(folder)
            if int(count):
                client.store("1:*", "+FLAGS", "(\\Deleted)")
                client.expunge()
            client.logout()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def grp_name(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name


def start_dovecot() -> ImapServer:
    root = Path(tempfile.mkdtemp(prefix="hypercare-imap-"))
    port = _free_port()
    (root / "mail").mkdir()
    (root / "run").mkdir()
    (root / "users").write_text(f"{USERNAME}:{{PLAIN}}{PASSWORD}::::::\n")
    # As root (CI), dovecot's own unprivileged users run the login and mail processes (it refuses
    # uid 0 for them); as anyone else, that user runs everything.
    import pwd

    if os.getuid() == 0:
        internal = pwd.getpwnam("dovecot")
        mail_uid, mail_gid = internal.pw_uid, internal.pw_gid
        user, group, login_user = "dovecot", grp_name(internal.pw_gid), "dovenull"
        for path in (root, root / "mail", root / "run"):
            os.chown(path, mail_uid, mail_gid)
        os.chmod(root, 0o755)
    else:
        me = pwd.getpwuid(os.getuid())
        mail_uid, mail_gid = me.pw_uid, me.pw_gid
        user, group, login_user = me.pw_name, grp_name(me.pw_gid), me.pw_name
    config = root / "dovecot.conf"
    config.write_text(
        f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = hypercare-test-{port}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {root}/dovecot.log
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login_user}
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = {root}/users
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={root}/mail/%u
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
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot exited: {process.stdout.read().decode()} {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError("dovecot did not start listening")
    return ImapServer("127.0.0.1", port, USERNAME, PASSWORD, process, root)
