# Shared by scripts/run, scripts/test and scripts/bench*: make sure .venv exists and holds
# skipperd (editable) with the extras asked for. Re-installs only when setup.cfg changed.
# Usage: ensure_venv [extra]
ensure_venv() {
    local extra="${1:-}" root stamp want have
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    cd "$root"
    if [ ! -x .venv/bin/python ]; then
        if ! python3 -m venv .venv 2>/dev/null; then
            # Debian ships venv support separately.
            rm -rf .venv
            if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
                apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
            fi
            python3 -m venv .venv
        fi
    fi
    stamp=.venv/.skipperd-installed
    want="$(cat setup.cfg setup.py | sha1sum | cut -d' ' -f1) ${extra}"
    have="$(cat "$stamp" 2>/dev/null || true)"
    # An install with extras also serves a plain one.
    if [ "$have" != "$want" ] && { [ -n "$extra" ] || [ "${have%% *}" != "${want%% *}" ]; }; then
        echo "installing skipperd${extra:+[$extra]} into .venv ..." >&2
        .venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extra:+[$extra]}" >&2
        echo "$want" > "$stamp"
    fi
}

# ensure_debs pkg:command ... installs the Debian packages whose command is missing.
ensure_debs() {
    local missing=() item pkg cmd
    for item in "$@"; do
        pkg="${item%%:*}"; cmd="${item#*:}"
        command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
        return 1
    fi
    echo "installing ${missing[*]} ..." >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}
