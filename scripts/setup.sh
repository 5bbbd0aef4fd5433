#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to run Tickwatch's test suite; safe to run again (it skips what is there).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Debian packages: PostgreSQL server, Redis, nginx, Chromium (end-to-end tests), openssl (TLS certificates),
# wget (the Compose healthchecks are exercised for real).
missing=()
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v chromium >/dev/null || missing+=(chromium)
command -v openssl >/dev/null || missing+=(openssl)
command -v wget >/dev/null || missing+=(wget)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  $SUDO apt-get update -q
  # With recommends: Chromium needs the fonts they bring to render pages as people see them.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
else
  say "system packages present"
fi
# The packages start system-wide services; the tests start their own servers on free ports instead.
for svc in postgresql redis-server nginx; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then $SUDO systemctl stop "$svc" || true; fi
done

# Centrifugo v6.2.3 for running the services natively. Optional for the tests: where the Go module proxy
# refuses the module (as on the project's build machines), say so and go on.
GOBIN_DIR="$(command -v go >/dev/null && go env GOPATH || echo "$HOME/go")/bin"
if command -v centrifugo >/dev/null || [ -x "$GOBIN_DIR/centrifugo" ]; then
  say "centrifugo present"
elif command -v go >/dev/null; then
  if timeout 600 go install github.com/centrifugal/centrifugo/v6@v6.2.3 2>/tmp/tickwatch-centrifugo-install.log; then
    say "installed centrifugo into $GOBIN_DIR"
  else
    say "could not install Centrifugo v6.2.3 ($(tail -n 1 /tmp/tickwatch-centrifugo-install.log)); the test suite does not need it"
  fi
else
  say "no Go toolchain: skipping Centrifugo (the test suite does not need it)"
fi

# npm dependencies, exactly as locked.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund
else
  say "npm dependencies present"
fi
