# Shared by scripts/serve, scripts/test and scripts/bench. Each ensure_* step
# checks for the right version first and installs only what is missing, so a
# machine that has everything starts in seconds and a bare one (Rust 1.95,
# cargo, Node 20, Python only) still gets everything.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$ROOT/scripts/tools/node_modules/.bin:$PATH"

TRUNK_VERSION="0.21.14"
BINARYEN_VERSION="132"
# The WebDriver server for Firefox, built from crates.io (prebuilt downloads are not reachable).
GECKODRIVER_VERSION="0.37.1"
# wasm-bindgen-cli must match the wasm-bindgen that Cargo.lock pins exactly.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$ROOT/Cargo.lock")"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

APT_UPDATED=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "need root to apt-get install $*" >&2
    exit 1
  fi
  if [ "$APT_UPDATED" = 0 ]; then
    apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_clippy() {
  if ! rustup component list --installed | grep -q '^clippy'; then
    say "adding the clippy component"
    rustup component add clippy
  fi
}

ensure_trunk() {
  if [ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]; then
    say "installing trunk $TRUNK_VERSION (about 12 minutes on 2 cores)"
    cargo install --locked trunk --version "$TRUNK_VERSION"
  fi
}

ensure_wasm_bindgen() {
  if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (matches Cargo.lock)"
    # Not --locked: one of its locked dependency versions is not on the registry.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
}

ensure_wasm_opt() {
  if ! wasm-opt --version 2>/dev/null | grep -q "version $BINARYEN_VERSION"; then
    say "installing wasm-opt (binaryen $BINARYEN_VERSION from npm)"
    (cd "$ROOT/scripts/tools" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_chromium() {
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "installing Debian's chromium and chromium-driver"
    apt_install chromium chromium-driver
  fi
}

# Debian's Firefox ESR and geckodriver: the second browser for the
# wasm-bindgen-test layer (through geckodriver) and the Firefox smoke test
# (puppeteer-core over WebDriver BiDi).
ensure_firefox() {
  if ! command -v firefox-esr >/dev/null; then
    say "installing Debian's firefox-esr (about 3 minutes)"
    apt_install firefox-esr
  fi
  if [ "$(geckodriver --version 2>/dev/null | head -n1 | awk '{print $2}')" != "$GECKODRIVER_VERSION" ]; then
    say "building geckodriver $GECKODRIVER_VERSION from crates.io (about 3 minutes on 2 cores)"
    cargo install --locked geckodriver --version "$GECKODRIVER_VERSION"
  fi
}

ensure_e2e_packages() {
  local lock="$ROOT/tests/e2e/package-lock.json" stamp="$ROOT/tests/e2e/node_modules/.idemlab-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$lock" "$stamp"; then
    say "installing the browser tests' node packages"
    (cd "$ROOT/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$lock" "$stamp"
  fi
}

PG_VERSION=15
export IDEMLAB_PG="${IDEMLAB_PG:-host=127.0.0.1 port=5432 user=idemlab password=idemlab dbname=idemlab}"
ensure_postgres() {
  if [ ! -x "/usr/lib/postgresql/$PG_VERSION/bin/postgres" ]; then
    say "installing Debian's postgresql ($PG_VERSION)"
    apt_install postgresql
  fi
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $1, $2}' | grep -qx "$PG_VERSION main"; then
    pg_createcluster "$PG_VERSION" main >/dev/null
  fi
  if ! pg_lsclusters -h | awk -v v="$PG_VERSION" '$1 == v && $2 == "main" { print $4 }' | grep -qx online; then
    say "starting PostgreSQL $PG_VERSION on 127.0.0.1:5432"
    pg_ctlcluster "$PG_VERSION" main start
  fi
  su postgres -c "psql -q -v ON_ERROR_STOP=1" >/dev/null <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'idemlab') THEN
    CREATE ROLE idemlab LOGIN PASSWORD 'idemlab';
  END IF;
END $$;
SELECT 'CREATE DATABASE idemlab OWNER idemlab' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'idemlab') \gexec
-- The races checker's deadlocks are found after deadlock_timeout (1 s by default);
-- its own role waits 100 ms, so a deadlock schedule replays in a fraction of a second.
-- Only a superuser may set it, hence here and not in the checker's sessions.
ALTER ROLE idemlab SET deadlock_timeout = '100ms';
SQL
}

# Builds dist/ with wasm-opt (Trunk's build of every area, then one page
# build per area) and prints the sizes of the wasm and JS.
build_release() {
  say "trunk build --release"
  (cd "$ROOT" && trunk build --release --quiet)
  say "a page build per area (scripts/build-areas.mjs)"
  (cd "$ROOT" && node scripts/build-areas.mjs dist && node scripts/postbuild.mjs dist)
  report_sizes
}

report_sizes() {
  say "bundle sizes (dist/)"
  local f raw gz
  for f in "$ROOT"/dist/*.wasm "$ROOT"/dist/*.js; do
    [ -f "$f" ] || continue
    raw=$(wc -c <"$f")
    gz=$(gzip -9 -c "$f" | wc -c)
    printf '  %-40s %8d bytes raw %8d bytes gzipped\n' "$(basename "$f")" "$raw" "$gz"
  done
}
