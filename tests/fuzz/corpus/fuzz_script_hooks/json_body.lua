-- Rewrites a JSON response body: every "admin": false becomes "admin": true
-- (mitmproxy's examples/addons/http-modify-response-body.py, on JSON).
-- Lua has no JSON library in the sandbox, so this works on the text with a
-- pattern; keep such rewrites to shapes you know.
--   snare -s examples/json_body.lua
function response(flow)
	local ctype = flow.response.headers:get("content-type", "")
	if not ctype:find("json", 1, true) or flow.response.content == nil then
		return
	end
	flow.response.text = flow.response.text:gsub('("admin"%s*:%s*)false', "%1true")
end
