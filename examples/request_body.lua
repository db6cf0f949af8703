-- Rewrites a form field in request bodies before they reach the server.
-- The request hook sees the body when it is buffered (a Content-Length
-- body up to stream_large_bodies and 64 KiB); snare fixes Content-Length.
--   snare -s examples/request_body.lua
function request(flow)
	local r = flow.request
	if r.content and r.headers:get("content-type") == "application/x-www-form-urlencoded" then
		r.content = r.content:gsub("role=user", "role=admin")
	end
end
