-- Rewrites WebSocket messages from the server and drops client pings named
-- "debug" (mitmproxy's examples/addons/websocket-inject-message.py and
-- websocket-simple.py, in the same spirit).
--   snare -s examples/websocket_rewrite.lua
function websocket_message(flow, message)
	if message.from_client then
		if message.is_text and message.text == "debug" then
			message:drop()
		end
	elseif message.is_text then
		message.text = message.text:gsub("hello", "HELLO")
	end
end
