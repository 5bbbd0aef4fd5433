#!/bin/sh
# Makes a self-signed TLS certificate at TLS_CERT/TLS_KEY when none is there, so HTTPS works on first start.
# A mounted real certificate (both files present) is never touched. The official nginx image runs this
# from /docker-entrypoint.d/ before nginx starts; test/harness/nginx.ts runs the same file natively.
set -eu

cert="${TLS_CERT:?TLS_CERT must name the certificate file}"
key="${TLS_KEY:?TLS_KEY must name the private key file}"
cn="${TLS_SELF_SIGNED_CN:-localhost}"

if [ -s "$cert" ] && [ -s "$key" ]; then
    echo "tickwatch: using the TLS certificate at $cert"
    exit 0
fi
if [ -e "$cert" ] || [ -e "$key" ]; then
    echo "tickwatch: only one of $cert and $key exists; mount both or neither" >&2
    exit 1
fi

mkdir -p "$(dirname "$cert")" "$(dirname "$key")"
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 825 \
    -subj "/CN=$cn" \
    -addext "subjectAltName=DNS:$cn,DNS:localhost,IP:127.0.0.1" \
    -keyout "$key" -out "$cert" 2>/dev/null
chmod 644 "$cert"
echo "tickwatch: made a self-signed certificate for $cn at $cert (mount a real one for production)"
