#!/usr/bin/env bash
# Development entry points of relationship_health: `demo`, `test`,
# `test-host [--baseline]`, `lint`, `format`, `bench`.
#
# Python: $PYTHON (default python3) when it imports Odoo 18.0, as on CI.
# Otherwise Odoo is set up in a project-local virtualenv, .venv/, made from
# $PYTHON: Odoo 18.0's source is fetched once from $ODOO_REPO (branch
# $ODOO_BRANCH) into $ODOO_SRC, outside the tree, and reused by later runs
# (ODOO_UPDATE=1 fetches it again); the Debian packages its requirements
# need to build are installed with apt-get; its requirements.txt and our
# requirements-dev.txt are installed into .venv/ with Odoo's pins as
# constraints. Either way, missing Python packages are installed with
# Odoo's pins as constraints, so that no install moves a version Odoo pins.
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
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/relationship_health
ODOO_REPO=${ODOO_REPO:-https://github.com/odoo/odoo.git}
ODOO_BRANCH=${ODOO_BRANCH:-18.0}
ODOO_SRC=${ODOO_SRC:-$CACHE/odoo-18.0}
VENV=$ROOT/.venv
OCA_SPECS=$ROOT/oca-addons.txt
OCA_ADDONS=$ROOT/.oca/addons
OCA_CACHE=${OCA_CACHE:-$CACHE/oca-wheels}
DEMO_DB=${DEMO_DB:-relationship_health_demo}
HTTP_PORT=${HTTP_PORT:-8069}

say() { printf '\n==> %s\n' "$*"; }
die() { printf '\nERROR: %s\n' "$*" >&2; exit 1; }

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

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Install the Debian packages given after $1 (what they are for) that are
# not installed yet.
apt_install() {
  local purpose=$1 pkg missing=(); shift
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$pkg")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  say "Installing ${missing[*]} from Debian's packages ($purpose)"
  as_root apt-get update -qq >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
    || die "could not install ${missing[*]} with apt-get"
}

# True when the Python given imports Odoo 18.0.
imports_odoo_18() {
  [ -n "$1" ] && command -v "$1" >/dev/null 2>&1 || return 1
  "$1" - >/dev/null 2>&1 <<'PY'
import sys, odoo
sys.exit(0 if odoo.release.version_info[:2] == (18, 0) else 1)
PY
}

# Odoo's requirements.txt beside the odoo package $PY imports (empty when
# that Odoo install has none): its pins are our constraints.
odoo_requirements() {
  "$PY" - <<'PY'
import os, odoo
path = os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "requirements.txt")
print(path if os.path.isfile(path) else "")
PY
}

# pip install into $PY, with the pins of Odoo's requirements file $1 (none
# when empty) as constraints. cbor2 (an Odoo requirement) builds only with
# setuptools<70: PIP_CONSTRAINT reaches pip's isolated build environments,
# which command-line constraints do not.
pip_install() {
  local pins=$1 build_pins status=0; shift
  build_pins=$(mktemp)
  echo 'setuptools<70' >"$build_pins"
  PIP_CONSTRAINT=$build_pins "$PY" -m pip install -q ${pins:+-c "$pins"} "$@" || status=$?
  rm -f "$build_pins"
  [ $status -eq 0 ] || die "pip could not install the Python packages (see above)"
}

# The Python packages of requirements-dev.txt, when one is missing.
python_deps() {
  if ! "$PY" -c 'import pandas, polib, pytest_odoo, websocket' >/dev/null 2>&1; then
    say "Installing Python dependencies (requirements-dev.txt)"
    pip_install "$(odoo_requirements)" -r "$ROOT/requirements-dev.txt"
  fi
}

# The git directory of $ODOO_REPO when it is on this machine (a path or a
# file:// URL), empty for a remote repository.
local_odoo_repo() {
  local repo=${ODOO_REPO#file://}
  if [ -d "$repo" ]; then (cd "$repo" && pwd); fi
}

# Odoo's own files of branch $ODOO_BRANCH of the local repository $1 into
# folder $2, with git archive: a local mirror may hold someone's extra files
# (a virtualenv, their addons) whose objects are missing, which git clone
# refuses but git archive never reads.
archive_odoo() {
  local repo=$1 target=$2 item kind
  if ! git -C "$repo" rev-parse --verify -q "$ODOO_BRANCH^{commit}" >/dev/null; then
    echo "$ODOO_REPO has no branch $ODOO_BRANCH: set ODOO_BRANCH to its branch of Odoo 18.0" >&2
    return 1
  fi
  for item in odoo addons setup requirements.txt setup.py setup.cfg LICENSE MANIFEST.in; do
    kind=$(git -C "$repo" cat-file -t "$ODOO_BRANCH:$item" 2>/dev/null) || continue
    if [ "$kind" = tree ]; then
      git -C "$repo" archive --prefix="$item/" "$ODOO_BRANCH:$item" | tar -x -C "$target" \
        || return 1
    else
      git -C "$repo" show "$ODOO_BRANCH:$item" >"$target/$item" || return 1
    fi
  done
}

# The Odoo version (e.g. 18.0) of the source in folder $1, read from its
# odoo/release.py; empty when there is none.
odoo_release() {
  [ -f "$1/odoo/release.py" ] || return 0
  "$PY" - "$1/odoo/release.py" <<'PY' 2>/dev/null || true
import sys
release = {}
exec(open(sys.argv[1]).read(), release)
print(".".join(str(part) for part in release["version_info"][:2]))
PY
}

# Odoo 18.0's source in $ODOO_SRC: kept from an earlier run unless
# ODOO_UPDATE=1; a local repository is read with git archive, a remote one
# is cloned (--depth 1). Fetched into a folder beside it, then swapped in.
fetch_odoo() {
  local repo new version
  if [ -f "$ODOO_SRC/odoo/release.py" ] && [ "${ODOO_UPDATE:-0}" != 1 ]; then
    version=$(odoo_release "$ODOO_SRC")
    [ "$version" = 18.0 ] || die "$ODOO_SRC holds Odoo ${version:-of no known version}, not 18.0: remove it, or fetch it again with ODOO_UPDATE=1"
    say "Odoo 18.0 source: $ODOO_SRC (ODOO_UPDATE=1 fetches it again)"
    return 0
  fi
  repo=$(local_odoo_repo)
  mkdir -p "$(dirname "$ODOO_SRC")"
  new=$(mktemp -d "$ODOO_SRC.new.XXXXXX")
  say "Fetching Odoo $ODOO_BRANCH from $ODOO_REPO into $ODOO_SRC"
  if [ -n "$repo" ]; then
    archive_odoo "$repo" "$new" || { rm -rf "$new"; die "could not read branch $ODOO_BRANCH of $ODOO_REPO"; }
  else
    git clone -q --depth 1 --branch "$ODOO_BRANCH" "$ODOO_REPO" "$new" \
      || { rm -rf "$new"; die "could not clone branch $ODOO_BRANCH of $ODOO_REPO"; }
  fi
  version=$(odoo_release "$new")
  if [ "$version" != 18.0 ]; then
    rm -rf "$new"
    die "branch $ODOO_BRANCH of $ODOO_REPO holds $([ -n "$version" ] && echo "Odoo $version" || echo "no odoo/release.py"), not Odoo 18.0: set ODOO_BRANCH (or ODOO_REPO) to a branch of Odoo 18.0"
  fi
  rm -rf "$ODOO_SRC"
  mv "$new" "$ODOO_SRC"
}

# .venv/ made from $PYTHON, with Odoo 18.0 from $ODOO_SRC (a .pth file:
# `import odoo` and `python -m odoo` work), Odoo's requirements.txt and our
# requirements-dev.txt. The .pth file is written last, so a .venv/ that
# imports Odoo is a complete one.
make_venv() {
  "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null \
    || die "$PY is not a Python 3.10 or newer, which Odoo 18.0 needs: set PYTHON to one"
  apt_install "to build Odoo's requirements" \
    git build-essential python3-dev libldap2-dev libsasl2-dev libpq-dev
  "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1 || apt_install "virtualenvs" python3-venv
  fetch_odoo
  say "Making the virtualenv .venv/ from $PY"
  "$PY" -m venv "$VENV" || die "could not make a virtualenv with $PY"
  local started=$SECONDS site
  PY=$VENV/bin/python
  say "Installing Odoo's requirements.txt and requirements-dev.txt into .venv/ (a few minutes the first time)"
  pip_install "$ODOO_SRC/requirements.txt" -r "$ODOO_SRC/requirements.txt" -r "$ROOT/requirements-dev.txt"
  site=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "$ODOO_SRC" >"$site/odoo-src.pth"
  imports_odoo_18 "$PY" || die ".venv/ does not import Odoo 18.0 from $ODOO_SRC"
  say ".venv/ ready in $((SECONDS - started)) s"
}

# The Python that runs Odoo, in $PY: $PYTHON when it imports Odoo 18.0,
# else .venv/ (made the first time). Missing packages are then installed.
setup_python() {
  if imports_odoo_18 "$PY"; then
    :
  elif [ "${ODOO_UPDATE:-0}" = 1 ]; then
    say "ODOO_UPDATE=1: fetching Odoo 18.0 again and updating .venv/"
    make_venv
  elif imports_odoo_18 "$VENV/bin/python"; then
    PY=$VENV/bin/python
  else
    say "$PY does not import Odoo 18.0: setting it up in .venv/"
    make_venv
  fi
  python_deps
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
      apt_install "the database" postgresql
    fi
    local version
    version=$(ls /usr/lib/postgresql | sort -n | tail -1)
    if ! pg_lsclusters -h | grep -q "^$version main"; then
      as_root pg_createcluster "$version" main >/dev/null
    fi
    say "Starting PostgreSQL $version"
    as_root pg_ctlcluster "$version" main start || true
    for _ in $(seq 30); do pg_answers && break; sleep 1; done
    pg_answers || die "PostgreSQL does not answer on $PGHOST:$PGPORT"
  fi
  # Odoo refuses the postgres superuser: use a role that may create databases.
  if ! psql -d postgres -Atc 'select 1' >/dev/null 2>&1; then
    # As the postgres superuser over the local socket: not as $PGUSER, which
    # may not exist yet (su keeps the PG* variables of this script).
    as_root env -u PGHOST -u PGUSER -u PGPASSWORD -u PGDATABASE \
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

# The logins of the demo data (demo passwords), read from the constants of
# the demo data's module without importing it.
demo_logins() {
  "$PY" - "$ROOT/$MODULE/demo/book.py" <<'PY'
import ast, sys
names = ("DEMO_PASSWORD", "SALESPEOPLE", "SALES_MANAGER")
demo = {}
for node in ast.parse(open(sys.argv[1]).read()).body:
    if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) in names:
        demo[node.targets[0].id] = ast.literal_eval(node.value)
password = demo["DEMO_PASSWORD"]
for person in demo["SALESPEOPLE"]:
    print(f"    sales rep      {person['login']:<30} password {password}   ({person['name']})")
manager = demo["SALES_MANAGER"]
print(f"    sales manager  {manager['login']:<30} password {password}   ({manager['name']})")
print(f"    administrator  {'admin':<30} password admin")
PY
}

cmd_demo() {
  setup_python; oca_addons; ensure_postgres
  local log=/tmp/$DEMO_DB-install.log modules
  modules=$(repo_addons | paste -sd,)
  say "Creating database $DEMO_DB with $modules and their demo data"
  install_checked "$DEMO_DB" "$log" "$modules"
  say "Odoo is starting on http://localhost:$HTTP_PORT (database $DEMO_DB); log in as:"
  demo_logins
  echo
  exec "$PY" -m odoo --addons-path="$(addons_path)" $(odoo_db_args) -d "$DEMO_DB" \
    --db-filter="^$DEMO_DB\$" --http-port="$HTTP_PORT"
}

ensure_browser() {
  local browser="" candidate
  for candidate in google-chrome chromium chromium-browser google-chrome-stable; do
    command -v "$candidate" >/dev/null 2>&1 && { browser=$candidate; break; }
  done
  if [ -z "$browser" ]; then
    apt_install "browser tests" chromium
    command -v chromium >/dev/null 2>&1 \
      || die "could not install Chromium: the browser tests cannot run"
  fi
}

cmd_test() {
  setup_python; oca_addons; ensure_postgres
  # The browser tests (tests/test_ui_tours.py) run Odoo tours in headless
  # Chromium, found on the PATH by Odoo, driven with websocket-client
  # (requirements-dev.txt).
  ensure_browser
  # The service-level report's PDF tests render real PDFs with wkhtmltopdf
  # (Debian's package): without it they fail, they are never skipped.
  if ! command -v wkhtmltopdf >/dev/null 2>&1; then
    apt_install "PDF reports" wkhtmltopdf
    command -v wkhtmltopdf >/dev/null 2>&1 \
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
  setup_python; oca_addons; ensure_postgres; ensure_browser
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

# make lint / make format: OCA's mandatory pylint-odoo checks
# (.pylintrc-mandatory), OCA's checks of manifests, XML, CSV and
# translation files (oca-odoo-pre-commit-hooks) and the Python formatter
# and checks (ruff format, ruff check: settings in ruff.toml), with the versions of
# requirements-lint.txt in .venv-lint/, made from $PYTHON (Odoo is not needed).
LINT_VENV=$ROOT/.venv-lint
lint_tools() {
  if [ -x "$LINT_VENV/bin/python" ] \
      && cmp -s "$ROOT/requirements-lint.txt" "$LINT_VENV/.requirements-lint.txt"; then
    return 0
  fi
  "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1 || apt_install "virtualenvs" python3-venv
  say "Installing the lint tools of requirements-lint.txt into .venv-lint/"
  rm -rf "$LINT_VENV"
  "$PY" -m venv "$LINT_VENV" || die "could not make a virtualenv with $PY"
  "$LINT_VENV/bin/python" -m pip install -q -r "$ROOT/requirements-lint.txt" \
    || die "could not install the lint tools of requirements-lint.txt"
  cp "$ROOT/requirements-lint.txt" "$LINT_VENV/.requirements-lint.txt"
}

# The files the lint checks read: the addons, their manifests and their
# translation files.
lint_targets() {
  mapfile -t LINT_ADDONS < <(repo_addons)
  LINT_MANIFESTS=("${LINT_ADDONS[@]/%//__manifest__.py}")
  mapfile -t LINT_PO < <(cd "$ROOT" && ls -1 */i18n/*.po */i18n/*.pot 2>/dev/null)
  LINT_PYTHON=("${LINT_ADDONS[@]}" tests tools)
}

cmd_lint() {
  lint_tools; lint_targets
  cd "$ROOT"
  local status=0 started=$SECONDS bin=$LINT_VENV/bin
  say "pylint-odoo: OCA's mandatory checks"
  "$bin/pylint" --rcfile=.pylintrc-mandatory "${LINT_ADDONS[@]}" || status=1
  say "OCA's checks of manifests, XML and CSV files"
  "$bin/oca-checks-odoo-module" "${LINT_MANIFESTS[@]}" || status=1
  say "OCA's checks of translation files"
  # Not po-pretty-format: it empties a translation equal to its source
  # ("ID", "NPS"), which tests/test_i18n_files.py counts as missing.
  "$bin/oca-checks-po" --disable=po-pretty-format "${LINT_PO[@]}" || status=1
  say "Python formatting (ruff format --check; make format applies it)"
  "$bin/ruff" format --check "${LINT_PYTHON[@]}" || status=1
  say "Python names unused, undefined or redefined (ruff check: pyflakes)"
  "$bin/ruff" check "${LINT_PYTHON[@]}" || status=1
  say "Lint ran in $((SECONDS - started)) s"
  [ $status -eq 0 ] || die "the lint checks found problems (above); make format fixes some of them"
}

cmd_format() {
  lint_tools; lint_targets
  cd "$ROOT"
  "$LINT_VENV/bin/oca-checks-odoo-module" --no-verbose --fix "${LINT_MANIFESTS[@]}" || true
  "$LINT_VENV/bin/ruff" format "${LINT_PYTHON[@]}"
}

cmd_bench() {
  setup_python; oca_addons; ensure_postgres
  cd "$ROOT"
  "$PY" -m tools.bench --addons-path="$(addons_path)" "$@"
}

case "${1:-}" in
  demo) shift; cmd_demo "$@" ;;
  test) shift; cmd_test "$@" ;;
  test-host) shift; cmd_test_host "$@" ;;
  lint) shift; cmd_lint "$@" ;;
  format) shift; cmd_format "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  *) echo "usage: $0 demo|test|test-host [--baseline]|lint|format|bench [args]" >&2; exit 2 ;;
esac
