-- One wrk script for every scenario, so that all contenders get the same load.
-- Arguments after `--`:
--   body=<file>      POST the file's bytes as application/json
--   pipeline=<n>     write n requests back to back on each connection
-- done() prints one line "BENCHJSON {...}" with the figures run.py reads, so no
-- parsing of wrk's human-readable table is needed.

local pipeline_depth = 1
local pipelined = nil

function init(args)
   for _, a in ipairs(args) do
      local k, v = a:match("^(%w+)=(.*)$")
      if k == "body" then
         local f = assert(io.open(v, "rb"))
         wrk.body = f:read("*a")
         f:close()
         wrk.method = "POST"
         wrk.headers["Content-Type"] = "application/json"
      elseif k == "pipeline" then
         pipeline_depth = tonumber(v)
      end
   end
   if pipeline_depth > 1 then
      local one = wrk.format()
      pipelined = string.rep(one, pipeline_depth)
      request = pipeline_request
   end
end

-- Only defined when pipelining: without a request() function wrk keeps its
-- static (faster) request path for the other scenarios.
function pipeline_request()
   return pipelined
end

function setup(thread)
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"err_connect":%d,"err_read":%d,"err_write":%d,"err_timeout":%d,"non2xx":%d,' ..
      '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.timeout, e.status,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
