-- Adds a header to every response (mitmproxy's examples/addons/http-add-header.py).
--   snare -s examples/add_header.lua
count = 0

function response(flow)
	count = count + 1 -- per worker: each worker runs its own copy of the script
	flow.response.headers["x-snare"] = "hello"
	flow.response.headers:set("x-snare-count", count)
end
