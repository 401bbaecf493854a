-- wrk script of tests/perf/serve.sh: POSTs the file $BODY as JSON (a GET
-- when BODY is unset) and prints one line the script parses:
-- RESULT requests seconds p50_us p99_us errors non2xx
local path = os.getenv("BODY")
if path and path ~= "" then
	local f = assert(io.open(path, "rb"))
	wrk.method = "POST"
	wrk.body = f:read("*a")
	f:close()
	wrk.headers["Content-Type"] = "application/json"
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("RESULT %d %.6f %d %d %d %d\n",
		summary.requests, summary.duration / 1e6,
		latency:percentile(50), latency:percentile(99),
		e.connect + e.read + e.write + e.timeout, e.status))
end
