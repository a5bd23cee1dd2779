# Sourced by scripts/bench and scripts/instructions: wait for a server at $BASE, sign in once per
# scheme through the real routes ($WORK holds the cookie jars), and name the six endpoints measured.

ENDPOINTS=(healthz cookie session token jwt_me jwt_claims)

wait_until_up() {
  for _ in $(seq 1 "${1:-100}"); do
    curl -fs "$BASE/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  curl -fs "$BASE/healthz" >/dev/null
}

form_login() { # $1 = scheme prefix, $2 = cookie name → the cookie's value
  local jar="$WORK/$2.jar" token
  token=$(curl -fs -c "$jar" -b "$jar" "$BASE$1" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
  curl -fs -o /dev/null -c "$jar" -b "$jar" -X POST "$BASE$1/login" \
    --data-urlencode "csrf_token=$token" --data-urlencode "email=alice@example.com" --data-urlencode "password=alice-pass-123"
  awk -v name="$2" '$6 == name { print $7 }' "$jar"
}
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# The access token lives 5 minutes of lab time; a long run asks for a fresh one before each JWT run.
fresh_access() {
  curl -fs -X POST "$BASE/jwt/api/token" -H 'Content-Type: application/json' \
    -d '{"email": "alice@example.com", "password": "alice-pass-123"}' | json_field access
}

sign_in_all() { # sets COOKIE, SESSION, TOKEN and ACCESS
  COOKIE=$(form_login /cookie authlab_cookie)
  SESSION=$(form_login /session sessionid)
  TOKEN=$(curl -fs -X POST "$BASE/token/api/login" -H 'Content-Type: application/json' \
    -d '{"username": "alice@example.com", "password": "alice-pass-123"}' | json_field token)
  ACCESS=$(fresh_access)
  [ -n "$COOKIE" ] && [ -n "$SESSION" ] && [ -n "$TOKEN" ] && [ -n "$ACCESS" ] || { echo "could not log in" >&2; exit 1; }
}

path_of() {
  case $1 in
    healthz) echo /healthz ;; cookie) echo /cookie/api/me ;; session) echo /session/api/me ;;
    token) echo /token/api/me ;; jwt_me) echo /jwt/api/me ;; jwt_claims) echo /jwt/api/claims ;;
  esac
}
header_of() {
  case $1 in
    healthz) echo "X-Bench: baseline" ;;
    cookie) echo "Cookie: authlab_cookie=$COOKIE" ;;
    session) echo "Cookie: sessionid=$SESSION" ;;
    token) echo "Authorization: Token $TOKEN" ;;
    jwt_me|jwt_claims) echo "Authorization: Bearer $ACCESS" ;;
  esac
}
