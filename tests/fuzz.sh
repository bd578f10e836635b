#!/bin/sh
# `make fuzz`: schemathesis with all its checks against a live server holding the real data, once
# anonymous and once as an admin. Exits non-zero on any failure. Its own SQLite database and a free
# port, so it touches nothing else; FUZZ_EXAMPLES cases per operation and phase (default 40).
set -eu
PY=${PY:-.venv/bin/python}
ST=${ST:-.venv/bin/schemathesis}
EXAMPLES=${FUZZ_EXAMPLES:-40}
SEED=${FUZZ_SEED:-7}
WORK=$(mktemp -d /tmp/registry-fuzz.XXXXXX)
export DATABASE_URL="sqlite:///$WORK/fuzz.sqlite3"
# The anonymous limit would turn the run into 429s; everything else as in production.
export REGISTRY_ANON_RATE=1000000/minute
# The signed-in limit too: the admin run sends thousands of requests a minute.
export REGISTRY_USER_RATE=1000000/minute
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

echo "fuzz: loading the real data into $WORK (about a minute)"
$PY manage.py migrate --noinput -v0
$PY manage.py load_registry_data >"$WORK/load.log"
PASSWORD=$($PY -c 'import secrets; print(secrets.token_urlsafe(24))')
DJANGO_SUPERUSER_PASSWORD=$PASSWORD $PY manage.py createsuperuser --noinput --username fuzz-admin --email fuzz@example.org
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$PY manage.py runserver "127.0.0.1:$PORT" --noreload >"$WORK/server.log" 2>&1 &
SERVER=$!
BASE="http://127.0.0.1:$PORT"
TOKEN=$($PY - "$BASE" "$PASSWORD" <<'PYTHON'
import json, sys, time, urllib.request
base, password = sys.argv[1], sys.argv[2]
for _ in range(60):
    try:
        request = urllib.request.Request(
            f"{base}/api/auth/token/",
            data=json.dumps({"username": "fuzz-admin", "password": password}).encode(),
            headers={"Content-Type": "application/json"},
        )
        print(json.load(urllib.request.urlopen(request))["token"])
        break
    except OSError:
        time.sleep(1)
else:
    sys.exit("fuzz: the server did not start")
PYTHON
)
STATUS=0
echo "fuzz: anonymous, $EXAMPLES cases per operation and phase, seed $SEED"
$ST run "$BASE/api/schema/" --checks all -n "$EXAMPLES" --seed "$SEED" --workers 2 --no-color \
  --generation-database none || STATUS=1
echo "fuzz: as an admin, $EXAMPLES cases per operation and phase, seed $SEED"
$ST run "$BASE/api/schema/" --checks all -n "$EXAMPLES" --seed "$SEED" --workers 2 --no-color \
  --generation-database none -H "Authorization: Token $TOKEN" || STATUS=1
exit $STATUS
