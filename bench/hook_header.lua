-- bench/run.sh case h1: a response hook that sets a header
function response(flow)
	flow.response.headers:set("x-snare-bench", "1")
end
