"""`cockpit import` / `cockpit intake` / `cockpit approvals` as a user runs them (subprocess, no terminal)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def cockpit(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    full.update(env)
    return subprocess.run([sys.executable, "-m", "cockpit", *args], capture_output=True, text=True, env=full,
                          timeout=120, stdin=subprocess.DEVNULL)


def test_import_without_terminal_never_waits_then_yes_imports(db_url: str, tmp_path: Path) -> None:
    env = {"COCKPIT_DATABASE_URL": db_url, "COCKPIT_CLIENT_ID": "bezeliq", "COCKPIT_DATA_DIR": str(tmp_path)}
    f = tmp_path / "leads.csv"
    f.write_bytes(b"Name,Email,Employer,Mystery\nAda Lovelace,ada@engines.example,Engines,?\n"
                  b"Bad Row,not-an-email,X,?\nSarah J. Chen,sarah.chen@meridianhealth.com,Meridian,?\n")
    proc = cockpit("import", str(f), env=env)
    assert proc.returncode == 2 and "no terminal" in proc.stderr and "--yes" in proc.stderr
    assert "Mystery" in proc.stderr and "UNRESOLVED" in proc.stderr  # the proposed mapping is shown
    assert "Traceback" not in proc.stderr
    proc = cockpit("import", str(f), "--yes", "--map", "Mystery=ignore", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "3 rows -> 3 proposals" in proc.stdout and "1 malformed" in proc.stdout
    assert "row 2 (line 3) [Email]: bad_email" in proc.stdout
    listing = cockpit("approvals", "list", env=env)
    assert "3 pending" in listing.stdout  # the import's update + arlo's two demo writebacks
    pid = next(line for line in listing.stdout.splitlines() if "update contact" in line).split()[0]
    shown = cockpit("approvals", "show", pid, env=env)
    assert "leads.csv row 3" in shown.stdout and "would change" in shown.stdout
    rej = cockpit("approvals", "reject", pid, "--note", "not now", env=env)
    assert rej.returncode == 0 and "rejected" in rej.stdout
    again = cockpit("approvals", "approve", pid, env=env)
    assert again.returncode == 1 and "already rejected" in again.stderr
    missing = cockpit("import", str(tmp_path / "nope.csv"), "--yes", env=env)
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_intake_file(db_url: str, tmp_path: Path) -> None:
    env = {"COCKPIT_DATABASE_URL": db_url, "COCKPIT_CLIENT_ID": "bezeliq", "COCKPIT_DATA_DIR": str(tmp_path)}
    f = tmp_path / "notes.json"
    f.write_text(json.dumps({
        "artifact_type": "InteractionBundle", "client_ref": "sarah.chen@meridianhealth.com", "channel": "call",
        "event_refs": ["quill:1"], "attachments": [], "summary": "Next step: send the contract",
        "source_system": "quill", "created_by": "quill", "confidence": 1, "provenance": {"method": "file"}}))
    proc = cockpit("intake", str(f), env=env)
    assert proc.returncode == 0, proc.stderr
    assert "1 next step(s)" in proc.stdout and "send the contract" in proc.stdout
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    proc = cockpit("intake", str(bad), env=env)
    assert proc.returncode == 2 and "not JSON" in proc.stderr
