-- wrk script for bench/ping_throughput.py: each request pings a random check.
-- Usage: wrk ... -s random_ping.lua http://127.0.0.1:PORT/ -- uuids.txt [body.txt]
-- (one check UUID per line; with a body file, each ping is a POST of that body).

local threads = {}

-- Runs in wrk's main Lua state, once per thread, so done() can read each thread's count.
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  -- Requests are formatted once here: building one per request would make the client,
  -- which shares the machine with the server, slower than it needs to be.
  local method, body = "GET", nil
  if args[2] then
    local file = assert(io.open(args[2], "rb"))
    method, body = "POST", file:read("*a")
    file:close()
  end
  prepared = {}
  for line in io.lines(args[1]) do
    if #line > 0 then
      prepared[#prepared + 1] = wrk.format(method, "/ping/" .. line, nil, body)
    end
  end
  if #prepared == 0 then
    error("no check UUIDs in " .. args[1])
  end
  -- A fixed seed sends the same sequence of paths to both servers in every round.
  math.randomseed(1)
  started = 0
end

function request()
  started = started + 1
  return prepared[math.random(#prepared)]
end

-- Requests started minus requests completed bounds the pings the server may have
-- recorded without wrk reading the reply (wrk stops with requests in flight).
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("started")
  end
  -- wrk calls request() once more than it sends, in the first thread, to check that
  -- the request parses.
  total = total - 1
  io.write(string.format("Requests started: %d\n", total))
end
