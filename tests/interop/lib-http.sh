# Shared by the update tests that need a loopback HTTP server; sourced after
# tests/lib.sh (it uses $T, need and fail).
#
# http_serve DIR [STOP_NAME]: serves DIR with python3's http.server on
# 127.0.0.1 and a random port, in the background; sets $port and $http_pid
# and stops the server when the test exits. A request for a path ending in
# /STOP_NAME gets "200 OK" with a Content-Length of 12000000 and then only
# 3000000 random bytes before the connection is closed (a server that stops
# mid-file); the file need not exist.
http_serve() {
        local dir=$1 stop=${2:-}
        need python3 curl
        cat >"$T/http-server.py" <<'PY'
import http.server, os, sys
port, root, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if stop and self.path.endswith("/" + stop):
            self.send_response(200)
            self.send_header("Content-Length", "12000000")
            self.end_headers()
            self.wfile.write(os.urandom(3000000))
            self.wfile.flush()
            self.close_connection = True
            return
        return super().do_GET()
    def log_message(self, *a):
        pass
os.chdir(root)
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
        port=$((20000 + RANDOM % 20000))
        python3 "$T/http-server.py" "$port" "$dir" "$stop" >"$T/http.log" 2>&1 &
        http_pid=$!
        trap 'kill $http_pid 2>/dev/null || true' EXIT
        for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && return 0; sleep 0.1; done
        fail "the HTTP server for $dir did not start on port $port: $(cat "$T/http.log")"
}
