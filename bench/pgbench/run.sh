#!/usr/bin/env bash
# Runs the plain-INSERT ceiling and the one-entry posting script at 1, 8 and 32 clients, alternating
# the two in ROUNDS short runs each (so that load from elsewhere on the machine hits both alike), and
# prints the median tps of each and the posting rate as % of the ceiling.
# Usage: PGHOST=… PGPORT=… PGUSER=… bench/pgbench/run.sh DBNAME [SECONDS] [ROUNDS] [CLIENTS…]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
db=${1:?database}; secs=${2:-5}; rounds=${3:-3}; shift 3 || shift $#
clients=("$@"); [ ${#clients[@]} -eq 0 ] && clients=(1 8 32)
pgbench=${PGBENCH:-/usr/lib/postgresql/15/bin/pgbench}
psql=${PSQL:-/usr/lib/postgresql/15/bin/psql}
tps() { "$pgbench" -n -M extended -c "$2" -j "$(( $2 < 2 ? 1 : 2 ))" -T "$secs" -f "$here/$1" "$db" 2>&1 | sed -n 's/^tps = \([0-9.]*\) .*/\1/p'; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
printf '%-8s %12s %12s %8s   %s\n' clients plain_tps post_tps pct 'runs (plain/post)'
for c in "${clients[@]}"; do
    ps=(); qs=()
    for ((r = 0; r < rounds; r++)); do
        "$psql" -qAtc 'CHECKPOINT' "$db"
        ps+=("$(tps plain_insert.sql "$c")")
        qs+=("$(tps post_entry.sql "$c")")
    done
    p=$(median "${ps[@]}"); q=$(median "${qs[@]}")
    runs=""; for ((r = 0; r < rounds; r++)); do runs+=" $(printf '%.0f/%.0f' "${ps[r]}" "${qs[r]}")"; done
    printf '%-8s %12.0f %12.0f %7.1f%%  %s\n' "$c" "$p" "$q" "$(echo "100*$q/$p" | bc -l)" "$runs"
done
