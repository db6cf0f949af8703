-- Answers requests for /hello without asking the server
-- (mitmproxy's examples/addons/http-reply-from-proxy.py).
--   snare -s examples/answer_locally.lua
function request(flow)
	if flow.request.path == "/hello" then
		flow.response = snare.response(200, {["content-type"] = "text/plain"},
			"Hello from snare\n")
	end
end
