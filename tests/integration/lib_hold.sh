# Helpers for the intercept tests (sourced after lib.sh): snare-web's API
# as the page uses it.  The caller sets B (the web base URL), JAR (the
# session cookie jar) and CSRF (from /api/state, after api works).
api() { curl -sS --max-time 30 -b "$JAR" "$B$1"; }
# change METHOD PATH [JSON]: a state-changing request; prints the body, then
# the status on the last line.
change() {
	curl -sS --max-time 30 -b "$JAR" -H "X-CSRF-Token: $CSRF" -X "$1" ${3:+--data-binary "$3"} \
		-w '\n%{http_code}' "$B$2"
}
jq_() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
held() { api /api/state | jq_ 'd["held"]'; }
# wait_held N: until the ui counts N held flows (20 s).
wait_held() {
	local i
	for i in $(seq 1 400); do
		[ "$(held 2>/dev/null)" = "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
# held_id: the id of the (only) intercepted flow in the list.
held_id() {
	api "/api/flows?limit=500" |
		jq_ '[f["id"] for f in d["flows"] if f["intercepted"]][0]'
}
# edit_resume ID JSON: the held flow ID edited with JSON, then resumed.
edit_resume() {
	change PUT "/api/flows/$1" "$2" >/dev/null
	change POST "/api/flows/$1/resume" >/dev/null
}
# client_gone NAME PID: the held flow of curl PID is released once curl is
# killed (it is held first).
client_gone() {
	if wait_held 1; then
		kill "$2"
		wait "$2" 2>/dev/null
		wait_held 0 && ok "$1" || notok "$1" "held=$(held)"
	else
		notok "$1" "the flow was not held first"
	fi
}
# web_session NAME: once snare-web (its log in WLOG) listens, B is its base URL, JAR holds the
# session (the token login), CSRF is set, and the ca's certificate is in $T/conf; false (with
# "not ok NAME-web-start") when it does not start.
web_session() {
	wait_for "$WLOG" "Web server listening at" 20 || { notok "$1-web-start" "$(cat "$WLOG")"; return 1; }
	wait_for "$WLOG" "listening at" 10
	B=http://127.0.0.1:$(grep -m1 -oE 'http://[0-9.]+:[0-9]+' "$WLOG" | grep -oE '[0-9]+$')
	curl -s -o /dev/null -c "$JAR" "$B/?token=$(grep -m1 -oE 'token=[0-9a-f]+' "$WLOG" | cut -d= -f2)"
	CSRF=$(api /api/state | jq_ 'd["csrf"]')
	for _ in $(seq 1 100); do [ -f "$T/conf/snare-ca-cert.pem" ] && break; sleep 0.05; done
}
