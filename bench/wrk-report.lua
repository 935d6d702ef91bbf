-- The bench's wrk script (bench/load-generator.ts).
--
-- With BENCH_SPREAD_PORTS="p1,p2" each wrk thread connects to the next of those loopback ports
-- instead of the URL's: wrk gives every thread one address, so two threads spread the load
-- over two backends exactly as a round-robin proxy would, with the same wrk on every case.
local spreadPorts = {}
for port in (os.getenv('BENCH_SPREAD_PORTS') or ''):gmatch('%d+') do
  spreadPorts[#spreadPorts + 1] = port
end
local threadsSetUp = 0

setup = function(thread)
  if #spreadPorts > 0 then
    thread.addr = wrk.lookup('127.0.0.1', spreadPorts[threadsSetUp % #spreadPorts + 1])[1]
  end
  threadsSetUp = threadsSetUp + 1
end

-- Printed once the run ends: one JSON line the bench parses. Exact percentiles from wrk's own
-- histogram (all threads), in microseconds; errors split as wrk counts them (status errors are
-- responses with a status of 400 or more).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"durationUs":%d,"bytes":%d,"connectErrors":%d,"readErrors":%d,' ..
    '"writeErrors":%d,"statusErrors":%d,"timeouts":%d,"p50Us":%.0f,"p99Us":%.0f,"maxUs":%.0f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
