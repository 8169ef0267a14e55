-- wrk script for run.sh: cycles through a list of paths and prints machine-readable results.
--
-- Configured through the environment (wrk passes no arguments to the top level of a script):
--   BENCH_PATHS_FILE   one path per line, or `path<TAB>etag` lines (required)
--   BENCH_ETAG=1       send `If-None-Match: <etag>` with each path (conditional requests)
--   BENCH_COUNT_STATUS=1  count responses by status (costs wrk some CPU: only for small bodies)
--   BENCH_GZIP=1       send `Accept-Encoding: gzip`, as browsers and crawlers do
--
-- Each thread starts at a different offset of the list and walks it in order, wrapping around.
-- done() prints one line, `BENCH key=value ...`: requests, duration, requests/s, latency
-- percentiles in ms, wrk's status errors (responses >= 400) and socket errors; with
-- BENCH_COUNT_STATUS, also `status_2xx`, `status_304`, `status_other` counts.

local paths_file = os.getenv("BENCH_PATHS_FILE")
local use_etag = os.getenv("BENCH_ETAG") == "1"
local count_status = os.getenv("BENCH_COUNT_STATUS") == "1"
local use_gzip = os.getenv("BENCH_GZIP") == "1"

local function load_entries()
   local entries = {}
   local f = assert(io.open(paths_file, "r"), "cannot open BENCH_PATHS_FILE " .. tostring(paths_file))
   for line in f:lines() do
      local path, etag = line:match("^([^\t]+)\t?(.*)$")
      if path and path ~= "" then
         entries[#entries + 1] = { path = path, etag = etag }
      end
   end
   f:close()
   assert(#entries > 0, "no paths in " .. paths_file)
   return entries
end

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   threads[#threads + 1] = thread
end

local requests = {}
local index = 1

function init(args)
   local entries = load_entries()
   for i, e in ipairs(entries) do
      local headers = {}
      if use_etag and e.etag ~= "" then
         headers["If-None-Match"] = e.etag
      end
      if use_gzip then
         headers["Accept-Encoding"] = "gzip"
      end
      requests[i] = wrk.format("GET", e.path, headers)
   end
   -- Spread the threads over the list (setup() sets `id` before init runs).
   local n = #requests
   index = math.floor((id or 0) * n * 0.618034) % n + 1
   count_2xx, count_304, count_other = 0, 0, 0
end

function request()
   local r = requests[index]
   index = index + 1
   if index > #requests then
      index = 1
   end
   return r
end

if count_status then
   function response(status, headers, body)
      if status == 304 then
         count_304 = count_304 + 1
      elseif status >= 200 and status < 300 then
         count_2xx = count_2xx + 1
      else
         count_other = count_other + 1
      end
   end
end

function done(summary, latency, requests_)
   local seconds = summary.duration / 1e6
   local e = summary.errors
   local line = string.format(
      "BENCH requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p95_ms=%.3f p99_ms=%.3f max_ms=%.3f"
         .. " status_errors=%d connect=%d read=%d write=%d timeout=%d bytes=%d",
      summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
      latency.max / 1000,
      e.status, e.connect, e.read, e.write, e.timeout, summary.bytes)
   if count_status then
      local c2, c304, co = 0, 0, 0
      for _, t in ipairs(threads) do
         c2 = c2 + (t:get("count_2xx") or 0)
         c304 = c304 + (t:get("count_304") or 0)
         co = co + (t:get("count_other") or 0)
      end
      line = line .. string.format(" status_2xx=%d status_304=%d status_other=%d", c2, c304, co)
   end
   io.write(line .. "\n")
end
