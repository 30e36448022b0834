-- make bench (tools/bench.py): wrk's script. Counts every response by status class, and given a
-- file of prepared requests (one a line: METHOD, path, Cookie header, urlencoded body, tab-separated),
-- sends them in turn, each thread its own share: distinct search queries, distinct stakeholders'
-- distinct comments with their own session and CSRF token.
--   wrk ... -s tools/bench.lua URL -- [requests-file] [threads]
-- done() prints one line, BENCH followed by tab-separated key=value pairs, that tools/bench.py reads.

local threads = {}
local count = 0

function setup(thread)
   count = count + 1
   thread:set("id", count)
   table.insert(threads, thread)
end

local prepared = {}
local index = 0
s1, s2, s3, s4, s5, reused = 0, 0, 0, 0, 0, 0

local function copy(headers)
   local result = {}
   for key, value in pairs(headers) do
      result[key] = value
   end
   return result
end

function init(args)
   local file, nthreads = args[1], tonumber(args[2] or "1")
   if not file or file == "" then
      return
   end
   local line_number = 0
   for line in io.lines(file) do
      line_number = line_number + 1
      if (line_number - 1) % nthreads == id - 1 then
         local method, path, cookie, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)$")
         local headers = copy(wrk.headers)
         if cookie ~= "" then
            headers["Cookie"] = cookie
         end
         if body == "" then
            body = nil
         else
            headers["Content-Type"] = "application/x-www-form-urlencoded"
         end
         table.insert(prepared, wrk.format(method, path, headers, body))
      end
   end
end

function request()
   if #prepared == 0 then
      return wrk.request()
   end
   index = index + 1
   if index > #prepared then
      -- Sent again: a comment twice is refused (400), which the results then show.
      index, reused = 1, reused + 1
   end
   return prepared[index]
end

function response(status, headers, body)
   local class = math.floor(status / 100)
   if class == 1 then s1 = s1 + 1
   elseif class == 2 then s2 = s2 + 1
   elseif class == 3 then s3 = s3 + 1
   elseif class == 4 then s4 = s4 + 1
   else s5 = s5 + 1 end
end

function done(summary, latency, requests)
   local totals = {s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, reused = 0}
   for _, thread in ipairs(threads) do
      for key, _ in pairs(totals) do
         totals[key] = totals[key] + (thread:get(key) or 0)
      end
   end
   local errors = summary.errors
   io.write(string.format(
      "BENCH\trequests=%d\tduration_us=%d\tbytes=%d\tconnect=%d\tread=%d\twrite=%d\ttimeout=%d\tstatus_errors=%d"
         .. "\t1xx=%d\t2xx=%d\t3xx=%d\t4xx=%d\t5xx=%d\treused=%d\tp50_us=%d\tp99_us=%d\tmax_us=%d\n",
      summary.requests, summary.duration, summary.bytes, errors.connect, errors.read, errors.write, errors.timeout,
      errors.status, totals.s1, totals.s2, totals.s3, totals.s4, totals.s5, totals.reused,
      latency:percentile(50), latency:percentile(99), latency.max))
end
