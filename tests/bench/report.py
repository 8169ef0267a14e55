#!/usr/bin/env python3
"""Summarises a benchmark run of run.sh: prints the table and the targets, writes the JSON.

    report.py WORK_DIR OUT_JSON

WORK_DIR/meta.tsv holds `key<TAB>value` lines (numbers where they parse, `null` for none);
WORK_DIR/runs.tsv holds one line per measured run,
`name<TAB>server<TAB>connections<TAB>peak_rss_kb<TAB>BENCH line<TAB>gzip<TAB>round<TAB>cpu_us`,
where the BENCH line is what paths.lua's done() printed, gzip is `true` when the requests sent
`Accept-Encoding: gzip`, round counts from 1 and cpu_us is the CPU time (user + system) the
server's processes used during the measured run. Older lines lack the last columns: without gzip
they are read as `false` (no run sent gzip then), without a round as round 1 (each scenario ran
once then), without cpu_us as unknown.

The server's CPU time per request compares machines better than req/s: on one machine nginx may
be twice as fast as on another while galley's own cost is the same, and the ratios move with it.

Runs are grouped into scenarios by (name, server, connections, gzip). Per scenario: the median of
req/s, of p50, of p95 and of p99 over the rounds (each metric its own median), the req/s spread
(min, max), errors summed, the highest peak RSS. "x nginx" and the targets use the medians, except
the peak RSS target (the highest of all galley runs) and the errors target (all runs). In the JSON,
each run also has the ratio to its yardstick's run of the same round. Exit status: 0, or 3 when
BENCH_STRICT=1 and a target failed. Python 3 standard library only.

The image upload is in meta.tsv (`image_*` keys): a 24-megapixel JPEG added with `galley media
add`, its wall time (upload to all standard renditions made) and that command's peak RSS, from
GNU time. It is reported apart (the JSON's `image`), without a target: the peak RSS target is the
servers' (serving pages and the image rendition), as before.
"""

import json
import os
import statistics
import sys

# scenario: the nginx scenario it is compared with, which sends the same Accept-Encoding
# (nginx: gzip, the very bytes galley sent; nginx-identity: the uncompressed HTML).
RATIO_BASE = {
    "cached": "nginx",
    "cached-hot": "nginx",
    "cached-identity": "nginx-identity",
    "uncached": "nginx-identity",
    # The 960 px WebP rendition; nginx sends the very bytes galley sent.
    "image": "nginx-image",
}
NGINX_RUNS = ("nginx", "nginx-identity", "nginx-image")
# Table order (run.sh interleaves the scenarios within a round); unknown names go last.
ORDER = ("cached", "cached-hot", "cached-identity", "conditional", "search", "api", "uncached", "image",
         "nginx", "nginx-identity", "nginx-image")


def number(text):
    if text in ("", "null", "None"):
        return None
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def read_meta(path):
    meta = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("\t")
            if key:
                meta[key] = number(value)
    return meta


def read_runs(path):
    runs = []
    if not os.path.exists(path):
        return runs
    with open(path) as f:
        for line in f:
            cells = line.rstrip("\n").split("\t")
            name, server, conns, rss_kb, bench = cells[:5]
            gzip = len(cells) > 5 and cells[5] == "true"
            round_ = int(cells[6]) if len(cells) > 6 and cells[6] else 1
            cpu_us = number(cells[7]) if len(cells) > 7 and cells[7] else None
            fields = {}
            for pair in bench.split()[1:]:
                k, _, v = pair.partition("=")
                fields[k] = number(v)
            socket_errors = sum(fields.get(k, 0) for k in ("connect", "read", "write", "timeout"))
            # With per-status counts (conditional requests), anything but 2xx/304 is an error;
            # else wrk's own count of responses >= 400.
            if "status_other" in fields:
                bad_status = fields["status_other"]
            else:
                bad_status = fields.get("status_errors", 0)
            rss = number(rss_kb)
            run = {
                "name": name,
                "server": server,
                "connections": int(conns),
                "gzip": gzip,
                "round": round_,
                "requests": fields.get("requests"),
                "duration_s": fields.get("duration_s"),
                "rps": fields.get("rps"),
                "p50_ms": fields.get("p50_ms"),
                "p95_ms": fields.get("p95_ms"),
                "p99_ms": fields.get("p99_ms"),
                "max_ms": fields.get("max_ms"),
                "bad_status": bad_status,
                "status_errors_ge_400": fields.get("status_errors"),
                "socket_errors": {k: fields.get(k) for k in ("connect", "read", "write", "timeout")},
                "errors": bad_status + socket_errors,
                "bytes_per_request": (
                    round(fields["bytes"] / fields["requests"]) if fields.get("requests") else None
                ),
                "peak_rss_mb": round(rss / 1024, 1) if isinstance(rss, (int, float)) else None,
                "cpu_us_per_request": (
                    round(cpu_us / fields["requests"], 1)
                    if isinstance(cpu_us, (int, float)) and fields.get("requests") else None
                ),
            }
            for k in ("status_2xx", "status_304", "status_other"):
                if k in fields:
                    run[k] = fields[k]
            runs.append(run)
    return runs


def find(runs, name, conns, round_=None):
    for r in runs:
        if (r["name"] == name and r["connections"] == conns
                and (round_ is None or r["round"] == round_)):
            return r
    return None


def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def aggregate(runs):
    """One entry per (name, server, connections, gzip), in table order."""
    groups = {}
    for r in runs:
        groups.setdefault((r["name"], r["server"], r["connections"], r["gzip"]), []).append(r)
    first_seen = {key: i for i, key in reversed(list(enumerate(groups)))}
    scenarios = []
    for key, group in sorted(
        groups.items(),
        key=lambda kv: (ORDER.index(kv[0][0]) if kv[0][0] in ORDER else len(ORDER),
                        first_seen[kv[0]]),
    ):
        name, server, conns, gzip = key
        rps = [r["rps"] for r in group if r["rps"] is not None]
        rss = [r["peak_rss_mb"] for r in group if r["peak_rss_mb"] is not None]
        s = {
            "name": name,
            "server": server,
            "connections": conns,
            "gzip": gzip,
            "rounds": len(group),
            "rps": median(rps),
            "rps_min": min(rps) if rps else None,
            "rps_max": max(rps) if rps else None,
            "p50_ms": median(r["p50_ms"] for r in group),
            "p95_ms": median(r["p95_ms"] for r in group),
            "p99_ms": median(r["p99_ms"] for r in group),
            "max_ms": max((r["max_ms"] for r in group if r["max_ms"] is not None), default=None),
            "requests": sum(r["requests"] or 0 for r in group),
            "errors": sum(r["errors"] for r in group),
            "bytes_per_request": median(r["bytes_per_request"] for r in group),
            "peak_rss_mb": max(rss) if rss else None,
            "cpu_us_per_request": median(r["cpu_us_per_request"] for r in group),
        }
        for k in ("status_2xx", "status_304", "status_other"):
            if any(k in r for r in group):
                s[k] = sum(r.get(k, 0) for r in group)
        scenarios.append(s)
    return scenarios


def set_ratio(r, base):
    """Sets r's ratio to nginx against base (a run or scenario; None: no yardstick)."""
    if r["name"] in NGINX_RUNS:
        r["ratio_base"] = {"name": r["name"], "connections": r["connections"]}
        r["ratio_to_nginx"] = 1.0
    elif base and base["rps"] and r["rps"] is not None:
        r["ratio_base"] = {"name": base["name"], "connections": base["connections"]}
        r["ratio_to_nginx"] = round(r["rps"] / base["rps"], 3)
    else:
        r["ratio_base"] = None
        r["ratio_to_nginx"] = None


def fmt(value, spec):
    if value is None:
        return "-"
    return format(value, spec)


def main():
    work, out_json = sys.argv[1], sys.argv[2]
    meta = read_meta(os.path.join(work, "meta.tsv"))
    runs = read_runs(os.path.join(work, "runs.tsv"))
    scenarios = aggregate(runs)
    rounds = meta.get("rounds")
    if not isinstance(rounds, int):  # older runs: one round
        rounds = max((s["rounds"] for s in scenarios), default=0)

    # Each ratio is against the base with the same connection count, else its 32-connection one
    # (cached-hot and cached-identity have no 256-connection base, but may get one some day):
    # a scenario's median req/s against its base's median, a run against its base's run of the
    # same round.
    def base_of(items, r, round_=None):
        base_name = RATIO_BASE.get(r["name"])
        if not base_name:
            return None
        return (find(items, base_name, r["connections"], round_)
                or find(items, base_name, 32, round_))

    for r in runs:
        set_ratio(r, base_of(runs, r, r["round"]))
    for s in scenarios:
        set_ratio(s, base_of(scenarios, s))

    galley_rss = [r["peak_rss_mb"] for r in runs if r["server"] == "galley" and r["peak_rss_mb"]]
    peak_rss = max(galley_rss) if galley_rss else None
    cached32 = find(scenarios, "cached", 32)
    uncached32 = find(scenarios, "uncached", 32)
    search = find(scenarios, "search", 32)
    image32 = find(scenarios, "image", 32)
    nginx_image32 = find(scenarios, "nginx-image", 32)

    targets = []

    def target(name, value, op, limit, unit=""):
        if value is None:
            verdict = "n/a"
        elif op == ">=":
            verdict = "PASS" if value >= limit else "FAIL"
        else:
            verdict = "PASS" if value < limit else "FAIL"
        targets.append(
            {"target": name, "value": value, "op": op, "limit": limit, "unit": unit,
             "result": verdict}
        )

    target("cached page (gzip), 32 conn: req/s vs nginx gzip_static",
           cached32 and cached32["ratio_to_nginx"], ">=", 0.8, "x")
    target("cached page (gzip), 32 conn: p99 latency", cached32 and cached32["p99_ms"], "<", 10, "ms")
    target("uncached page (identity), 32 conn: req/s vs nginx identity",
           uncached32 and uncached32["ratio_to_nginx"], ">=", 0.4, "x")
    if meta.get("image_scenario") != "false":  # BENCH_IMAGE=0: no image target at all
        target("image (960 px WebP rendition), 32 conn: req/s vs nginx, same file",
               image32 and image32["ratio_to_nginx"], ">=", 0.8, "x")
    target("galley peak RSS (all scenarios)", peak_rss, "<", 64, "MB")
    target("start-up (fresh database)", meta.get("startup_ms"), "<", 300, "ms")
    target("search p95 latency", search and search["p95_ms"], "<", 20, "ms")
    total_errors = sum(r["errors"] for r in runs)
    target("errors + bad statuses, all runs", total_errors if runs else None, "<", 1, "")

    # The table.
    header = ["scenario", "server", "conn", "enc", "rounds", "req/s", "req/s min-max", "p50 ms",
              "p99 ms", "errors", "x nginx", "CPU us/req", "peak RSS MB"]
    rows = []
    for r in scenarios:
        label = r["name"]
        if "status_304" in r:
            label += f" ({r['status_304']}/{r['requests']} 304)"
        spread = "-"
        if r["rounds"] > 1 and r["rps_min"] is not None:
            spread = f"{r['rps_min']:,.0f}-{r['rps_max']:,.0f}"
        rows.append([
            label, r["server"], str(r["connections"]), "gzip" if r["gzip"] else "identity",
            str(r["rounds"]), fmt(r["rps"], ",.0f"), spread,
            fmt(r["p50_ms"], ".2f"), fmt(r["p99_ms"], ".2f"), str(r["errors"]),
            fmt(r["ratio_to_nginx"], ".2f"), fmt(r["cpu_us_per_request"], ".1f"),
            fmt(r["peak_rss_mb"], ".1f"),
        ])
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
              for i, h in enumerate(header)]

    def line(cells):
        return "  ".join(
            c.ljust(widths[i]) if i in (0, 1, 3) else c.rjust(widths[i])
            for i, c in enumerate(cells)
        )

    print()
    print(line(header))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))
    print(f"req/s, p50, p99: medians over {rounds} round{'s' if rounds != 1 else ''}; "
          "errors: summed; CPU us/req: the server's CPU time (all its processes and threads) "
          "per request, median; peak RSS: the highest (VmHWM since the server started)")
    print()
    search_p95 = search["p95_ms"] if search else None
    print(f"import:        {fmt(meta.get('import_s'), '.2f')} s  "
          f"({meta.get('pages')} pages)")
    if meta.get("pg_import_s") is not None:
        print(f"import (PG):   {fmt(meta.get('pg_import_s'), '.2f')} s  "
              f"(peak RSS {fmt(meta.get('pg_import_peak_rss_mb'), '.1f')} MB)")
    if meta.get("backup_s") is not None:
        print(f"backup:        {fmt(meta.get('backup_s'), '.2f')} s, "
              f"{fmt(meta.get('backup_mb'), '.1f')} MB, "
              f"peak RSS {fmt(meta.get('backup_peak_rss_mb'), '.1f')} MB")
        print(f"restore:       {fmt(meta.get('restore_s'), '.2f')} s on SQLite, "
              f"peak RSS {fmt(meta.get('restore_peak_rss_mb'), '.1f')} MB"
              + (f"; {fmt(meta.get('pg_restore_s'), '.2f')} s on PostgreSQL, "
                 f"peak RSS {fmt(meta.get('pg_restore_peak_rss_mb'), '.1f')} MB"
                 if meta.get("pg_restore_s") is not None else ""))
    print(f"start-up:      {fmt(meta.get('startup_ms'), '.1f')} ms fresh database, "
          f"{fmt(meta.get('restart_ms'), '.1f')} ms restart")
    print(f"search p95:    {fmt(search_p95, '.2f')} ms"
          + ("" if search else "  (search not available)"))
    image = None
    if meta.get("image_add_s") is not None:
        image = {
            "source": {"size": meta.get("image_source_size"),
                       "bytes": meta.get("image_source_bytes")},
            "upload_to_renditions_s": meta.get("image_add_s"),
            "upload_peak_rss_mb": meta.get("image_add_peak_rss_mb"),
            "upload_cpu_s": meta.get("image_add_cpu_s"),
            "renditions_made": meta.get("image_renditions_made"),
            "measured_on": "galley media add (makes the renditions with the rendition worker's code)",
            "path": meta.get("image_path"),
            "webp": {"size": meta.get("image_webp_size"), "bytes": meta.get("image_webp_bytes")},
            "galley": image32 and {k: image32[k] for k in ("rps", "p50_ms", "p99_ms")},
            "nginx": nginx_image32 and {k: nginx_image32[k] for k in ("rps", "p50_ms", "p99_ms")},
            "ratio_to_nginx": image32 and image32["ratio_to_nginx"],
        }
        source_mb = meta.get("image_source_bytes")
        source_mb = source_mb / 1048576 if isinstance(source_mb, (int, float)) else None
        webp_kb = meta.get("image_webp_bytes")
        webp_kb = webp_kb / 1024 if isinstance(webp_kb, (int, float)) else None
        print(f"image upload:  {meta.get('image_source_size')} JPEG ({fmt(source_mb, '.1f')} MB) "
              f"to all {meta.get('image_renditions_made')} standard renditions: "
              f"{fmt(meta.get('image_add_s'), '.2f')} s, "
              f"peak RSS {fmt(meta.get('image_add_peak_rss_mb'), '.1f')} MB, "
              f"CPU {fmt(meta.get('image_add_cpu_s'), '.2f')} s")
        print("               (measured on `galley media add`, which makes the renditions with "
              "the code of the server's rendition worker)")
        print(f"image served:  {meta.get('image_path')} ({meta.get('image_webp_size')} WebP, "
              f"{fmt(webp_kb, '.1f')} KB): galley {fmt(image32 and image32['rps'], ',.0f')} req/s, "
              f"nginx {fmt(nginx_image32 and nginx_image32['rps'], ',.0f')} req/s, "
              f"{fmt(image32 and image32['ratio_to_nginx'], '.2f')}x")
    print(f"working set:   {meta.get('bench_paths')} paths, "
          f"{fmt(meta.get('html_mb'), '.1f')} MB of HTML, "
          f"{fmt(meta.get('html_gz_mb'), '.1f')} MB gzip "
          f"(page cache {meta.get('page_cache_mb')} MB)")
    notes = []
    # The page cache holds each page gzip-compressed only, so the gzip size is what must fit.
    gz_mb, cache_mb = meta.get("html_gz_mb"), meta.get("page_cache_mb")
    if isinstance(gz_mb, (int, float)) and isinstance(cache_mb, (int, float)) and gz_mb > cache_mb:
        notes.append(
            f"the pages ({gz_mb:.1f} MB gzip-compressed, as the page cache stores them) exceed "
            f"the {cache_mb} MB page cache, and wrk cycles through them in order: most `cached` "
            "(and `cached-identity`) requests miss the cache; `cached-hot` uses a set that fits")
    load, cpus = meta.get("load_avg_1m_at_start"), meta.get("cpus")
    if isinstance(load, (int, float)) and isinstance(cpus, int) and load > 0.5 * cpus:
        notes.append(f"the machine was busy at the start (1-minute load {load} on {cpus} CPUs): "
                     "figures are noisy")
    for n in notes:
        print(f"note: {n}")
    print()
    print("targets:")
    for t in targets:
        value = t["value"]
        shown = "-" if value is None else (f"{value:.2f}" if isinstance(value, float) else str(value))
        print(f"  {t['result']:<4}  {t['target']}: {shown}{t['unit']} "
              f"(target {t['op']} {t['limit']}{t['unit']})")

    result = {
        "meta": meta,
        "import_s": meta.get("import_s"),
        "pg_import_s": meta.get("pg_import_s"),
        "backup_s": meta.get("backup_s"),
        "restore_s": meta.get("restore_s"),
        "pg_restore_s": meta.get("pg_restore_s"),
        "startup_ms": meta.get("startup_ms"),
        "restart_ms": meta.get("restart_ms"),
        "search_p95_ms": search_p95,
        "peak_rss_mb": peak_rss,
        "image": image,
        "rounds": rounds,
        "scenarios": scenarios,
        "runs": runs,
        "targets": targets,
        "notes": notes,
    }
    os.makedirs(os.path.dirname(out_json), exist_ok=True)
    with open(out_json, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(f"\nresults written to {out_json}")
    failed = any(t["result"] == "FAIL" for t in targets)
    if failed and os.environ.get("BENCH_STRICT") == "1":
        sys.exit(3)


if __name__ == "__main__":
    main()
