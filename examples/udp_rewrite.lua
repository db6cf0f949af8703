-- Rewrites UDP datagrams in both directions and drops some
-- (mitmproxy's udp_message hook, as in examples/addons/tcp-simple.py).
--   snare --mode reverse:udp://127.0.0.1:9000@9001 -s examples/udp_rewrite.lua
function udp_start(flow)
	print("udp_start from " .. flow.client_conn.peername[1])
end

function udp_message(flow, message)
	if message.from_client then
		if message.content:find("^drop") then
			message:drop()
			return
		end
		message.content = message.content:gsub("foo", "bar")
	else
		message.content = message.content:gsub("bar", "baz")
	end
end

function udp_end(flow)
	print("udp_end " .. flow.id)
end
