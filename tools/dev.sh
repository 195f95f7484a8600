#!/usr/bin/env bash
# Development entry points of relationship_health: `demo`, `test`, `bench`.
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

# Odoo's command line; with RH_NOW (a UTC instant) its clock starts at that
# instant, as the tests' does (tools/frozen_clock.py, README: Tests).
odoo_cli() {
  if [ -n "${RH_NOW:-}" ]; then
    "$PY" "$ROOT/tools/frozen_clock.py" "$@"
  else
    "$PY" -m odoo "$@"
  fi
}

# Install addons (comma-separated) into a new database and fail on any
# WARNING/ERROR in the log. Extra arguments go to Odoo (e.g. --without-demo=all).
install_checked() {
  local db=$1 log=$2 modules=$3 module; shift 3
  dropdb --if-exists "$db" 2>/dev/null
  odoo_cli --addons-path="$(addons_path)" $(odoo_db_args) -d "$db" \
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
  done
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

cmd_test() {
  require_odoo; python_deps; oca_addons; ensure_postgres
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
  # The service-level report's PDF tests render real PDFs with wkhtmltopdf
  # (Debian's package): without it they fail, they are never skipped.
  if ! command -v wkhtmltopdf >/dev/null 2>&1; then
    say "Installing wkhtmltopdf from Debian's packages (PDF reports)"
    apt-get update -qq >/dev/null \
      || die "apt-get update failed: cannot install wkhtmltopdf (the PDF tests need it)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wkhtmltopdf >/dev/null \
      && command -v wkhtmltopdf >/dev/null 2>&1 \
      || die "could not install wkhtmltopdf from Debian's packages: the PDF tests need it"
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
  run_pytest "$db" tests "$@" --odoo-http || status=$?
  say "tests/ ran in $((SECONDS - started)) s"
  dropdb --if-exists "$db" >/dev/null 2>&1 || true
  test_margin_path || status=1
  install_bridges_alone
  return $status
}

# pytest-odoo against database $1; the other arguments go to pytest.
run_pytest() {
  local db=$1; shift
  "$PY" -m pytest "$@" \
    --odoo-database="$db" --odoo-addons-path="$(addons_path)" \
    --odoo-extra="db_host=$PGHOST" --odoo-extra="db_port=$PGPORT" \
    --odoo-extra="db_user=$PGUSER" --odoo-extra="db_password=$PGPASSWORD" \
    --odoo-log-level=warn --odoo-extra=test-file=/dev/null
}

# The margin path (tests/test_margin.py) needs sale_margin, which the main
# test database must not have (its tests check the revenue path): it runs in a
# throwaway database of its own, without demo data.
test_margin_path() {
  local db="${MODULE}_test_$$_margin" log="/tmp/${MODULE}_test_$$-margin.log" status=0
  THROWAWAY_DBS+=("$db")
  say "Installing $MODULE with sale_margin (no demo data) for tests/test_margin.py"
  install_checked "$db" "$log" "$MODULE,sale_margin" --without-demo=all
  run_pytest "$db" tests/test_margin.py || status=$?
  dropdb --if-exists "$db" >/dev/null 2>&1 || true
  return $status
}

cmd_bench() {
  require_odoo; python_deps; oca_addons; ensure_postgres
  cd "$ROOT"
  "$PY" -m tools.bench --addons-path="$(addons_path)" "$@"
}

case "${1:-}" in
  demo) shift; cmd_demo "$@" ;;
  test) shift; cmd_test "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  *) echo "usage: $0 demo|test|bench [args]" >&2; exit 2 ;;
esac
