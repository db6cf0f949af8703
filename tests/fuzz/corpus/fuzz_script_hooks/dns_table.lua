-- A scriptable DNS server: names from a table are answered locally, unknown
-- names under .blocked fail with NXDOMAIN, and upstream answers for
-- example.com are rewritten to a local address.
--   snare --mode dns@5353 -s examples/dns_table.lua
--   dig @127.0.0.1 -p 5353 app.internal.test
local names = {
	["app.internal.test"] = {{type = "A", data = "10.0.0.10"}, {type = "AAAA", data = "fd00::10"}},
	["www.internal.test"] = {{type = "CNAME", data = "app.internal.test"},
		{name = "app.internal.test", type = "A", data = "10.0.0.10"}},
	["info.internal.test"] = {{type = "TXT", data = "served by snare"}},
}

function dns_request(flow)
	local q = flow.request.questions[1]
	if not q then return end
	local name = q.name:lower()
	local records = names[name]
	if records then
		local answers = {}
		for _, r in ipairs(records) do
			-- answer only what was asked for (CNAME chains always)
			if r.type == q.type or r.type == "CNAME" or r.name then
				answers[#answers + 1] = {name = r.name or q.name, type = r.type, ttl = 60, data = r.data}
			end
		end
		flow.response = flow.request:answer(answers)
	elseif name:match("%.blocked$") then
		flow.response = flow.request:fail("NXDOMAIN")
	end
end

function dns_response(flow)
	for _, a in ipairs(flow.response.answers) do
		if a.type == "A" and a.name:lower() == "example.com" then
			a.data = "127.0.0.1"
		end
	end
end
