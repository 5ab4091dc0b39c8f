"""Reading ``-default-filters-dir`` (Skipper's defaultfilters.go): the I/O half.

Each regular file (or symlink) named ``<service>.<namespace>`` holds an eskip filter chain for
the routes to that service; other names and files over 1 MB are ignored. The texts go, unparsed,
into ``KubeOptions.default_filters``; the converter parses each once and logs a chain that does
not parse.
"""

from __future__ import annotations

import os
import stat

MAX_FILE_SIZE = 1024 * 1024


class DefaultFiltersError(OSError):
    """The directory itself could not be read."""


def read_default_filters_dir(path: str) -> dict[str, str]:
    """``{"<service>.<namespace>": text}``; raises ``DefaultFiltersError`` when the directory cannot be listed."""
    try:
        names = sorted(os.listdir(path))
    except OSError as e:
        raise DefaultFiltersError(e.errno, f"open {path}: {e.strerror}") from None
    out: dict[str, str] = {}
    for name in names:
        if len(name.split(".")) != 2:
            continue
        full = os.path.join(path, name)
        try:
            st = os.lstat(full)
        except OSError:
            continue
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)) or st.st_size > MAX_FILE_SIZE:
            continue
        try:
            with open(full, "rb") as f:
                out[name] = f.read(MAX_FILE_SIZE + 1).decode("utf-8", errors="replace")
        except OSError:
            continue
    return out
