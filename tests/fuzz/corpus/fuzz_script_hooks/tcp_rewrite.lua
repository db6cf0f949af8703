-- Rewrites raw TCP messages in both directions
-- (mitmproxy's examples/addons/tcp-simple.py).
--   snare --mode reverse:tcp://127.0.0.1:9000@9001 -s examples/tcp_rewrite.lua
function tcp_message(flow, message)
	if message.from_client then
		message.content = message.content:gsub("foo", "bar")
	else
		message.content = message.content:gsub("bar", "baz")
	end
end
