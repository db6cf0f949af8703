-- wrk script of bench/run.sh: forward-proxy load, every request target in absolute form.
-- usage: wrk ... -s absolute.lua http://PROXY_HOST:PORT -- http://ORIGIN_HOST:PORT/path
function init(args)
	local url = args[1]
	if url == nil then
		error("absolute.lua: give the origin URL after --")
	end
	wrk.path = url
	wrk.headers["Host"] = url:match("^%a+://([^/]+)")
end
