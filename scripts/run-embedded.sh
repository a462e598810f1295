#!/usr/bin/env bash
# The embedded first run: the Django development server and one Celery worker
# (with beat) on the filesystem broker, side by side. Ctrl-C stops both.
set -euo pipefail

cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
HOST="${HIM_HOST:-127.0.0.1}"
PORT="${HIM_PORT:-8000}"
mkdir -p var

pids=()

alive() { # alive PID...: is any of these still running (a zombie is not)?
    local pid stat
    for pid in "$@"; do
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        stat=${stat##*) }
        [ "${stat%% *}" != Z ] && return 0
    done
    return 1
}

cleanup() {
    trap - INT TERM EXIT
    local pid
    # First the two main processes: Celery then stops its own pool (a warm
    # shutdown), and runserver's reloader exits.
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for _ in $(seq 50); do
        alive "${pids[@]}" || break
        sleep 0.2
    done
    # Then whatever is left in their process groups (each child was started with
    # setsid, so it leads its own): runserver's autoreloaded child, a pool
    # process that did not finish in time.
    for pid in "${pids[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null || true
    done
    sleep 0.5
    for pid in "${pids[@]}"; do
        kill -KILL -- "-$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap 'exit 130' INT
trap 'exit 143' TERM
trap cleanup EXIT

setsid "$VENV/bin/celery" -A him worker -B -l info --concurrency 2 \
    -s var/celerybeat-schedule &
pids+=("$!")

setsid "$VENV/bin/python" manage.py runserver "$HOST:$PORT" &
pids+=("$!")

echo "HIM is starting at http://$HOST:$PORT/ (web server and Celery worker; Ctrl-C stops both)"

# Either one ending (a crash, say) ends the run: a site without its worker
# would accept reports it never produces.
status=0
wait -n || status=$?
echo "run-embedded: a process exited (status $status); stopping the other" >&2
exit "$status"
