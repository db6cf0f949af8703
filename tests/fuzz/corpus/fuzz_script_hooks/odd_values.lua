function request(f)
	f.request.port = 70000
end
function response(f)
	f.response.headers = {{"a", "b"}, {"c", 1}}
	f.response.status_code = 1.5
	f.comment = {}
end
function tcp_message(f, m)
	m.content = nil
	f.messages[1].content = "x"
end
function dns_request(f)
	f.response = f.request:answer{{type = "MX", data = "10 mx.a.test"}, {type = "TYPE99", data = "\\# 2 0102"}}
end
function dns_response(f)
	f.response.answers[1].data = "not an address"
end
