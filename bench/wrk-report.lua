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

-- With BENCH_WRITE_IDS=<n> the run writes: each thread POSTs new books (ids from n on, a range of
-- its own, so no create answers 409) and GETs each created one, named by the 201's Location,
-- as soon as it has been answered; about half the requests are POSTs, half GETs.
local writeIds = tonumber(os.getenv('BENCH_WRITE_IDS') or '')
-- Ids one thread may use: more than it can create in one run.
local idsPerThread = 1000000

setup = function(thread)
  if #spreadPorts > 0 then
    thread.addr = wrk.lookup('127.0.0.1', spreadPorts[threadsSetUp % #spreadPorts + 1])[1]
  end
  if writeIds then
    thread:set('nextBody', writeIds + threadsSetUp * idsPerThread)
  end
  threadsSetUp = threadsSetUp + 1
end

-- The nine digits of an ISBN-10 with their check digit, or nil when it would be X.
local function isbn10(body)
  local digits, sum = tostring(body), 0
  for i = 1, 9 do
    sum = sum + (11 - i) * tonumber(digits:sub(i, i))
  end
  local check = (11 - sum % 11) % 11
  if check == 10 then return nil end
  return digits .. check
end

if writeIds then
  local created = {}
  local postHeaders, getHeaders = { ['Content-Type'] = 'application/json' }, {}
  init = function()
    for name, value in pairs(wrk.headers) do
      postHeaders[name], getHeaders[name] = value, value
    end
  end
  request = function()
    local path = table.remove(created)
    if path then return wrk.format('GET', path, getHeaders) end
    local id = nil
    while not id do
      id = isbn10(nextBody)
      nextBody = nextBody + 1
    end
    return wrk.format('POST', wrk.path, postHeaders, '{"id":' .. id .. ',"title":"Written by the bench"}')
  end
  response = function(status, headers)
    local location = headers['Location'] or headers['location']
    if status == 201 and location then created[#created + 1] = location end
  end
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
