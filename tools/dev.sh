#!/usr/bin/env bash
# Development entry points of relationship_health: `demo`, `test`,
# `test-host [--baseline]`, `bench`.
#
# Needs Odoo 18.0 importable by python3 (`python3 -c "import odoo"`).
# The OCA addons the bridges build on (oca-addons.txt) are downloaded from
# PyPI as wheels and unpacked into .oca/addons/, never pip-installed (their
# metadata requires an `odoo` distribution that must not be installed).
# PostgreSQL comes from Debian's packages: when none answers on
# $PGHOST:$PGPORT it is installed (apt-get) and started, with a role that
# may create databases.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-python3}
export PGHOST=${PGHOST:-localhost} PGPORT=${PGPORT:-5432}
export PGUSER=${PGUSER:-odoo} PGPASSWORD=${PGPASSWORD:-odoo}
MODULE=relationship_health
OCA_SPECS=$ROOT/oca-addons.txt
OCA_ADDONS=$ROOT/.oca/addons
OCA_CACHE=${OCA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/relationship_health/oca-wheels}
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
oca = os.path.join(sys.argv[1], ".oca", "addons")
if os.path.isdir(oca):
    paths.append(oca)
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

# Unpack the OCA addons of oca-addons.txt into .oca/addons/ when missing or
# when the list changed. Wheels are kept in $OCA_CACHE: a wheel already there
# that satisfies a requirement is used without asking PyPI.
oca_addons() {
  [ -f "$OCA_SPECS" ] || return 0
  if [ -f "$OCA_ADDONS/.specs" ] && cmp -s "$OCA_SPECS" "$OCA_ADDONS/.specs"; then
    return 0
  fi
  say "Fetching the OCA addons of oca-addons.txt into .oca/addons"
  mkdir -p "$OCA_CACHE"
  "$PY" - "$OCA_SPECS" "$OCA_CACHE" "$OCA_ADDONS" <<'PY' || die "could not fetch the OCA addons of oca-addons.txt (see above): PyPI must be reachable the first time, or put their wheels in $OCA_CACHE"
import os, shutil, subprocess, sys, tempfile, zipfile
try:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name, parse_wheel_filename
except ImportError:  # pip always ships it
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name, parse_wheel_filename

specs_file, cache, target = sys.argv[1:4]


def cached(req):
    """The newest cached wheel satisfying ``req`` (path, version) or None."""
    best = None
    for name in os.listdir(cache):
        if not name.endswith(".whl"):
            continue
        dist, version, _build, _tags = parse_wheel_filename(name)
        if canonicalize_name(dist) == canonicalize_name(req.name) and \
                req.specifier.contains(version, prereleases=True):
            if best is None or version > best[1]:
                best = (os.path.join(cache, name), version)
    return best


specs = []
with open(specs_file) as lines:
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            specs.append(Requirement(line))
os.makedirs(os.path.dirname(target), exist_ok=True)
staging = tempfile.mkdtemp(prefix="addons-", dir=os.path.dirname(target))
try:
    for req in specs:
        found = cached(req)
        if not found:
            run = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                 "-q", "-d", cache, str(req)],
                capture_output=True, text=True,
            )
            found = cached(req)
            if run.returncode or not found:
                errors = [line for line in run.stderr.splitlines() if "is ignored" not in line]
                sys.exit(f"pip could not download {req}:\n" + "\n".join(errors))
        wheel, version = found
        with zipfile.ZipFile(wheel) as archive:
            members = [m for m in archive.namelist() if m.startswith("odoo/addons/")]
            if not any(m.endswith("/__manifest__.py") for m in members):
                sys.exit(f"{os.path.basename(wheel)} holds no Odoo addon")
            archive.extractall(staging, members)
        print(f"  {req.name} {version}")
    # Replace the whole folder: an addon dropped from the list goes away too.
    unpacked = os.path.join(staging, "odoo", "addons")
    shutil.copyfile(specs_file, os.path.join(unpacked, ".specs"))
    shutil.rmtree(target, ignore_errors=True)
    shutil.move(unpacked, target)
finally:
    shutil.rmtree(staging, ignore_errors=True)
PY
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
    # As the postgres superuser over the local socket: not as $PGUSER, which
    # may not exist yet (su keeps the PG* variables of this script).
    env -u PGHOST -u PGUSER -u PGPASSWORD -u PGDATABASE \
      su postgres -c "psql -q -p $PGPORT -d postgres -c \"DO \\\$\\\$ BEGIN
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

# The addons of this repository: every folder at its root holding a
# __manifest__.py (relationship_health first, then its bridges).
repo_addons() {
  local manifest name
  [ -f "$ROOT/$MODULE/__manifest__.py" ] && echo "$MODULE"
  for manifest in "$ROOT"/*/__manifest__.py; do
    name=$(basename "$(dirname "$manifest")")
    [ "$name" = "$MODULE" ] || echo "$name"
  done
}

bridges() { repo_addons | grep -vx "$MODULE" || true; }

# Install addons (comma-separated) into a new database and fail on any
# WARNING/ERROR in the log. Extra arguments go to Odoo (e.g. --without-demo=all).
install_checked() {
  local db=$1 log=$2 modules=$3 module; shift 3
  dropdb --if-exists "$db" 2>/dev/null
  "$PY" -m odoo --addons-path="$(addons_path)" $(odoo_db_args) -d "$db" \
    -i "$modules" --stop-after-init --log-level=info --no-http "$@" >"$log" 2>&1 \
    || { tail -50 "$log"; die "installing $modules failed (log: $log)"; }
  if grep -En '^[0-9-]+ [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) ' "$log"; then
    die "the install log of $modules has warnings or errors (log: $log)"
  fi
  for module in ${modules//,/ }; do
    grep -q "Loading module $module (\|module $module: creating or updating" "$log" \
      || die "$module was not installed (log: $log)"
  done
}

# Throwaway databases of this run, dropped on exit whatever happens.
THROWAWAY_DBS=()
drop_throwaway_dbs() {
  local db
  for db in "${THROWAWAY_DBS[@]}"; do
    dropdb --if-exists "$db" >/dev/null 2>&1 || true
    [ -z "${DROP_FILESTORES:-}" ] || rm -rf "$(filestore "$db")"
  done
}

# The folder of a database's attachments.
filestore() {
  "$PY" -c 'import sys; from odoo.tools import config; print(config.filestore(sys.argv[1]))' "$1"
}

# Each bridge alone, with its dependencies only and no demo data, in a
# throwaway database of its own: $BRIDGE_JOBS (default 2) at a time.
install_bridges_alone() {
  local jobs=${BRIDGE_JOBS:-2} bridge pids=() names=() failed=() i=0 started=$SECONDS
  local -a list
  mapfile -t list < <(bridges)
  [ ${#list[@]} -gt 0 ] || return 0
  say "Installing each bridge alone (its dependencies only, no demo data), $jobs at a time"
  for bridge in "${list[@]}"; do
    local db="${MODULE}_test_$$_$i" log="/tmp/${MODULE}_test_$$-$bridge.log"
    THROWAWAY_DBS+=("$db")
    i=$((i + 1))
    (
      begun=$SECONDS
      install_checked "$db" "$log" "$bridge" --without-demo=all
      dropdb --if-exists "$db" >/dev/null 2>&1 || true
      printf '    %-50s installed alone in %3d s, log clean\n' "$bridge" $((SECONDS - begun))
    ) &
    pids+=($!); names+=("$bridge")
    if [ ${#pids[@]} -ge "$jobs" ]; then
      wait "${pids[0]}" || failed+=("${names[0]}")
      pids=("${pids[@]:1}"); names=("${names[@]:1}")
    fi
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed+=("${names[$i]}")
  done
  say "Bridges installed alone in $((SECONDS - started)) s"
  [ ${#failed[@]} -eq 0 ] || die "installing alone failed for: ${failed[*]} (logs: /tmp/${MODULE}_test_$$-<bridge>.log)"
}

cmd_demo() {
  require_odoo; python_deps; oca_addons; ensure_postgres
  local log=/tmp/$DEMO_DB-install.log modules
  modules=$(repo_addons | paste -sd,)
  say "Creating database $DEMO_DB with $modules and their demo data"
  install_checked "$DEMO_DB" "$log" "$modules"
  say "Odoo is starting on http://localhost:$HTTP_PORT (database $DEMO_DB, login admin / admin)"
  exec "$PY" -m odoo --addons-path="$(addons_path)" $(odoo_db_args) -d "$DEMO_DB" \
    --db-filter="^$DEMO_DB\$" --http-port="$HTTP_PORT"
}

ensure_browser() {
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
}

cmd_test() {
  require_odoo; python_deps; oca_addons; ensure_postgres
  # The browser tests (tests/test_ui_tours.py) run Odoo tours in headless
  # Chromium, found on the PATH by Odoo, driven with websocket-client
  # (requirements-dev.txt).
  ensure_browser
  # The service-level report's PDF test needs wkhtmltopdf (Debian's package);
  # without it that test is skipped and the HTML rendering is still tested.
  if ! command -v wkhtmltopdf >/dev/null 2>&1; then
    say "Installing wkhtmltopdf from Debian's packages (PDF reports)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wkhtmltopdf >/dev/null 2>&1 \
      || say "could not install wkhtmltopdf: the PDF test will be skipped"
  fi
  local db="${MODULE}_test_$$" log="/tmp/${MODULE}_test_$$-install.log" status=0 modules
  THROWAWAY_DBS+=("$db")
  trap drop_throwaway_dbs EXIT
  modules=$(repo_addons | paste -sd,)
  say "Installing $modules with demo data into the throwaway database $db"
  local started=$SECONDS
  install_checked "$db" "$log" "$modules"
  say "Installed in $((SECONDS - started)) s, with no warning or error in the log"
  say "Running tests/ with pytest-odoo"
  started=$SECONDS
  cd "$ROOT"
  "$PY" -m pytest tests "$@" \
    --odoo-database="$db" --odoo-addons-path="$(addons_path)" \
    --odoo-extra="db_host=$PGHOST" --odoo-extra="db_port=$PGPORT" \
    --odoo-extra="db_user=$PGUSER" --odoo-extra="db_password=$PGPASSWORD" \
    --odoo-log-level=warn --odoo-extra=test-file=/dev/null --odoo-http || status=$?
  say "tests/ ran in $((SECONDS - started)) s"
  dropdb --if-exists "$db" >/dev/null 2>&1 || true
  install_bridges_alone
  return $status
}

# Odoo's own tests of the host modules our addons extend or hook into, with
# every addon of this repository installed (make test-host; README, Tests).
HOST_MODULES=crm,sale,sale_crm,sale_stock,survey,calendar,test_mail,helpdesk_mgmt,helpdesk_mgmt_sla,crm_salesperson_planner
# Their tests as --test-tags takes them, in groups of about the same length
# that run side by side ($HOST_TEST_JOBS at a time, each on its own copy of
# the database). mail: its activity tests only (test_mail holds most of them).
# helpdesk_mgmt's TestHelpdesMgmtJs is left out: it runs the whole web
# client's unit test suite in the browser (thousands of JavaScript tests of
# web, none of the helpdesk's server code), longer than all the rest.
# HOST_TEST_TAGS=<tags> runs these tags instead, as one group (a subset, to
# look into one failure).
if [ -n "${HOST_TEST_TAGS:-}" ]; then
  HOST_TEST_GROUPS=("$HOST_TEST_TAGS")
else
  HOST_TEST_GROUPS=(
    "/sale,/sale_crm,/sale_stock,/survey"
    "/crm,/calendar,/mail/tests/test_mail_activity.py,/test_mail/tests/test_mail_activity.py,/test_mail/tests/test_mail_activity_plan.py,/helpdesk_mgmt,-/helpdesk_mgmt:TestHelpdesMgmtJs,/helpdesk_mgmt_sla,/crm_salesperson_planner"
  )
fi
HOST_BASELINE=$ROOT/tools/host-tests-baseline.txt

# test-host: install the host modules and our addons (no demo data: Odoo's
# tests make their own records) into a throwaway database, run the host
# modules' tests there, fail on any failure not in $HOST_BASELINE.
# test-host --baseline: the same without our addons; writes $HOST_BASELINE.
cmd_test_host() {
  local baseline=""
  [ "${1:-}" = "--baseline" ] && { baseline=1; shift; }
  [ -z "$baseline" ] || [ -z "${HOST_TEST_TAGS:-}" ] \
    || die "the baseline is written from every host test: unset HOST_TEST_TAGS"
  require_odoo; python_deps; oca_addons; ensure_postgres; ensure_browser
  local db="${MODULE}_host_$$" log_prefix="/tmp/${MODULE}_host_$$" modules=$HOST_MODULES
  local jobs=${HOST_TEST_JOBS:-2} started=$SECONDS begun i port
  [ -n "$baseline" ] || modules="$modules,$(repo_addons | paste -sd,)"
  THROWAWAY_DBS+=("$db")
  DROP_FILESTORES=1
  trap drop_throwaway_dbs EXIT
  say "Installing $modules without demo data into the throwaway database $db"
  begun=$SECONDS
  install_checked "$db" "$log_prefix-install.log" "$modules" --without-demo=all
  say "Installed in $((SECONDS - begun)) s, with no warning or error in the log"
  say "Running the host modules' tests, $jobs group(s) at a time (logs: $log_prefix-tests-<n>.log)"
  begun=$SECONDS
  local pids=() logs=() group_db
  for i in "${!HOST_TEST_GROUPS[@]}"; do
    group_db=$db
    if [ "$jobs" -gt 1 ] && [ "$i" -gt 0 ]; then
      group_db="${db}_$i"
      THROWAWAY_DBS+=("$group_db")
      # The copy needs the original's files too (asset bundles…).
      createdb -T "$db" "$group_db"
      rm -rf "$(filestore "$group_db")"
      if [ -d "$(filestore "$db")" ]; then
        cp -a "$(filestore "$db")" "$(filestore "$group_db")"
      fi
    fi
    logs+=("$log_prefix-tests-$i.log")
    # The browser tests need Odoo's HTTP server: a port no one uses.
    port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    (
      cd "$ROOT"
      "$PY" -m tools.host_tests odoo --addons-path="$(addons_path)" $(odoo_db_args) \
        -d "$group_db" --test-tags="${HOST_TEST_GROUPS[$i]}" --stop-after-init \
        --http-port="$port" --log-level=info --without-demo=all \
        >"$log_prefix-tests-$i.log" 2>&1 || true
    ) &
    pids+=($!)
    if [ ${#pids[@]} -ge "$jobs" ]; then
      wait "${pids[0]}"; pids=("${pids[@]:1}")
    fi
  done
  for i in "${!pids[@]}"; do wait "${pids[$i]}"; done
  say "Host tests ran in $((SECONDS - begun)) s ($((SECONDS - started)) s in all, installing included)"
  cd "$ROOT"
  if [ -n "$baseline" ]; then
    "$PY" -m tools.host_tests check "$HOST_BASELINE" "${logs[@]}" --write
  else
    "$PY" -m tools.host_tests check "$HOST_BASELINE" "${logs[@]}" \
      || die "host tests fail with our addons installed (logs: ${logs[*]}; a failure that also happens without our addons belongs in $HOST_BASELINE: make test-host-baseline)"
  fi
}

cmd_bench() {
  require_odoo; python_deps; oca_addons; ensure_postgres
  cd "$ROOT"
  "$PY" -m tools.bench --addons-path="$(addons_path)" "$@"
}

case "${1:-}" in
  demo) shift; cmd_demo "$@" ;;
  test) shift; cmd_test "$@" ;;
  test-host) shift; cmd_test_host "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  *) echo "usage: $0 demo|test|test-host [--baseline]|bench [args]" >&2; exit 2 ;;
esac
