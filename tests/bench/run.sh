#!/usr/bin/env bash
# Performance benchmark of galley: import, start-up, page throughput and latency, memory, a
# comparison with nginx serving the same pages as static files, and images: the time and memory
# a 24-megapixel upload takes, and a rendition served against nginx serving the same file.
# Unattended; loopback only.
#
# Usage (from anywhere):
#   bash tests/bench/run.sh
#   GALLEY_BIN=target/release/galley BENCH_PAGES=2000 BENCH_SECONDS=5 bash tests/bench/run.sh
#
# Environment:
#   GALLEY_BIN      an existing galley binary (skips `cargo build --release`)
#   BENCH_PAGES     pages in the generated site (default 10000; one hub per ~200 pages, max 50)
#   BENCH_SECONDS   measured duration of each wrk run (default 15); each run is warmed up first
#   BENCH_ROUNDS    rounds of measured runs (default 3); the report gives each scenario's medians
#   BENCH_WARMUP    warm-up seconds before each measured run (default 2)
#   BENCH_PATHS     distinct URLs wrk cycles through (default 2000: `/`, every hub, random pages)
#   BENCH_HOT_PATHS URLs of the extra `cached-hot` run, small enough for the page cache
#                   (default 200; 0 skips it)
#   BENCH_SEED      seed of the generated site (default 42)
#   BENCH_IMAGE     1 (default): the image upload and the image scenarios; 0 skips them
#   BENCH_POSTGRES_URL  a PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/postgres):
#                   the import and a restore are also timed there, in a database made and
#                   dropped for the run (default: unset, SQLite only)
#   BENCH_KEEP=1    keep the temporary directories (site, database, logs, wrk output)
#   BENCH_STRICT=1  exit 3 when a target fails (default: report only)
#
# Needs curl, python3, wrk and nginx, and for the images GNU time (/usr/bin/time) and Pillow; wrk,
# nginx and time are installed with apt-get when missing (as root, or through `sudo -n`), Pillow
# with pip into the run's temporary directory when python3 cannot import it. Only the private
# nginx started here is used and stopped; note that installing Debian's nginx package on a systemd
# machine also enables its system service.
#
# The image upload, before any server starts: a 6000 x 4000 JPEG (24 megapixels; gradients, soft
# shapes and grain, so that it encodes like a photo; about 10 MB, in the temporary directory) is
# added with `galley media add`, which stores it and then makes all its standard renditions with
# the code the server's background rendition worker runs. Measured on that command (GNU time):
# the wall time from its start to its end (upload to all standard renditions made) and its peak
# RSS (maximum resident set size). With no server running, no worker claims the jobs first, and
# the servers' peak RSS stays that of serving.
#
# Scenarios (wrk -t2, --latency, paths.lua cycling through the URL list), run in BENCH_ROUNDS
# rounds: each round runs every scenario once, each nginx scenario next to the galley ones it is
# compared with, so that a ratio compares runs made close in time (the galley servers and nginx
# run side by side throughout). The report gives per scenario the median of req/s, p50 and p99 over
# the rounds, the req/s spread, errors summed and the highest peak RSS. The main page
# scenarios send `Accept-Encoding: gzip`, as every browser and crawler does: galley's page cache
# stores each page gzip-compressed only (as Varnish does) and sends those bytes as they are, while
# a client without gzip gets the page inflated per request; that slower path is measured apart.
#   cached           default server (page cache on), gzip, 32 and 256 connections
#   cached-hot       the same with only BENCH_HOT_PATHS URLs, which fit the page cache (gzip, 32)
#   cached-identity  page cache on, no Accept-Encoding: pages inflated from the cache (32)
#   conditional      If-None-Match with each page's ETag (304 expected), no gzip, 32 connections
#   search           /search?q=<word> over ~200 words, no gzip, 32 connections, if /search
#                    answers 200
#   api              /api/v1/pages/by-path?path=<page> over the same page URLs (the JSON API's
#                    page: the stored HTML, TOC, FAQ, breadcrumbs), no gzip, 32 connections; the
#                    servers run with GALLEY_API_RATE_LIMIT=0
#   uncached         GALLEY_PAGE_CACHE_MB=0, no gzip (nothing is stored, so galley would compress
#                    each page per request), 32 connections
#   nginx            the same pages as static files, gzip, 32 and 256 connections: the pages are
#                    fetched once from galley, as HTML and as raw gzip bytes saved to index.html.gz,
#                    and gzip_static sends the very bytes galley sent
#   nginx-identity   nginx sending the saved HTML uncompressed, 32 connections
#   image            one URL, the uploaded JPEG's 960 px WebP rendition
#                    (/media/<id>-<version>/w960/<name>.webp) from the default server, which keeps
#                    it in its in-memory file cache after the first request; gzip sent as browsers
#                    do (neither server compresses images), 32 connections
#   nginx-image      nginx sending the very bytes galley sent, saved under the same path (32)
# "x nginx" compares cached and cached-hot with nginx, cached-identity and uncached with
# nginx-identity, image with nginx-image, at the same connection count (else the 32-connection
# run).
# Prints a table with the targets and writes tests/bench/out/result-<UTC timestamp>.json.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

PAGES=${BENCH_PAGES:-10000}
DURATION=${BENCH_SECONDS:-15}
WARMUP=${BENCH_WARMUP:-2}
NPATHS=${BENCH_PATHS:-2000}
HOT=${BENCH_HOT_PATHS:-200}
SEED=${BENCH_SEED:-42}
ROUNDS=${BENCH_ROUNDS:-3}
IMAGE=${BENCH_IMAGE:-1}
THREADS=2
for v in PAGES DURATION WARMUP NPATHS HOT SEED ROUNDS; do
    [[ ${!v} =~ ^[0-9]+$ ]] || { echo "run.sh: $v must be a whole number, got '${!v}'" >&2; exit 2; }
done
((PAGES >= 3 && DURATION >= 1 && NPATHS >= 1 && ROUNDS >= 1)) ||
    { echo "run.sh: BENCH_PAGES >= 3, BENCH_SECONDS >= 1, BENCH_PATHS >= 1, BENCH_ROUNDS >= 1" >&2; exit 2; }
[[ $IMAGE == [01] ]] || { echo "run.sh: BENCH_IMAGE must be 0 or 1, got '$IMAGE'" >&2; exit 2; }

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
now_ns() { date +%s%N; }
ms_since() { awk -v a="$1" -v b="$(now_ns)" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }

work=""
pub=""
SERVER_PID=""  # the galley server started last
GALLEY_PIDS=() # every galley server started here and not yet stopped
ROUND=0
NGINX=""
NGINX_CONF=""
GNU_TIME=/usr/bin/time
PYLIB="" # Pillow installed for this run (when python3 could not import it)

# --- clean-up ----------------------------------------------------------------------------------

process_alive() { # a live process, not a zombie
    [[ -n ${1:-} && -r /proc/$1/stat ]] || return 1
    local state
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $state && $state != Z && $state != X ]]
}

forget_server() { # pid: no longer one of GALLEY_PIDS
    local p rest=()
    for p in "${GALLEY_PIDS[@]}"; do
        [[ $p == "$1" ]] || rest+=("$p")
    done
    GALLEY_PIDS=("${rest[@]}")
}

stop_server() { # pid
    [[ -n ${1:-} ]] || return 0
    local pid=$1 i
    forget_server "$pid"
    [[ $SERVER_PID != "$pid" ]] || SERVER_PID=""
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do # up to 10 s
        process_alive "$pid" || break
        sleep 0.1
    done
    if process_alive "$pid"; then
        log "galley (pid $pid) did not stop in 10 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

stop_nginx() {
    [[ -n $NGINX_CONF && -f $pub/nginx/nginx.pid ]] || return 0
    local pid i
    pid=$(cat "$pub/nginx/nginx.pid" 2>/dev/null || true)
    "$NGINX" -p "$pub/nginx/" -e "$pub/nginx/error.log" -c "$NGINX_CONF" -s stop 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        process_alive "$pid" || break
        sleep 0.1
    done
    if process_alive "$pid"; then
        log "nginx (pid $pid) did not stop in 10 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    NGINX_CONF=""
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    while ((${#GALLEY_PIDS[@]} > 0)); do
        stop_server "${GALLEY_PIDS[0]}"
    done
    stop_nginx
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then
        log "kept $work and $pub"
    else
        [[ -n $work ]] && rm -rf "$work"
        [[ -n $pub ]] && rm -rf "$pub"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- tools -------------------------------------------------------------------------------------

as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        log "need root (or passwordless sudo) to run: $*"
        return 1
    fi
}

find_tool() { # name: prints its path (sbin included), or fails
    command -v "$1" 2>/dev/null && return 0
    local d
    for d in /usr/sbin /sbin /usr/local/sbin; do
        [[ -x $d/$1 ]] && { echo "$d/$1"; return 0; }
    done
    return 1
}

ensure_tool() { # binary package
    find_tool "$1" >/dev/null && return 0
    log "installing $2 with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    if ! as_root timeout 600 apt-get install -y "$2" >"$work/apt.log" 2>&1; then
        as_root timeout 600 apt-get update >>"$work/apt.log" 2>&1 || true
        as_root timeout 600 apt-get install -y "$2" >>"$work/apt.log" 2>&1 ||
            { tail -n 20 "$work/apt.log" >&2; die "could not install $2"; }
    fi
    find_tool "$1" >/dev/null || die "$2 is installed but $1 is not found"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/galley-bench.XXXXXX")
# Files nginx serves: its workers may run as another user, so this one is world-readable
# (it holds only the generated public pages and nginx's own files).
pub=$(mktemp -d "${TMPDIR:-/tmp}/galley-bench-www.XXXXXX")
chmod 755 "$pub"

for t in curl python3 awk timeout; do
    command -v "$t" >/dev/null || die "$t is required"
done
ensure_tool wrk wrk
ensure_tool nginx nginx
WRK=$(find_tool wrk)
NGINX=$(find_tool nginx)

pillow() { # ARGS...: python3 with Pillow importable, at most 10 minutes
    if [[ -n $PYLIB ]]; then
        PYTHONPATH=$PYLIB${PYTHONPATH:+:$PYTHONPATH} timeout 600 python3 "$@"
    else
        timeout 600 python3 "$@"
    fi
}

# GNU time gives the peak RSS of the backup, the restore and the image upload.
ensure_tool "$GNU_TIME" time
if ! "$GNU_TIME" -v -o "$work/time-check.txt" true 2>/dev/null ||
    ! grep -q '^[[:space:]]*Maximum resident set size' "$work/time-check.txt"; then
    die "$GNU_TIME is not GNU time (-v, -o)"
fi
if ((IMAGE)); then
    if ! python3 -c 'import PIL' 2>/dev/null; then
        log "installing Pillow with pip into $work/pylib (for this run only)"
        timeout 600 python3 -m pip install --quiet --disable-pip-version-check \
            --target "$work/pylib" pillow >"$work/pip.log" 2>&1 ||
            { tail -n 20 "$work/pip.log" >&2; die "could not install Pillow (BENCH_IMAGE=0 skips the images)"; }
        PYLIB=$work/pylib
        pillow -c 'import PIL' || die "Pillow is installed in $PYLIB but python3 cannot import it"
    fi
fi

# --- galley binary -----------------------------------------------------------------------------

if [[ -n ${GALLEY_BIN:-} ]]; then
    BIN=$(cd "$(dirname "$GALLEY_BIN")" && pwd)/$(basename "$GALLEY_BIN")
    [[ -x $BIN ]] || die "GALLEY_BIN=$GALLEY_BIN is not an executable file"
    log "using $BIN"
else
    command -v cargo >/dev/null || die "cargo not found (or set GALLEY_BIN)"
    log "building the release binary (cargo build --release)"
    (cd "$repo" && cargo build --release)
    BIN=${CARGO_TARGET_DIR:-$repo/target}/release/galley
    [[ $BIN == /* ]] || BIN=$repo/$BIN
fi

meta() { printf '%s\t%s\n' "$1" "$2" >>"$work/meta.tsv"; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
: >"$work/meta.tsv"
: >"$work/runs.tsv"
meta pages "$PAGES"
meta bench_paths "$NPATHS"
meta hot_paths "$HOT"
meta seconds "$DURATION"
meta warmup_s "$WARMUP"
meta wrk_threads "$THREADS"
meta seed "$SEED"
meta rounds "$ROUNDS"
meta image_scenario "$([[ $IMAGE == 1 ]] && echo true || echo false)"
# The server's own default (GALLEY_PAGE_CACHE_MB), as its --help states it.
meta page_cache_mb "${GALLEY_PAGE_CACHE_MB:-$("$BIN" --help 2>/dev/null | grep -A2 -- "--page-cache-mb" | grep -o "default: [0-9]*" | grep -o "[0-9]*" | head -n 1)}"
meta galley_version "$("$BIN" --version 2>/dev/null | head -n 1 || echo unknown)"
meta git_commit "$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
meta git_dirty "$(git -C "$repo" status --porcelain 2>/dev/null | grep -qv '^??' && echo true || echo false)"
meta wrk_version "$("$WRK" --version 2>&1 | head -n 1 | awk '{ print $2 }')"
meta nginx_version "$("$NGINX" -v 2>&1 | sed 's|.*/||')"
meta cpus "$(nproc)"
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
meta cpu_model "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)"
meta kernel "$(uname -r)"
meta load_avg_1m_at_start "$(awk '{ print $1 }' /proc/loadavg)"

# --- site and import ---------------------------------------------------------------------------

site=$work/site
log "generating $PAGES pages"
t0=$(now_ns)
timeout 1800 python3 "$here/gen_site.py" "$site" --pages "$PAGES" --seed "$SEED" \
    --paths "$NPATHS" --paths-out "$work/paths.txt" --words-out "$work/words.txt" >&2
meta generate_s "$(awk -v ms="$(ms_since "$t0")" 'BEGIN { printf "%.2f", ms / 1000 }')"
NPATHS=$(wc -l <"$work/paths.txt")

log "importing into a fresh database"
t0=$(now_ns)
if ! env -u DATABASE_URL GALLEY_DATA_DIR="$work/data" GALLEY_DEMO=false RUST_LOG=warn \
    timeout 3600 "$BIN" import "$site" >"$work/import.log" 2>&1; then
    grep -vi password "$work/import.log" | tail -n 20 >&2
    die "import failed"
fi
import_ms=$(ms_since "$t0")
grep -vi password "$work/import.log" | sed "s|$site|<site>|" >&2
import_s=$(awk -v ms="$import_ms" 'BEGIN { printf "%.2f", ms / 1000 }')
meta import_s "$import_s"
log "import took $import_s s"

# --- backup, restore, and PostgreSQL -----------------------------------------------------------

# name cmd...: runs cmd under GNU time; records <name>_s and <name>_peak_rss_mb
timed() {
    local name=$1 t0 s kb mb
    shift
    t0=$(now_ns)
    "$GNU_TIME" -v -o "$work/$name.time" "$@" >"$work/$name.log" 2>&1 ||
        { grep -vi password "$work/$name.log" | tail -n 20 >&2; die "$name failed"; }
    s=$(awk -v ms="$(ms_since "$t0")" 'BEGIN { printf "%.2f", ms / 1000 }')
    kb=$(awk -F': ' '{ sub(/^[ \t]+/, "") } $1 == "Maximum resident set size (kbytes)" { print $2 }' \
        "$work/$name.time")
    mb=$(awk -v kb="$kb" 'BEGIN { printf "%.1f", kb / 1024 }')
    meta "${name}_s" "$s"
    meta "${name}_peak_rss_mb" "$mb"
    log "$name: $s s, peak RSS $mb MB"
}

log "backing the imported site up, and restoring it into a fresh SQLite file"
timed backup env -u DATABASE_URL GALLEY_DATA_DIR="$work/data" RUST_LOG=warn \
    timeout 1800 "$BIN" backup "$work/site.galley"
meta backup_mb "$(awk -v b="$(stat -c %s "$work/site.galley")" 'BEGIN { printf "%.1f", b / 1048576 }')"
mkdir -p "$work/restored"
timed restore env DATABASE_URL="$work/restored/galley.db" GALLEY_DEMO=false RUST_LOG=warn \
    timeout 1800 "$BIN" restore "$work/site.galley"
if [[ -n ${BENCH_POSTGRES_URL:-} ]]; then
    ensure_tool psql postgresql-client
    pg_db="galley_bench_$$"
    pg_url=$(sed -E "s|/[^/?]*(\?.*)?$|/$pg_db\1|" <<<"$BENCH_POSTGRES_URL")
    pg_fresh() {
        psql "$BENCH_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1
        psql "$BENCH_POSTGRES_URL" -qc "CREATE DATABASE $pg_db" >/dev/null || die "cannot create $pg_db"
    }
    log "importing into PostgreSQL"
    pg_fresh
    timed pg_import env DATABASE_URL="$pg_url" GALLEY_DEMO=false RUST_LOG=warn \
        timeout 3600 "$BIN" import "$site"
    log "restoring the archive into PostgreSQL"
    pg_fresh
    timed pg_restore env DATABASE_URL="$pg_url" GALLEY_DEMO=false RUST_LOG=warn \
        timeout 1800 "$BIN" restore "$work/site.galley"
    psql "$BENCH_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1
fi

# --- image upload ------------------------------------------------------------------------------

# The 24-megapixel JPEG, added before any server starts (so that no server's rendition worker
# claims its jobs): `galley media add` stores it, then makes every standard rendition itself.
if ((IMAGE)); then
    photo_w=6000
    photo_h=4000
    mkdir -p "$work/image"
    photo=$work/image/photo-24mp.jpg
    log "generating a ${photo_w}x$photo_h JPEG"
    pillow - "$photo" "$photo_w" "$photo_h" "$SEED" <<'PY' || die "generating the JPEG failed"
import random
import sys

from PIL import Image, ImageChops, ImageDraw, ImageFilter

out, width, height, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
random.seed(seed)
size = (width, height)
# Light: a horizontal, a vertical and a radial gradient, one per channel.
grad = Image.linear_gradient("L")
img = Image.merge("RGB", (
    grad.rotate(90).resize(size, Image.BICUBIC),
    grad.resize(size, Image.BICUBIC),
    Image.radial_gradient("L").resize(size, Image.BICUBIC),
))
# Objects: shapes with soft edges; then low-frequency blotches (out-of-focus areas).
shapes = Image.new("RGB", (width // 4, height // 4))
draw = ImageDraw.Draw(shapes)
for _ in range(60):
    x, y = random.randrange(shapes.width), random.randrange(shapes.height)
    r = random.randrange(20, shapes.width // 6)
    colour = tuple(random.randrange(256) for _ in range(3))
    if random.random() < 0.5:
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    else:
        draw.polygon([(x + random.randint(-r, r), y + random.randint(-r, r)) for _ in range(5)],
                     fill=colour)
shapes = shapes.filter(ImageFilter.GaussianBlur(2)).resize(size, Image.BICUBIC)
blotches = Image.merge("RGB", [
    Image.effect_noise((width // 40, height // 40), 64).resize(size, Image.BICUBIC)
    for _ in range(3)
])
img = Image.blend(Image.blend(img, shapes, 0.45), blotches, 0.3)
# Texture, then sensor grain: zero-mean noise (effect_noise is centred on 128).
texture = Image.merge("RGB", [
    Image.effect_noise((width // 3, height // 3), 18).resize(size, Image.BICUBIC)
    for _ in range(3)
])
img = ImageChops.add(img, texture, 1.0, -128)
img = ImageChops.add(img, Image.effect_noise(size, 6).convert("RGB"), 1.0, -128)
img.save(out, "JPEG", quality=90, optimize=True)
PY
    photo_bytes=$(stat -c %s "$photo")
    log "adding it ($(mb "$photo_bytes") MB) with galley media add"
    t0=$(now_ns)
    if ! env -u DATABASE_URL GALLEY_DATA_DIR="$work/data" GALLEY_DEMO=false RUST_LOG=warn \
        "$GNU_TIME" -v -o "$work/media-add.time" timeout 1800 "$BIN" media add "$photo" \
        --alt "Soft coloured shapes over gradients, with grain (a generated test picture)" \
        >"$work/media-add.log" 2>&1; then
        tail -n 20 "$work/media-add.log" >&2
        die "galley media add failed"
    fi
    add_ms=$(ms_since "$t0")
    sed "s|$work/image/||" "$work/media-add.log" >&2
    made=$(sed -n 's/^Added 1 file(s); made \([0-9][0-9]*\) resized cop(ies)\.$/\1/p' "$work/media-add.log")
    [[ -n $made ]] || die "galley media add did not report 'Added 1 file(s); made N resized cop(ies).'"
    ((made > 0)) || die "galley media add made no resized copies"
    read -r image_id image_original _ < <(grep -m 1 '^#[0-9]' "$work/media-add.log") ||
        die "galley media add did not print the file's '#id url title' line"
    env -u DATABASE_URL GALLEY_DATA_DIR="$work/data" GALLEY_DEMO=false RUST_LOG=warn \
        timeout 60 "$BIN" media list >"$work/media-list.tsv" 2>"$work/media-list.log" ||
        { tail -n 20 "$work/media-list.log" >&2; die "galley media list failed"; }
    listed=$(awk -F'\t' -v id="$image_id" '$1 == id { print $4 " " $6 }' "$work/media-list.tsv")
    [[ $listed == "${photo_w}x$photo_h $image_original" ]] ||
        die "galley media list gives $image_id as '${listed:-nothing}', not ${photo_w}x$photo_h at $image_original"
    # /media/<id>-<version>/original/<name>.jpg -> /media/<id>-<version>/w960/<name>.webp
    image_path=$(sed -E 's|/original/([^/]+)\.[^./]+$|/w960/\1.webp|' <<<"$image_original")
    [[ $image_path == /media/*/w960/*.webp ]] || die "unexpected URL of the original: $image_original"
    printf '%s\n' "$image_path" >"$work/image-paths.txt"
    time_field() { # label: its value in GNU time's -v report of `media add`
        awk -F': ' -v k="$1" '{ sub(/^[ \t]+/, "") } $1 == k { print $2 }' "$work/media-add.time"
    }
    add_rss_kb=$(time_field "Maximum resident set size (kbytes)")
    [[ $add_rss_kb =~ ^[0-9]+$ ]] || die "no peak RSS in GNU time's report ($work/media-add.time)"
    add_cpu_s=$(awk -v u="$(time_field "User time (seconds)")" -v s="$(time_field "System time (seconds)")" \
        'BEGIN { printf "%.2f", u + s }')
    add_s=$(awk -v ms="$add_ms" 'BEGIN { printf "%.2f", ms / 1000 }')
    add_rss_mb=$(awk -v kb="$add_rss_kb" 'BEGIN { printf "%.1f", kb / 1024 }')
    meta image_source_size "${photo_w}x$photo_h"
    meta image_source_bytes "$photo_bytes"
    meta image_add_s "$add_s"
    meta image_add_peak_rss_mb "$add_rss_mb"
    meta image_add_cpu_s "$add_cpu_s"
    meta image_renditions_made "$made"
    meta image_path "$image_path"
    log "upload to all $made standard renditions: $add_s s, peak RSS $add_rss_mb MB, CPU $add_cpu_s s"
fi

# --- galley server -----------------------------------------------------------------------------

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

STARTUP_MS=""
# start_server NAME [VAR=value...]: starts galley on a free port; sets PORT, SERVER_PID, STARTUP_MS
start_server() {
    local name=$1 t0 code="" deadline
    shift
    PORT=$(free_port)
    t0=$(now_ns)
    # stdout gets the first admin's password on a fresh database: it stays in this private log.
    env -u DATABASE_URL -u GALLEY_PAGE_CACHE_MB GALLEY_DATA_DIR="$work/data" \
        GALLEY_BIND="127.0.0.1:$PORT" GALLEY_DEMO=false RUST_LOG=warn GALLEY_API_RATE_LIMIT=0 "$@" \
        "$BIN" serve >"$work/server-$name.log" 2>&1 &
    SERVER_PID=$!
    GALLEY_PIDS+=("$SERVER_PID")
    deadline=$(($(date +%s) + 60))
    while :; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$PORT/readyz" || true)
        [[ $code == 200 ]] && break
        if ! process_alive "$SERVER_PID"; then
            grep -vi password "$work/server-$name.log" | tail -n 20 >&2 || true
            forget_server "$SERVER_PID"
            SERVER_PID=""
            die "galley ($name) exited during start-up"
        fi
        (($(date +%s) < deadline)) || die "galley ($name) not ready after 60 s"
        sleep 0.005
    done
    STARTUP_MS=$(ms_since "$t0")
    log "galley ($name) ready on port $PORT in $STARTUP_MS ms"
}

sum_proc() { # FILE AWK-PROGRAM PID...: the sum of what the program prints for /proc/PID/FILE
    local file=$1 prog=$2 total=0 pid v
    shift 2
    for pid in "$@"; do
        v=$(awk "$prog" "/proc/$pid/$file" 2>/dev/null || true)
        total=$((total + ${v:-0}))
    done
    echo "$total"
}

# pid...: user + system CPU time of these processes (all their threads), in ticks. After the
# command name (which may hold spaces), utime and stime are the 12th and 13th fields.
cpu_ticks() { sum_proc stat '{ sub(/^.*\) /, ""); print $12 + $13 }' "$@"; }

# pid...: the sum of their peak RSS (VmHWM), in kB
peak_rss_kb() { sum_proc status '/^VmHWM:/ { print $2 }' "$@"; }

# run_wrk NAME SERVER CONNECTIONS ENCODING URL PATHS_FILE [ETAG 0|1] [COUNT_STATUS 0|1] [PIDS...]
# ENCODING is gzip (requests send `Accept-Encoding: gzip`) or identity (no Accept-Encoding).
# Appends one line to runs.tsv, with the current ROUND; PIDS are the server's processes, whose
# peak RSS (VmHWM, since each process started) is recorded.
run_wrk() {
    local name=$1 server=$2 conns=$3 enc=$4 url=$5 file=$6 etag=${7:-0} count=${8:-0}
    shift 8 2>/dev/null || shift $#
    local gz
    case $enc in
        gzip) gz=1 ;;
        identity) gz=0 ;;
        *) die "run_wrk: encoding must be gzip or identity, got '$enc'" ;;
    esac
    local out="$work/wrk-$name-$server-$conns-r$ROUND"
    log "$name ($server, $conns connections, $enc, round $ROUND/$ROUNDS):" \
        "warm-up ${WARMUP}s, then ${DURATION}s"
    if ((WARMUP > 0)); then
        BENCH_PATHS_FILE=$file BENCH_ETAG=$etag BENCH_COUNT_STATUS=$count BENCH_GZIP=$gz \
            timeout $((WARMUP + 30)) "$WRK" -t"$THREADS" -c"$conns" -d"${WARMUP}s" --timeout 2s \
            -s "$here/paths.lua" "$url" >"$out.warmup.txt" 2>&1 ||
            { cat "$out.warmup.txt" >&2; die "wrk warm-up failed"; }
    fi
    local ticks0 ticks1
    ticks0=$(cpu_ticks "$@")
    BENCH_PATHS_FILE=$file BENCH_ETAG=$etag BENCH_COUNT_STATUS=$count BENCH_GZIP=$gz \
        timeout $((DURATION + 60)) "$WRK" -t"$THREADS" -c"$conns" -d"${DURATION}s" --timeout 2s \
        --latency -s "$here/paths.lua" "$url" >"$out.txt" 2>&1 ||
        { cat "$out.txt" >&2; die "wrk failed"; }
    ticks1=$(cpu_ticks "$@")
    local bench
    bench=$(grep '^BENCH ' "$out.txt" | tail -n 1) || { cat "$out.txt" >&2; die "no BENCH line from wrk"; }
    local rss
    rss=$(peak_rss_kb "$@")
    # New columns go last (the encoding, then the round), so report.py still reads older lines.
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$server" "$conns" "$rss" "$bench" \
        "$([[ $enc == gzip ]] && echo true || echo false)" "$ROUND" \
        "$(awk -v t="$((ticks1 - ticks0))" -v hz="$CLK_TCK" 'BEGIN { printf "%.0f", t * 1e6 / hz }')" \
        >>"$work/runs.tsv"
    log "  ${bench#BENCH }"
}

# 1. Start-up on the fresh database (creates the first admin), then a plain restart.
start_server first
meta startup_ms "$STARTUP_MS"
stop_server "$SERVER_PID"
start_server cached
meta restart_ms "$STARTUP_MS"
CACHED_PID=$SERVER_PID
base="http://127.0.0.1:$PORT"

# 2. Fetch every benchmarked page twice, for nginx's docroot: once without compression (index.html,
#    and the ETags), once with `Accept-Encoding: gzip` and without --compressed, so that the raw
#    gzip bytes galley sends are saved as they are (index.html.gz, for nginx's gzip_static).
#    This also fills galley's page cache before the cached runs.
docroot=$pub/docroot
mkdir -p "$docroot"
awk -v base="$base" -v root="$docroot" '{
    out = ($0 == "/") ? root "/index.html" : root $0 "/index.html"
    printf "url = \"%s%s\"\noutput = \"%s\"\n", base, $0, out
}' "$work/paths.txt" >"$work/fetch.curl"
log "fetching $NPATHS pages from galley"
timeout 900 curl -sS --create-dirs --max-time 30 -K "$work/fetch.curl" \
    -w '%{http_code}\t%{url_effective}\t%header{etag}\n' >"$work/fetch.tsv" ||
    die "fetching the pages failed"
awk -F'\t' -v base="$base" '
    $1 != 200 { bad++; if (bad <= 5) print "  " $1 " " $2 > "/dev/stderr"; next }
    { path = substr($2, length(base) + 1); print path "\t" $3 }
    END { exit bad > 0 }' "$work/fetch.tsv" >"$work/etags.tsv" ||
    die "some benchmarked pages did not answer 200 (above)"
[[ $(wc -l <"$work/etags.tsv") -eq $NPATHS ]] || die "fetched $(wc -l <"$work/etags.tsv") of $NPATHS pages"
if awk -F'\t' '$2 == "" { found = 1 } END { exit !found }' "$work/etags.tsv"; then
    die "some pages came without an ETag"
fi
awk -v base="$base" -v root="$docroot" '{
    out = ($0 == "/") ? root "/index.html.gz" : root $0 "/index.html.gz"
    printf "url = \"%s%s\"\noutput = \"%s\"\n", base, $0, out
}' "$work/paths.txt" >"$work/fetch-gz.curl"
log "fetching $NPATHS pages from galley with Accept-Encoding: gzip"
timeout 900 curl -sS --create-dirs --max-time 30 -H 'Accept-Encoding: gzip' -K "$work/fetch-gz.curl" \
    -w '%{http_code}\t%{url_effective}\t%header{content-encoding}\n' >"$work/fetch-gz.tsv" ||
    die "fetching the gzip pages failed"
awk -F'\t' '
    $1 != 200 || $3 != "gzip" {
        bad++
        if (bad <= 5) print "  " $1 " " $2 " Content-Encoding: " ($3 == "" ? "(none)" : $3) > "/dev/stderr"
    }
    END { exit bad > 0 }' "$work/fetch-gz.tsv" ||
    die "some benchmarked pages did not answer Accept-Encoding: gzip with 200 and gzip (above)"
[[ $(wc -l <"$work/fetch-gz.tsv") -eq $NPATHS ]] ||
    die "fetched $(wc -l <"$work/fetch-gz.tsv") of $NPATHS pages with gzip"
# The gzip runs must measure the same pages as the identity runs (spot check of one page).
sample=$(sed -n 2p "$work/paths.txt")
[[ -n $sample ]] || sample=/
python3 -c 'import gzip, sys; sys.stdout.buffer.write(gzip.decompress(open(sys.argv[1], "rb").read()))' \
    "$docroot${sample%/}/index.html.gz" | cmp -s - "$docroot${sample%/}/index.html" ||
    die "galley's gzip page for $sample does not inflate to its uncompressed page"
# The image scenario's rendition, saved as galley sends it (this also puts it in its file cache).
if ((IMAGE)); then
    image_file=$docroot$image_path
    log "fetching $image_path from galley"
    got=$(curl -sS --max-time 30 --create-dirs -H 'Accept-Encoding: gzip' -o "$image_file" \
        -w '%{http_code}|%header{content-type}|%header{content-encoding}|%header{cache-control}|%header{etag}' \
        "$base$image_path") || die "fetching $image_path failed"
    IFS='|' read -r code ctype cenc cache etag <<<"$got"
    [[ $code == 200 && $ctype == image/webp ]] ||
        die "galley answered $image_path with $code, Content-Type '$ctype' (not 200, image/webp)"
    [[ -z $cenc || $cenc == identity ]] || die "galley sent $image_path with Content-Encoding $cenc"
    [[ $cache == "public, max-age=31536000, immutable" && -n $etag ]] ||
        die "galley sent $image_path with Cache-Control '$cache', ETag '$etag'"
    image_size=$(pillow -c 'import sys; from PIL import Image; im = Image.open(sys.argv[1]); print(im.format, "%dx%d" % im.size)' \
        "$image_file") || die "the saved $image_path is not an image"
    [[ $image_size == "WEBP 960x"* ]] || die "galley's $image_path is $image_size, not a 960 px wide WebP"
    meta image_webp_size "${image_size#WEBP }"
    meta image_webp_bytes "$(stat -c %s "$image_file")"
fi
chmod -R a+rX "$docroot"
total_bytes() { # file name: total size of the files of that name in the docroot
    find "$docroot" -type f -name "$1" -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'
}
kb_per_page() { awk -v b="$1" -v n="$NPATHS" 'BEGIN { printf "%.1f", b / n / 1024 }'; }
html_bytes=$(total_bytes index.html)
meta html_mb "$(mb "$html_bytes")"
meta html_kb_per_page "$(kb_per_page "$html_bytes")"
html_gz_bytes=$(total_bytes index.html.gz)
meta html_gz_mb "$(mb "$html_gz_bytes")"
meta html_gz_kb_per_page "$(kb_per_page "$html_gz_bytes")"

# 3. Start what the rounds measure, side by side: galley without its page cache (`uncached`: no
#    gzip, since with nothing stored gzip would cost a compression per request; compared with
#    nginx-identity), next to the page-cache server started above.
start_server uncached GALLEY_PAGE_CACHE_MB=0
UNCACHED_PID=$SERVER_PID
uncached_base="http://127.0.0.1:$PORT"

# 4. nginx serving the same pages as static files, with its own configuration: gzip_static sends
#    the saved index.html.gz (the very bytes galley sent) to clients that accept gzip, and
#    index.html to the others.
NGINX_PORT=$(free_port)
mkdir -p "$pub/nginx"
NGINX_CONF=$pub/nginx/nginx.conf
cat >"$NGINX_CONF" <<EOF
# Written by galley's tests/bench/run.sh; used once and deleted.
worker_processes 2;
daemon on;
pid $pub/nginx/nginx.pid;
error_log $pub/nginx/error.log warn;
events {
    worker_connections 1024;
}
http {
    access_log off;
    default_type text/html;
    gzip_static on;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path $pub/nginx/client_body;
    proxy_temp_path $pub/nginx/proxy;
    fastcgi_temp_path $pub/nginx/fastcgi;
    uwsgi_temp_path $pub/nginx/uwsgi;
    scgi_temp_path $pub/nginx/scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $docroot;
        location / {
            try_files \$uri \$uri/index.html =404;
        }
        # The image scenario's rendition: the file as it is, with galley's caching header.
        location /media/ {
            types {
                image/webp webp;
            }
            gzip_static off;
            add_header Cache-Control "public, max-age=31536000, immutable";
        }
    }
}
EOF
log "starting nginx on port $NGINX_PORT"
timeout 30 "$NGINX" -p "$pub/nginx/" -e "$pub/nginx/error.log" -c "$NGINX_CONF" ||
    { cat "$pub/nginx/error.log" >&2 || true; die "nginx did not start"; }
deadline=$(($(date +%s) + 20))
until [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$NGINX_PORT/" || true) == 200 ]]; do
    (($(date +%s) < deadline)) || { cat "$pub/nginx/error.log" >&2 || true; die "nginx not answering"; }
    sleep 0.05
done
nginx_pids() {
    local master
    master=$(cat "$pub/nginx/nginx.pid")
    echo "$master"
    pgrep -P "$master" 2>/dev/null || true
}
# Same bytes as galley sent, with and without gzip? (spot check of one page, $sample from step 2)
cmp -s <(curl -s --max-time 5 "http://127.0.0.1:$NGINX_PORT$sample") "$docroot${sample%/}/index.html" ||
    die "nginx does not serve the saved page for $sample"
sample_enc=$(curl -s --max-time 5 -H 'Accept-Encoding: gzip' -o "$work/nginx-sample.gz" \
    -w '%header{content-encoding}' "http://127.0.0.1:$NGINX_PORT$sample") ||
    die "nginx did not answer $sample with Accept-Encoding: gzip"
[[ $sample_enc == gzip ]] ||
    die "nginx answered $sample with Content-Encoding '${sample_enc:-(none)}', not gzip (gzip_static?)"
cmp -s "$work/nginx-sample.gz" "$docroot${sample%/}/index.html.gz" ||
    die "nginx does not serve the saved gzip page for $sample"
nginx_base="http://127.0.0.1:$NGINX_PORT"
if ((IMAGE)); then
    got=$(curl -s --max-time 5 -H 'Accept-Encoding: gzip' -o "$work/nginx-image" \
        -w '%{http_code}|%header{content-type}|%header{content-encoding}' "$nginx_base$image_path") ||
        die "nginx did not answer $image_path"
    [[ $got == "200|image/webp|" ]] || die "nginx answered $image_path with '$got' (not 200, image/webp)"
    cmp -s "$work/nginx-image" "$image_file" || die "nginx does not serve the saved $image_path"
fi
# name connections encoding [PATHS_FILE]: run_wrk against nginx, with the RSS of all its processes
run_nginx() {
    local pids
    mapfile -t pids < <(nginx_pids)
    run_wrk "$1" nginx "$2" "$3" "$nginx_base" "${4:-$work/paths.txt}" 0 0 "${pids[@]}"
}

if ((HOT > 0)); then
    head -n "$HOT" "$work/paths.txt" >"$work/hot-paths.txt"
fi
search_code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/search?q=test" || true)
if [[ $search_code == 200 ]]; then
    sed 's|^|/search?q=|' "$work/words.txt" >"$work/search-paths.txt"
else
    log "search: not available yet (/search?q=test answered $search_code)"
fi

# The JSON API's page endpoint for the same pages (a tree lookup, one query by key, JSON).
api_code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    "$base/api/v1/pages/by-path?path=$(head -n 1 "$work/paths.txt")" || true)
if [[ $api_code == 200 ]]; then
    sed 's|^|/api/v1/pages/by-path?path=|' "$work/paths.txt" >"$work/api-paths.txt"
else
    log "api: not available (/api/v1/pages/by-path answered $api_code)"
fi

# 5. The measured runs, in rounds. Each nginx scenario runs right after the galley scenario(s) it
#    is compared with: nginx gzip after cached and before cached-hot, nginx-identity between
#    cached-identity and uncached. Then the scenarios without a yardstick: conditional, search;
#    last the image, galley then nginx-image.
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
    log "round $ROUND of $ROUNDS"
    run_wrk cached galley 32 gzip "$base" "$work/paths.txt" 0 0 "$CACHED_PID"
    run_nginx nginx 32 gzip
    if ((HOT > 0)); then
        run_wrk cached-hot galley 32 gzip "$base" "$work/hot-paths.txt" 0 0 "$CACHED_PID"
    fi
    run_wrk cached galley 256 gzip "$base" "$work/paths.txt" 0 0 "$CACHED_PID"
    run_nginx nginx 256 gzip
    run_wrk cached-identity galley 32 identity "$base" "$work/paths.txt" 0 0 "$CACHED_PID"
    run_nginx nginx-identity 32 identity
    run_wrk uncached galley 32 identity "$uncached_base" "$work/paths.txt" 0 0 "$UNCACHED_PID"
    run_wrk conditional galley 32 identity "$base" "$work/etags.tsv" 1 1 "$CACHED_PID"
    if [[ $search_code == 200 ]]; then
        run_wrk search galley 32 identity "$base" "$work/search-paths.txt" 0 0 "$CACHED_PID"
    fi
    if [[ $api_code == 200 ]]; then
        run_wrk api galley 32 identity "$base" "$work/api-paths.txt" 0 0 "$CACHED_PID"
    fi
    if ((IMAGE)); then
        run_wrk image galley 32 gzip "$base" "$work/image-paths.txt" 0 0 "$CACHED_PID"
        run_nginx nginx-image 32 gzip "$work/image-paths.txt"
    fi
done
stop_server "$UNCACHED_PID"
stop_server "$CACHED_PID"
stop_nginx

# 6. Summary.
meta load_avg_1m_at_end "$(awk '{ print $1 }' /proc/loadavg)"
mkdir -p "$here/out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
python3 "$here/report.py" "$work" "$here/out/result-$stamp.json"
