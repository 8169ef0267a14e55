#!/usr/bin/env python3
"""Summarises a benchmark run of run.sh: prints the table and the targets, writes the JSON.

    report.py WORK_DIR OUT_JSON

WORK_DIR/meta.tsv holds `key<TAB>value` lines (numbers where they parse, `null` for none);
WORK_DIR/runs.tsv holds `name<TAB>server<TAB>connections<TAB>peak_rss_kb<TAB>BENCH line<TAB>gzip`,
where the BENCH line is what paths.lua's done() printed and gzip is `true` when the requests sent
`Accept-Encoding: gzip` (lines without it, from before, are read as `false`: no run sent gzip
then). Exit status: 0, or 3 when BENCH_STRICT=1 and a target failed. Python 3 standard library
only.
"""

import json
import os
import sys

# scenario: the nginx scenario it is compared with, which sends the same Accept-Encoding
# (nginx: gzip, the very bytes galley sent; nginx-identity: the uncompressed HTML).
RATIO_BASE = {
    "cached": "nginx",
    "cached-hot": "nginx",
    "cached-identity": "nginx-identity",
    "uncached": "nginx-identity",
}
NGINX_RUNS = ("nginx", "nginx-identity")


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
            }
            for k in ("status_2xx", "status_304", "status_other"):
                if k in fields:
                    run[k] = fields[k]
            runs.append(run)
    return runs


def find(runs, name, conns):
    for r in runs:
        if r["name"] == name and r["connections"] == conns:
            return r
    return None


def fmt(value, spec):
    if value is None:
        return "-"
    return format(value, spec)


def main():
    work, out_json = sys.argv[1], sys.argv[2]
    meta = read_meta(os.path.join(work, "meta.tsv"))
    runs = read_runs(os.path.join(work, "runs.tsv"))

    # Each ratio is against the base run with the same connection count, else its 32-connection
    # run (cached-hot and cached-identity have no 256-connection base, but may get one some day).
    for r in runs:
        base_name = RATIO_BASE.get(r["name"])
        base = None
        if base_name:
            base = find(runs, base_name, r["connections"]) or find(runs, base_name, 32)
        if r["name"] in NGINX_RUNS:
            r["ratio_base"] = {"name": r["name"], "connections": r["connections"]}
            r["ratio_to_nginx"] = 1.0
        elif base and base["rps"] and r["rps"] is not None:
            r["ratio_base"] = {"name": base["name"], "connections": base["connections"]}
            r["ratio_to_nginx"] = round(r["rps"] / base["rps"], 3)
        else:
            r["ratio_base"] = None
            r["ratio_to_nginx"] = None

    galley_rss = [r["peak_rss_mb"] for r in runs if r["server"] == "galley" and r["peak_rss_mb"]]
    peak_rss = max(galley_rss) if galley_rss else None
    cached32 = find(runs, "cached", 32)
    uncached32 = find(runs, "uncached", 32)
    search = find(runs, "search", 32)

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
    target("galley peak RSS (all scenarios)", peak_rss, "<", 64, "MB")
    target("start-up (fresh database)", meta.get("startup_ms"), "<", 300, "ms")
    target("search p95 latency", search and search["p95_ms"], "<", 20, "ms")
    total_errors = sum(r["errors"] for r in runs)
    target("errors + bad statuses, all runs", total_errors if runs else None, "<", 1, "")

    # The table.
    header = ["scenario", "server", "conn", "enc", "req/s", "p50 ms", "p99 ms", "errors",
              "x nginx", "peak RSS MB"]
    rows = []
    for r in runs:
        label = r["name"]
        if "status_304" in r:
            label += f" ({r['status_304']}/{r['requests']} 304)"
        rows.append([
            label, r["server"], str(r["connections"]), "gzip" if r["gzip"] else "identity",
            fmt(r["rps"], ",.0f"),
            fmt(r["p50_ms"], ".2f"), fmt(r["p99_ms"], ".2f"), str(r["errors"]),
            fmt(r["ratio_to_nginx"], ".2f"), fmt(r["peak_rss_mb"], ".1f"),
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
    print()
    search_p95 = search["p95_ms"] if search else None
    print(f"import:        {fmt(meta.get('import_s'), '.2f')} s  "
          f"({meta.get('pages')} pages)")
    print(f"start-up:      {fmt(meta.get('startup_ms'), '.1f')} ms fresh database, "
          f"{fmt(meta.get('restart_ms'), '.1f')} ms restart")
    print(f"search p95:    {fmt(search_p95, '.2f')} ms"
          + ("" if search else "  (search not available)"))
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
        "startup_ms": meta.get("startup_ms"),
        "restart_ms": meta.get("restart_ms"),
        "search_p95_ms": search_p95,
        "peak_rss_mb": peak_rss,
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
