#!/usr/bin/env bash
# Development entry points of relationship_health: `demo`, `test`, `bench`.
#
# Needs Odoo 18.0 importable by python3 (`python3 -c "import odoo"`).
# PostgreSQL comes from Debian's packages: when none answers on
# $PGHOST:$PGPORT it is installed (apt-get) and started, with a role that
# may create databases.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-python3}
export PGHOST=${PGHOST:-localhost} PGPORT=${PGPORT:-5432}
export PGUSER=${PGUSER:-odoo} PGPASSWORD=${PGPASSWORD:-odoo}
MODULE=relationship_health
DEMO_DB=${DEMO_DB:-relationship_health_demo}
HTTP_PORT=${HTTP_PORT:-8069}

say() { printf '\n==> %s\n' "$*"; }
die() { printf '\nERROR: %s\n' "$*" >&2; exit 1; }

require_odoo() {
  "$PY" - <<'PY' || die "Odoo 18.0 is not importable by $PY. Install Odoo 18.0 from source into this Python (see README, Requirements) and try again."
import odoo, sys
sys.exit(0 if odoo.release.version_info[:2] == (18, 0) else 1)
PY
}

addons_path() {
  "$PY" - "$ROOT" <<'PY'
import os, sys, odoo
paths = list(odoo.addons.__path__)
community = os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "addons")
if os.path.isdir(community):
    paths.insert(0, community)
paths.append(sys.argv[1])
extra = os.environ.get("EXTRA_ADDONS_PATH")
print(",".join(([extra] if extra else []) + paths))
PY
}

python_deps() {
  if ! "$PY" -c 'import pandas, polib, pytest_odoo, websocket' >/dev/null 2>&1; then
    say "Installing Python dependencies (requirements-dev.txt)"
    "$PY" -m pip install -q -r "$ROOT/requirements-dev.txt"
  fi
}

pg_answers() { pg_isready -q -h "$PGHOST" -p "$PGPORT" >/dev/null 2>&1; }

ensure_postgres() {
  if ! command -v pg_isready >/dev/null 2>&1 || ! pg_answers; then
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
      say "Installing PostgreSQL from Debian's packages"
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    local version
    version=$(ls /usr/lib/postgresql | sort -n | tail -1)
    if ! pg_lsclusters -h | grep -q "^$version main"; then
      pg_createcluster "$version" main >/dev/null
    fi
    say "Starting PostgreSQL $version"
    pg_ctlcluster "$version" main start || true
    for _ in $(seq 30); do pg_answers && break; sleep 1; done
    pg_answers || die "PostgreSQL does not answer on $PGHOST:$PGPORT"
  fi
  # Odoo refuses the postgres superuser: use a role that may create databases.
  if ! psql -d postgres -Atc 'select 1' >/dev/null 2>&1; then
    su postgres -c "psql -q -d postgres -c \"DO \\\$\\\$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PGUSER') THEN
          CREATE ROLE \\\"$PGUSER\\\" LOGIN CREATEDB PASSWORD '$PGPASSWORD';
        ELSE
          ALTER ROLE \\\"$PGUSER\\\" LOGIN CREATEDB PASSWORD '$PGPASSWORD';
        END IF; END \\\$\\\$;\"" \
      || die "could not create the PostgreSQL role $PGUSER"
  fi
}

odoo_db_args() {
  echo "--db_host=$PGHOST --db_port=$PGPORT --db_user=$PGUSER --db_password=$PGPASSWORD"
}

# Install the addon into a new database and fail on any WARNING/ERROR in the log.
install_checked() {
  local db=$1 log=$2; shift 2
  dropdb --if-exists "$db" 2>/dev/null
  "$PY" -m odoo --addons-path="$(addons_path)" $(odoo_db_args) -d "$db" \
    -i "$MODULE" --stop-after-init --log-level=info --no-http "$@" >"$log" 2>&1 \
    || { tail -50 "$log"; die "installing $MODULE failed (log: $log)"; }
  if grep -En '^[0-9-]+ [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) ' "$log"; then
    die "the install log of $MODULE has warnings or errors (log: $log)"
  fi
  grep -q "Loading module $MODULE\|module $MODULE: creating or updating" "$log" \
    || die "$MODULE was not installed (log: $log)"
}

cmd_demo() {
  require_odoo; python_deps; ensure_postgres
  local log=/tmp/$DEMO_DB-install.log
  say "Creating database $DEMO_DB with $MODULE and its demo data"
  install_checked "$DEMO_DB" "$log"
  say "Odoo is starting on http://localhost:$HTTP_PORT (database $DEMO_DB, login admin / admin)"
  exec "$PY" -m odoo --addons-path="$(addons_path)" $(odoo_db_args) -d "$DEMO_DB" \
    --db-filter="^$DEMO_DB\$" --http-port="$HTTP_PORT"
}

cmd_test() {
  require_odoo; python_deps; ensure_postgres
  # The browser tests (tests/test_ui_tours.py) run Odoo tours in headless
  # Chromium, found on the PATH by Odoo, driven with websocket-client
  # (requirements-dev.txt).
  local browser="" candidate
  for candidate in google-chrome chromium chromium-browser google-chrome-stable; do
    command -v "$candidate" >/dev/null 2>&1 && { browser=$candidate; break; }
  done
  if [ -z "$browser" ]; then
    say "Installing Chromium from Debian's packages (browser tests)"
    apt-get update -qq >/dev/null || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
      && command -v chromium >/dev/null 2>&1 \
      || die "could not install Chromium: the browser tests cannot run"
  fi
  TEST_DB="${MODULE}_test_$$"
  local db=$TEST_DB log="/tmp/${MODULE}_test_$$-install.log" status=0
  trap 'dropdb --if-exists "$TEST_DB" >/dev/null 2>&1 || true' EXIT
  say "Installing $MODULE with demo data into the throwaway database $db"
  local started=$SECONDS
  install_checked "$db" "$log"
  say "Installed in $((SECONDS - started)) s, with no warning or error in the log"
  say "Running tests/ with pytest-odoo"
  cd "$ROOT"
  "$PY" -m pytest tests "$@" \
    --odoo-database="$db" --odoo-addons-path="$(addons_path)" \
    --odoo-extra="db_host=$PGHOST" --odoo-extra="db_port=$PGPORT" \
    --odoo-extra="db_user=$PGUSER" --odoo-extra="db_password=$PGPASSWORD" \
    --odoo-log-level=warn --odoo-extra=test-file=/dev/null --odoo-http || status=$?
  return $status
}

cmd_bench() {
  require_odoo; python_deps; ensure_postgres
  cd "$ROOT"
  "$PY" -m tools.bench --addons-path="$(addons_path)" "$@"
}

case "${1:-}" in
  demo) shift; cmd_demo "$@" ;;
  test) shift; cmd_test "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  *) echo "usage: $0 demo|test|bench [args]" >&2; exit 2 ;;
esac
