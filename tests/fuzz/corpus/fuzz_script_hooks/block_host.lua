-- Refuses requests to some hosts with a 403 and kills connections to others
-- (the idea of mitmproxy's block_list option, in a script).
--   snare -s examples/block_host.lua
local refused = {["ads.example"] = true, ["tracker.example"] = true}
local killed = {["malware.example"] = true}

function request(flow)
	local host = flow.request.host:lower()
	if refused[host] then
		flow.response = snare.response(403, {["content-type"] = "text/plain"},
			"blocked by snare\n")
	elseif killed[host] then
		flow:kill()
	end
end
