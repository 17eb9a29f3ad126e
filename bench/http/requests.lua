-- wrk script: replays request paths from a file, round-robin, each thread
-- starting at a different line so connections do not march in step.
--
--   REQUESTS=paths.txt [HEADER='Name: value'] wrk -s requests.lua http://127.0.0.1:7700
--
-- The file holds one path+query per line (already URL-encoded). Socket errors
-- and HTTP statuses >= 400 are reported: a load figure with errors is no figure.

local paths = {}
local counter = 0
local header_name, header_value

function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 7919)
end

function init(args)
  for line in io.lines(os.getenv("REQUESTS")) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  local header = os.getenv("HEADER")
  if header then
    header_name, header_value = header:match("^([^:]+):%s*(.*)$")
  end
  index = offset or 0
end

function request()
  index = index + 1
  local path = paths[(index % #paths) + 1]
  if header_name then
    return wrk.format("GET", path, { [header_name] = header_value })
  end
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
      + summary.errors.status,
    summary.errors.status))
end
