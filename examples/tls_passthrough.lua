-- Passes some TLS connections through without intercepting them, chosen
-- from the ClientHello (mitmproxy's examples/contrib/tls_passthrough.py,
-- simplified): names in the table keep their end-to-end TLS.
--   snare -s examples/tls_passthrough.lua
local passthrough = {
	["localhost"] = true,
	["pinned.example"] = true,
}

function tls_clienthello(data)
	local hello = data.client_hello
	print("tls_clienthello sni=" .. tostring(hello.sni) .. " alpn=" ..
		table.concat(hello.alpn_protocols, ","))
	if hello.sni and passthrough[hello.sni] then
		data.ignore_connection = true
	end
end
