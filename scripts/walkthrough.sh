#!/usr/bin/env bash
# README's docker-compose walkthrough, run step by step, each answer checked: build the images,
# bring the cluster up, check the coordinator roles and both web UIs, deploy examples/web.json,
# reach it on its host port and through HAProxy (HTTP and HTTPS), scale it, kill a task's
# container and see it replaced, kill the leading master and see the other lead, tear everything
# down and check nothing is left, then come up clean once more and tear down again; last, run the
# same cluster secure (docker-compose.secure.yml: TLS and tokens) and deploy to it with the token.
# Needs Docker and Debian's docker-compose (installed when missing), curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

export COMPOSE_PROJECT_NAME=corral
began=$(date +%s)
step() { printf '\n== [%3d s] %s\n' "$(($(date +%s) - began))" "$*"; }
fail() { echo "walkthrough: FAILED: $*" >&2; docker-compose ps >&2 || true; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# Runs "$2" (a command) every half second until it succeeds, for at most "$1" seconds.
within() {
    local seconds=$1 deadline
    shift
    deadline=$(($(date +%s) + seconds))
    until "$@" >/dev/null 2>&1; do
        [[ $(date +%s) -lt $deadline ]] || return 1
        sleep 0.5
    done
}
# How marathon is called: plain at first, with the CA and the admin token in the secure part.
marathon=http://127.0.0.1:8080
call=(curl -sf)
app_json() { "${call[@]}" "$marathon/v2/apps/web"; }
running_healthy() {
    app_json | json "sum(1 for t in d['app']['tasks'] if t['state'] == 'TASK_RUNNING' and all(h['alive'] for h in t.get('healthCheckResults', [])) and t.get('healthCheckResults'))" | grep -qx "$1"
}
through_lb() { curl -sf -o /dev/null -H 'Host: web.corral.test' http://127.0.0.1/; }
all_healthy() {
    [[ $(docker-compose ps -q | wc -l) -eq 10 ]] && ! docker-compose ps | tail -n +3 | grep -qv '(healthy)'
}
nothing_left() {
    [[ -z $(docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME") ]] &&
        [[ -z $(docker ps -aq --filter label=corral.task_id) ]] &&
        [[ -z $(docker volume ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME") ]] &&
        [[ -z $(docker network ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME") ]]
}

command -v docker-compose >/dev/null 2>&1 || {
    sudo=""
    [[ "$(id -u)" -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq docker-compose >/dev/null
}
secure_compose() { docker-compose -f docker-compose.yml -f docker-compose.secure.yml "$@"; }
trap 'secure_compose down -v >/dev/null 2>&1 || true; rm -rf secure' EXIT

step "build the images (docker/build-images.sh)"
bash docker/build-images.sh

step "docker-compose up -d: every service healthy within 60 s"
docker-compose down -v >/dev/null 2>&1 || true
started=$(date +%s)
docker-compose up -d
within 60 all_healthy || fail "not every service became healthy within 60 s"
echo "healthy after $(($(date +%s) - started)) s"

step "the coordinator ensemble: one leader, two followers"
modes=$(for port in 2181 2182 2183; do curl -sf "127.0.0.1:$port/v1/status" | json "d['mode']"; done | sort | tr '\n' ' ')
echo "$modes"
[[ "$modes" == "follower follower leader " ]] || fail "coordinator modes: $modes"

step "the web UIs: the master on :5050, marathon on :8080"
curl -sf 127.0.0.1:5050/ | grep -q "Corral master" || fail "no master UI on :5050"
curl -sf 127.0.0.1:8080/ | grep -q "Marathon" || fail "no marathon UI on :8080"

step "POST examples/web.json: 201, two healthy tasks on 31xxx host ports"
status=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d @examples/web.json http://127.0.0.1:8080/v2/apps)
[[ $status == 201 ]] || fail "POST /v2/apps answered $status"
within 60 running_healthy 2 || fail "web did not get two healthy tasks"
read -r host port < <(app_json | json "' '.join([d['app']['tasks'][0]['host'], str(d['app']['tasks'][0]['ports'][0])])")
echo "a task on $host:$port"
[[ $port -ge 31000 && $port -lt 32000 ]] || fail "host port $port is not in 31000-32000"
curl -sf -o /dev/null "http://127.0.0.1:$port/" || fail "the task does not answer on 127.0.0.1:$port"
curl -sf -o /dev/null "http://$host:$port/" || fail "the task does not answer on $host:$port"

step "through HAProxy: http://127.0.0.1/ with Host web.corral.test, and HTTPS"
within 10 through_lb || fail "HAProxy does not route web.corral.test"
curl -sfk -o /dev/null --resolve web.corral.test:443:127.0.0.1 https://web.corral.test/ || fail "HTTPS does not answer"
# The certificate served is the one the lb generated at its first start (its work dir, /data).
docker cp "$(docker-compose ps -q lb):/data/default.pem" - | tar -xO > "${TMPDIR:-/tmp}/corral-lb-default.pem"
python3 - "${TMPDIR:-/tmp}/corral-lb-default.pem" <<'PY' || fail "HTTPS does not present the lb's certificate"
import re, ssl, sys
first = lambda pem: re.search(r"-----BEGIN CERTIFICATE-----(.*?)-----END", pem, re.S).group(1).split()
assert first(ssl.get_server_certificate(("127.0.0.1", 443))) == first(open(sys.argv[1]).read())
PY
echo "HTTPS presents the lb's certificate"

step "scale to 3"
curl -sf -X PUT -H 'Content-Type: application/json' -d '{"instances": 3}' http://127.0.0.1:8080/v2/apps/web >/dev/null
within 60 running_healthy 3 || fail "web did not scale to 3 healthy tasks"

step "docker kill a task's container: marathon replaces it, the lb routes to the new one"
before=$(app_json | json "sorted(t['id'] for t in d['app']['tasks'])")
docker kill "$(docker ps -q --filter label=corral.task_id | head -1)" >/dev/null
replaced() { running_healthy 3 && [[ $(app_json | json "sorted(t['id'] for t in d['app']['tasks'])") != "$before" ]]; }
within 60 replaced || fail "the killed task was not replaced"
within 10 through_lb || fail "HAProxy does not route web.corral.test after the replacement"

step "kill the leading master: the other leads within 10 s, the app keeps serving"
leader=$(curl -s -o /dev/null -w '%{redirect_url}' 127.0.0.1:5050/master/redirect)
case "$leader" in
    *:5050/) killed=master1 other=5060 ;;
    *:5060/) killed=master2 other=5050 ;;
    *) fail "no leading master named: $leader" ;;
esac
docker-compose kill "$killed" >/dev/null 2>&1
other_leads() { curl -sf "127.0.0.1:$other/master/state" | json "d['leader']" | grep -q ":$other"; }
started=$(date +%s)
within 10 other_leads || fail "the standby did not lead within 10 s"
echo "the master on :$other leads after $(($(date +%s) - started)) s"
through_lb || fail "HAProxy stopped routing web.corral.test"

step "docker-compose down -v: no container, network or volume left"
docker-compose down -v
nothing_left || fail "docker-compose down left something behind"

step "docker-compose up -d again: comes up clean"
docker-compose up -d
within 60 all_healthy || fail "not every service became healthy again within 60 s"
[[ $(curl -sf 127.0.0.1:8080/v2/apps | json "len(d['apps'])") == 0 ]] || fail "apps survived down -v"
docker-compose down -v
nothing_left || fail "the second docker-compose down left something behind"

step "secure: corral secure writes a CA, certificates and tokens; docker-compose.secure.yml uses them"
rm -rf secure
docker run --rm -v "$PWD/secure:/secure" corral/corral:latest corral secure --dir /secure \
    --name coordinator1 --name coordinator2 --name coordinator3 --name master1 --name master2 \
    --name marathon1 --name marathon2 --name lb --name 172.28.0.1
secure_compose up -d
within 90 all_healthy || fail "not every secure service became healthy within 90 s"
answer() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[[ $(answer http://127.0.0.1:8080/v2/apps) == 400 ]] || fail "plain HTTP to marathon was not refused"
[[ $(answer --cacert secure/tls/ca.pem https://127.0.0.1:8080/v2/apps) == 401 ]] || fail "no token, no 401"
marathon=https://127.0.0.1:8080
call=(curl -sf --cacert secure/tls/ca.pem -H "Authorization: Bearer $(cat secure/admin.token)")
status=$("${call[@]}" -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -d @examples/web.json "$marathon/v2/apps")
[[ $status == 201 ]] || fail "POST /v2/apps with the admin token answered $status"
within 90 running_healthy 2 || fail "web did not get two healthy tasks on the secure cluster"
within 20 through_lb || fail "HAProxy does not route web.corral.test on the secure cluster"
echo "deployed over TLS with the admin token; routed by the lb, which reads marathon over TLS"
secure_compose down -v
nothing_left || fail "the secure docker-compose down left something behind"

echo
echo "walkthrough: every step passed"
