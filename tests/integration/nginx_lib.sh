# shellcheck shell=bash
# A real nginx on loopback over HTTPS, for the signed-document tests (issue
# 13): its own config, prefix, logs and temp dirs under $T (nothing in /etc
# is read or changed), the dirserver's test CA for its certificate, stopped
# by pid. Source after lib.sh (and sandbox_enter); call nginx_start DIR.

NGINX_PID=
NGINX_PORT=

# nginx_certs: the test CA and a 127.0.0.1 server certificate (openssl).
nginx_certs() {
	[ -s "$T/certs/server.pem" ] || python3 "$PROV_SRC/tests/dirserver/dirserver.py" gencerts "$T/certs" >/dev/null
}

# nginx_start ROOT [WORKERS]: serves ROOT on https://127.0.0.1:$NGINX_PORT/
# with ETags (so a host's conditional GET gets a 304) and gzip for JSON.
# WORKERS: nginx worker processes (default 1).
nginx_start() {
	local root=$1 workers=${2:-1} d=$T/nginx i
	command -v nginx >/dev/null || { echo "nginx is not installed (scripts/install-deps.sh)" >&2; return 1; }
	nginx_certs
	mkdir -p "$d/logs" "$d/tmp"
	NGINX_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat > "$d/nginx.conf" <<CONF
worker_processes $workers;
worker_rlimit_nofile 65536;
pid $d/nginx.pid;
error_log $d/logs/error.log;
events { worker_connections 16384; }
http {
	access_log ${NGINX_ACCESS_LOG:-$d/logs/access.log};
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	types { application/json json; text/plain sig; }
	default_type application/octet-stream;
	etag on;
	gzip on;
	gzip_types application/json;
	# A pre-compressed <file>.gz next to a file is served as is (what a
	# CDN or object store serves too); without one nginx compresses.
	gzip_static on;
	keepalive_requests 1000000;
	server {
		listen 127.0.0.1:$NGINX_PORT ssl;
		ssl_certificate $T/certs/server.pem;
		ssl_certificate_key $T/certs/server.key;
		root $root;
	}
}
CONF
	nginx -e "$d/logs/error.log" -p "$d" -c "$d/nginx.conf" -g 'daemon off;' &
	NGINX_PID=$!
	for i in $(seq 100); do
		curl -s -o /dev/null --cacert "$T/certs/ca.pem" "https://127.0.0.1:$NGINX_PORT/" && return 0
		kill -0 "$NGINX_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "nginx did not start:" >&2
	cat "$d/logs/error.log" >&2
	return 1
}

nginx_stop() {
	if [ -n "$NGINX_PID" ]; then
		kill "$NGINX_PID" 2>/dev/null || true
		wait "$NGINX_PID" 2>/dev/null || true
		NGINX_PID=
	fi
}
