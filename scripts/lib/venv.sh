# Shared by scripts/run, scripts/test and scripts/bench*: make sure .venv exists and holds
# skipperd (editable) with the extras asked for. Re-installs only when setup.cfg, setup.py or
# pyproject.toml changed, or when an extra is asked for that is not installed yet (each extra
# includes everything of the ones before it: build < test < mutation).
# Usage: ensure_venv [extra]
ensure_venv() {
    local extra="${1:-}" root stamp hash have have_hash have_extra
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
    hash="$(cat setup.cfg setup.py pyproject.toml | sha1sum | cut -d' ' -f1)"
    have="$(cat "$stamp" 2>/dev/null || true)"
    have_hash="${have%% *}"; have_extra="${have#* }"; [ "$have_extra" = "$have" ] && have_extra=""
    if [ "$have_hash" = "$hash" ]; then
        case "$extra:$have_extra" in
            ":"*|"$have_extra:$have_extra"|"build:test"|"build:mutation"|"test:mutation") return 0 ;;
        esac
    fi
    # Keep what is installed: the larger extra wins.
    case "$extra:$have_extra" in
        ":"?*|"build:test"|"build:mutation"|"test:mutation") extra="$have_extra" ;;
    esac
    echo "installing skipperd${extra:+[$extra]} into .venv ..." >&2
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extra:+[$extra]}" >&2
    echo "$hash $extra" > "$stamp"
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

# ensure_compiled builds the mypyc build of the request path (skipperd/compiled.py) when it is
# missing or older than the sources. Needs the "build" extra (mypy, the PyYAML stubs; ensure_venv
# installs it) and a C compiler with Python's headers (installed from Debian when missing and
# running as root). A failed build is an error that stops the calling script: skipperd is meant to
# run compiled. SKIPPERD_INTERPRETED=1 is the explicit way to run interpreted (no build).
ensure_compiled() {
    local status
    if [ -n "${SKIPPERD_INTERPRETED:-}" ] && [ "${SKIPPERD_INTERPRETED}" != 0 ]; then
        echo "request path: interpreted (SKIPPERD_INTERPRETED is set)" >&2
        return 0
    fi
    status="$(.venv/bin/python scripts/lib/compile.py status)"
    [ "$status" = compiled ] && return 0
    if ! .venv/bin/python -c "import mypyc, wheel, importlib.metadata as m; m.version('types-PyYAML')" 2>/dev/null; then
        ensure_venv build
    fi
    if ! command -v "${CC:-cc}" >/dev/null 2>&1 \
        || ! .venv/bin/python -c 'import os, sysconfig, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_path("include"), "Python.h")))'; then
        ensure_debs gcc:gcc >&2 || true
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-dev >&2 || true
        fi
    fi
    echo "compiling the request path with mypyc ($status) ..." >&2
    if ! .venv/bin/python scripts/lib/compile.py build >&2; then
        echo "error: the mypyc build of the request path failed (above)." >&2
        echo "       Fix it, or run interpreted on purpose with SKIPPERD_INTERPRETED=1." >&2
        return 1
    fi
    status="$(.venv/bin/python scripts/lib/compile.py status)"
    echo "request path: $status" >&2
    [ "$status" = compiled ]
}
