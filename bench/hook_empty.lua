-- bench/run.sh case h1: a response hook that does nothing
function response(flow)
end
