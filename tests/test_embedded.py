"""The embedded server: started on demand, reused, shared by a second process, stopped cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

SCRIPT = textwrap.dedent("""
    import sys, time, pathlib, psycopg
    from cockpit.config import Settings
    from cockpit.db.connect import resolve_url
    data, flag, name = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
    url = resolve_url(Settings(data_dir=data, _env_file=None))
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("CREATE TABLE IF NOT EXISTS hits (who text)")
        c.execute("INSERT INTO hits VALUES (%s)", (name,))
    print("ready", flush=True)
    deadline = time.time() + 60
    while name == "first" and not flag.exists() and time.time() < deadline:
        time.sleep(0.05)
    with psycopg.connect(url, autocommit=True) as c:
        print(c.execute("SELECT count(*) FROM hits").fetchone()[0], flush=True)
""")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}


def test_two_processes_share_one_server_then_it_stops() -> None:
    # Not pytest's tmp_path: concurrent pytest runs prune each other's basetemp directories, and the
    # server runs as another OS user when we are root, so it needs a directory of its own.
    tmp_path = Path(tempfile.mkdtemp(prefix="cockpit-embedded-"))
    data = tmp_path / "data"
    flag = tmp_path / "second-done"
    first = subprocess.Popen([sys.executable, "-c", SCRIPT, str(data), str(flag), "first"],
                             stdout=subprocess.PIPE, text=True, env=_env())
    assert first.stdout is not None
    assert first.stdout.readline().strip() == "ready"
    pid_file = data / "pgdata" / "postmaster.pid"
    assert pid_file.exists()
    server_pid = int(pid_file.read_text().splitlines()[0])

    second = subprocess.run([sys.executable, "-c", SCRIPT, str(data), str(flag), "second"],
                            capture_output=True, text=True, env=_env(), timeout=120)
    assert second.returncode == 0, second.stderr
    assert second.stdout.split() == ["ready", "2"]
    # the second process exiting did not stop the server the first one still uses
    assert pid_file.exists() and int(pid_file.read_text().splitlines()[0]) == server_pid
    flag.touch()
    out, _ = first.communicate(timeout=120)
    assert out.strip() == "2"
    assert first.returncode == 0
    # the last process gone: the server was stopped cleanly (pg_ctl stop removes postmaster.pid)
    deadline = time.time() + 20
    while pid_file.exists() and time.time() < deadline:
        time.sleep(0.1)
    assert not pid_file.exists()

    # and it starts again on demand, with the data kept
    again = subprocess.run([sys.executable, "-c", SCRIPT, str(data), str(flag), "third"],
                           capture_output=True, text=True, env=_env(), timeout=120)
    assert again.stdout.split() == ["ready", "3"], again.stderr


def test_a_scratch_server_is_deleted_when_its_process_ends() -> None:
    """A test session's or a benchmark's throwaway server leaves nothing behind (each used to leave its
    ~100 MB-1 GB data directory in /tmp)."""
    data = Path(tempfile.mkdtemp(prefix="cockpit-scratch-")) / "pgdata"
    script = textwrap.dedent("""
        import sys, pathlib, psycopg
        from cockpit.db.embedded import start_embedded
        url = start_embedded(pathlib.Path(sys.argv[1]), scratch=True)
        with psycopg.connect(url, autocommit=True) as c:
            print(c.execute("SELECT 1").fetchone()[0], flush=True)
        print(pathlib.Path(sys.argv[1], "PG_VERSION").exists(), flush=True)
    """)
    done = subprocess.run([sys.executable, "-c", script, str(data)], capture_output=True, text=True,
                          env=_env(), timeout=120)
    assert done.stdout.split() == ["1", "True"], done.stderr
    assert not data.exists()
    data.parent.rmdir()
