#!/bin/sh
# Prints the PG_* lines of .env for a host: memory in MB (default: this machine's) and storage (ssd or hdd).
# The rules and the reasons are in docs/production.md ("PostgreSQL tuning"); 4096 ssd gives compose's defaults.
# Usage: sh deploy/postgres/tuning/pg-tune.sh [memory-MB] [ssd|hdd]  >> .env
set -eu

mem_mb="${1:-$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)}"
storage="${2:-ssd}"

case "$mem_mb" in
    ''|*[!0-9]*) echo "pg-tune.sh: memory must be a whole number of MB, got '$mem_mb'" >&2; exit 2 ;;
esac
if [ "$mem_mb" -lt 1024 ]; then
    echo "pg-tune.sh: give PostgreSQL at least 1024 MB (got $mem_mb)" >&2
    exit 2
fi
case "$storage" in
    ssd) random_page_cost=1.1; io_concurrency=200 ;;
    hdd) random_page_cost=4; io_concurrency=2 ;;
    *) echo "pg-tune.sh: storage must be ssd or hdd, got '$storage'" >&2; exit 2 ;;
esac

# A size in MB as PostgreSQL reads it: whole GB when it divides evenly.
size() {
    if [ $(($1 % 1024)) -eq 0 ]; then echo "$(($1 / 1024))GB"; else echo "${1}MB"; fi
}
clamp() {
    v=$1
    [ "$v" -lt "$2" ] && v=$2
    [ "$v" -gt "$3" ] && v=$3
    echo "$v"
}

echo "# pg-tune.sh for ${mem_mb} MB, ${storage}"
echo "PG_SHARED_BUFFERS=$(size $((mem_mb / 4)))"
echo "PG_EFFECTIVE_CACHE_SIZE=$(size $((mem_mb * 3 / 4)))"
echo "PG_MAINTENANCE_WORK_MEM=$(size "$(clamp $((mem_mb / 16)) 64 2048)")"
echo "PG_WORK_MEM=$(size "$(clamp $((mem_mb / 256)) 4 256)")"
echo "PG_WAL_BUFFERS=16MB"
echo "PG_MAX_WAL_SIZE=4GB"
echo "PG_MIN_WAL_SIZE=1GB"
echo "PG_CHECKPOINT_TIMEOUT=15min"
echo "PG_CHECKPOINT_COMPLETION_TARGET=0.9"
echo "PG_RANDOM_PAGE_COST=${random_page_cost}"
echo "PG_EFFECTIVE_IO_CONCURRENCY=${io_concurrency}"
echo "PG_WAL_COMPRESSION=lz4"
echo "PG_SYNCHRONOUS_COMMIT=on"
echo "PG_MAX_CONNECTIONS=50"
