# Scripts and rewrite options up to the workers (snare-scripting(7)): a bad
# rewrite spec, a missing script, a script with a syntax error and an
# option that is not implemented yet each exit 1 with one line naming the
# option; good ones start; editing a script makes snare log "Reloading
# script FILE" and restart its workers with the new text, a syntax error in
# the edit keeps the old one, and traffic keeps flowing (real curl).
. "$(dirname "$0")/lib.sh"

printf 'function request(flow)\n  flow.request.headers:set("x-scfg", "1")\nend\n' >"$T/scfg.lua"
printf 'function request(flow)\n  x = = 1\nend\n' >"$T/scfg-bad.lua"
mkdir -p "$T/scfg-www/sub"
echo hello >"$T/scfg-www/index.html"
echo deeper >"$T/scfg-www/sub/a.txt"
echo "header value" >"$T/scfg-value.txt"
# wait_for_count FILE PATTERN N SECONDS: PATTERN on N lines of FILE.
wait_for_count() {
	local i
	for i in $(seq 1 $(($4 * 20))); do
		[ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
		sleep 0.05
	done
	return 1
}

printf 'flow_detail: 1\n' >"$T/scfg.yaml"
# The spawner re-reads the configuration as the unprivileged user: readable files.
chmod 644 "$T"/scfg*.lua "$T/scfg-value.txt" "$T/scfg.yaml"
chmod -R a+rX "$T/scfg-www"

one_line_exit1 bad-modify-headers-spec "modify_headers" --set modify_headers=/x -p 0
one_line_exit1 bad-block-list-status "block_list: bad HTTP status" --set 'block_list=/~d x/abc' -p 0
one_line_exit1 bad-map-remote-filter "map_remote" --set 'map_remote=|~nonsense(|a|b' -p 0
one_line_exit1 missing-script "scripts: cannot read $T/scfg-missing.lua" -s "$T/scfg-missing.lua" -p 0
one_line_exit1 script-syntax-error "scripts: $T/scfg-bad.lua:2:" -s "$T/scfg-bad.lua" -p 0
one_line_exit1 missing-at-file "modify_headers: cannot read $T/nope" \
	--set "modify_headers=|x-a|@$T/nope" -p 0
one_line_exit1 intercept-bad-filter "Invalid filter expression for intercept: " --set 'intercept=~q &' -p 0
one_line_exit1 server-replay-missing-file "server_replay: .*x.flows" \
	--set server_replay=x.flows -p 0

# ---- good options start, and --options lists them
if "$SNARE_BIN" --options | grep -q '^map_local ' && "$SNARE_BIN" --options | grep -q '^server_replay_nopop '; then
	ok options-listed
else
	notok options-listed "$("$SNARE_BIN" --options | tail -5)"
fi
start_origin || { notok origin "did not start"; exit 1; }
if ! start_snare --mode regular@127.0.0.1:0 --conf "$T/scfg.yaml" -s "$T/scfg.lua" \
	--set "modify_headers=/~q/x-scfg-h/@$T/scfg-value.txt" \
	--set "map_local=|~d scfg.test|/static|$T/scfg-www" --set anticache; then
	notok good-options-start "$(cat "$SNARE_LOG")"
	exit 1
fi
ok good-options-start
# map_local is applied (served from the copy the coordinator read)
out=$(proxy_curl "http://scfg.test/static/sub/a.txt")
if [ "$out" = deeper ]; then ok map-local-applied; else notok map-local-applied "$out"; fi
check traffic-before-edit proxy_curl -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/"

# ---- editing the script: the reload is logged and the workers restart
printf 'function response(flow)\n  flow.response.headers:set("x-scfg", "2")\nend\n' >"$T/scfg.lua"
if wait_for "$SNARE_LOG" "Reloading script $T/scfg.lua" 10 &&
	wait_for "$SNARE_LOG" "configuration reloaded" 10; then
	ok script-edit-reloads
else
	notok script-edit-reloads "$(cat "$SNARE_LOG")"
fi
check traffic-after-reload proxy_curl -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/"
# the restarted workers took a configuration carrying the files
if grep -q "configuration reloaded" "$SNARE_LOG" && ! grep -qi "protocol violation\|cannot send its configuration" "$SNARE_LOG"; then
	ok workers-take-files
else
	notok workers-take-files "$(cat "$SNARE_LOG")"
fi

# ---- an edit that does not compile keeps the old text, with the error logged
printf 'function response(flow\n' >"$T/scfg.lua"
if wait_for "$SNARE_LOG" "reload failed: scripts: $T/scfg.lua:2:" 10; then
	ok bad-edit-keeps-old
else
	notok bad-edit-keeps-old "$(cat "$SNARE_LOG")"
fi
check traffic-after-bad-edit proxy_curl -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/"

# ---- an editor that writes a new file and renames it over the old one
printf 'function request(flow)\n  flow.comment = "3"\nend\n' >"$T/scfg.new"
chmod 644 "$T/scfg.new"
mv "$T/scfg.new" "$T/scfg.lua"
if wait_for_count "$SNARE_LOG" "configuration reloaded" 2 10; then
	ok rename-reloads
else
	notok rename-reloads "$(tail -5 "$SNARE_LOG")"
fi

# ---- a bad rewrite value in the configuration file on SIGHUP: logged, old kept
printf 'flow_detail: 1\nblock_list: ["/~d x.test/abc"]\n' >"$T/scfg.yaml"
kill -HUP "$SNARE_PID"
if wait_for "$SNARE_LOG" "reload failed: .*block_list: bad HTTP status" 10; then
	ok bad-reload-value-logged
else
	notok bad-reload-value-logged "$(tail -5 "$SNARE_LOG")"
fi
check traffic-after-bad-reload proxy_curl -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/"
if pid_alive "$SNARE_PID"; then ok still-running; else notok still-running "snare exited"; fi
stop_snare
