#!/bin/bash
# caddy.sh DIR PORT [CERT KEY] - Caddy 2 file_server, HTTP/2 over TLS; PUSH via the push directive.
# CADDY: the binary (default: caddy on PATH, Debian's 2.6).
# GOMAXPROCS follows CPUS (Go reads the affinity).
. "$(dirname "$0")/common.sh"
bin=${CADDY:-caddy}
persist="persist_config off"  # a global option from Caddy 2.7 on
"$bin" version | grep -Eq '^v?2\.[0-6]\.' && persist=""
push=""
if [ -n "$PUSH_PAGE" ]; then push="push $PUSH_PAGE {"; for a in $PUSH; do push="$push
		$a"; done; push="$push
	}"; fi
cat >"$RUN/Caddyfile" <<CONF
{
	admin off
	$persist
	auto_https disable_redirects
	skip_install_trust
	storage file_system $RUN/data
	servers {
		protocols h1 h2
	}
}
https://127.0.0.1:$PORT {
	bind 127.0.0.1
	tls $CERT $KEY
	root * $DIR
	$(printf "$push")
	file_server
}
CONF
export HOME=$RUN XDG_DATA_HOME=$RUN/data XDG_CONFIG_HOME=$RUN/config
start "$bin" run --adapter caddyfile --config "$RUN/Caddyfile"
