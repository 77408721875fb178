"""The state directory is private: directories 0700, files 0600.

Everything provnet and its managed influxd create (the SQLite file and its journals, the
spool, the SSH known_hosts, influxd's data, logs, the influxd admin password) is created
under a process umask of 077, and an existing state dir from an older run is tightened.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)
PRIVATE_UMASK = 0o077


def private_state_dir(path: Path) -> Path:
    """Create ``path`` 0700 (or tighten it and what it holds) and set the umask to 077.

    The umask is process-wide and inherited by child processes (influxd, the simulator),
    so every file created later is 0600 and every directory 0700.
    """
    os.umask(PRIVATE_UMASK)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    loose = 0
    for p in [path, *path.rglob("*")]:
        try:
            st = p.lstat()
        except OSError:
            continue
        if stat.S_ISLNK(st.st_mode) or not st.st_mode & 0o077:
            continue
        try:
            os.chmod(p, stat.S_IMODE(st.st_mode) & 0o700)
            loose += 1
        except OSError as exc:  # not ours (another user's file): say so, do not stop
            log.warning("cannot make %s private: %s", p, exc.strerror)
    if loose:
        log.info("state dir %s: removed group/other access from %d entries", path, loose)
    return path
