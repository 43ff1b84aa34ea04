#!/usr/bin/env bash
# Refresh the vendored (committed) front-end assets from npm.
#
#   scripts/vendor-assets.sh           re-download the pinned versions and rewrite the vendored files
#   scripts/vendor-assets.sh --check   download them into a temp dir and diff against what is committed
#
# Only the dist files the pages need, plus each package's licence files, are copied; no source maps.
# Browser assets go to sunlit/static/vendor/<name>/, axe-core (used only by the browser tests) to
# e2e/vendor/axe-core/. sunlit/static/vendor/VERSIONS.txt records name, version, licence, the npm
# tarball integrity and a sha256 of every vendored file.
#
# To move to a newer release, look it up within the same major version, e.g.
#   npm view 'echarts@5' version --json
# then change the pin below, run this script, and review the diff.
set -euo pipefail

# name            version   (pinned; each is the latest of its major line when last refreshed)
PACKAGES=(
  "htmx.org       2.0.11"
  "echarts        5.6.0"
  "mermaid        11.17.2"
  "@picocss/pico  2.1.1"
  "axe-core       4.14.1"
)

# Files copied from each package, as "source-path-in-tarball" (kept under its basename).
files_for() {
  case "$1" in
    htmx.org) echo "dist/htmx.min.js LICENSE" ;;
    # Full build: the map series (county map) is not in echarts.common/simple. Apache-2.0 asks
    # for NOTICE to travel with it; licenses/LICENSE-d3 covers the bundled d3 code.
    echarts) echo "dist/echarts.min.js LICENSE NOTICE licenses/LICENSE-d3" ;;
    # dist/mermaid.min.js is the self-contained IIFE bundle (sets globalThis.mermaid, loads no
    # chunks); the .mjs files are ES modules that import dist/chunks/* at run time.
    mermaid) echo "dist/mermaid.min.js LICENSE" ;;
    @picocss/pico) echo "css/pico.min.css css/pico.classless.min.css LICENSE.md" ;;
    axe-core) echo "axe.min.js LICENSE LICENSE-3RD-PARTY.txt" ;;
    *) echo "unknown package $1" >&2; return 1 ;;
  esac
}

# Directory (relative to the repository root) that receives a package's files.
dest_for() {
  case "$1" in
    axe-core) echo "e2e/vendor/axe-core" ;;
    @picocss/pico) echo "sunlit/static/vendor/pico" ;;
    *) echo "sunlit/static/vendor/$1" ;;
  esac
}

MODE=write
case "${1:-}" in
  "") ;;
  --check) MODE=check ;;
  -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

for tool in npm node tar sha256sum; do
  command -v "$tool" >/dev/null || { echo "vendor-assets: '$tool' is required" >&2; exit 1; }
done

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

if [[ $MODE == write ]]; then
  OUT_ROOT="$REPO_ROOT"
else
  OUT_ROOT="$WORK/out"
fi
VERSIONS="$OUT_ROOT/sunlit/static/vendor/VERSIONS.txt"

mkdir -p "$WORK/pack" "$OUT_ROOT/sunlit/static/vendor"
manifest="$WORK/manifest.txt"
checksums="$WORK/checksums.txt"
: >"$manifest"
: >"$checksums"

for entry in "${PACKAGES[@]}"; do
  read -r name version <<<"$entry"
  echo "vendor-assets: $name@$version" >&2

  # npm pack only downloads the registry tarball; --ignore-scripts makes sure nothing runs.
  # (Its --json report lists every file in the package, so it goes to a file, not an argument.)
  (cd "$WORK/pack" && npm pack --json --ignore-scripts --loglevel=error "$name@$version") >"$WORK/pack.json"
  tarball="$(node -p 'require(process.argv[1])[0].filename' "$WORK/pack.json")"
  integrity="$(node -p 'require(process.argv[1])[0].integrity' "$WORK/pack.json")"

  src="$WORK/src/$name"
  mkdir -p "$src"
  tar -xzf "$WORK/pack/$tarball" -C "$src"
  pkg="$src/package"

  got_version="$(node -p 'require(process.argv[1]).version' "$pkg/package.json")"
  licence="$(node -p 'require(process.argv[1]).license' "$pkg/package.json")"
  if [[ $got_version != "$version" ]]; then
    echo "vendor-assets: asked for $name@$version but the tarball says $got_version" >&2
    exit 1
  fi

  dest_rel="$(dest_for "$name")"
  dest="$OUT_ROOT/$dest_rel"
  rm -rf "$dest"
  mkdir -p "$dest"
  for f in $(files_for "$name"); do
    if [[ ! -f $pkg/$f ]]; then
      echo "vendor-assets: $name@$version has no $f" >&2
      exit 1
    fi
    cp "$pkg/$f" "$dest/$(basename "$f")"
  done

  # Minified bundles must not point browsers at source maps we do not ship.
  if grep -l 'sourceMappingURL=' "$dest"/*.js "$dest"/*.css 2>/dev/null; then
    echo "vendor-assets: $name ships a sourceMappingURL comment; strip it or pick another file" >&2
    exit 1
  fi

  printf '%-14s %-9s %-13s %-31s %s\n' "$name" "$version" "$licence" "$dest_rel/" "$integrity" >>"$manifest"
  (cd "$OUT_ROOT" && find "$dest_rel" -type f | LC_ALL=C sort | xargs sha256sum) >>"$checksums"
done

# Mermaid must stay usable as a classic <script> (one file, no ES-module chunk imports).
mermaid_js="$OUT_ROOT/sunlit/static/vendor/mermaid/mermaid.min.js"
if ! tail -c 200 "$mermaid_js" | grep -q 'globalThis\["mermaid"\]'; then
  echo "vendor-assets: mermaid.min.js no longer ends by setting globalThis.mermaid; re-check the bundle" >&2
  exit 1
fi

{
  echo "# Vendored front-end assets. Generated by scripts/vendor-assets.sh; do not edit by hand."
  echo "# name         version   licence       path                            npm tarball integrity"
  cat "$manifest"
  echo
  echo "# sha256 of each vendored file"
  cat "$checksums"
} >"$VERSIONS"

if [[ $MODE == check ]]; then
  status=0
  for entry in "${PACKAGES[@]}"; do
    read -r name _ <<<"$entry"
    rel="$(dest_for "$name")"
    diff -r "$REPO_ROOT/$rel" "$OUT_ROOT/$rel" || status=1
  done
  diff "$REPO_ROOT/sunlit/static/vendor/VERSIONS.txt" "$VERSIONS" || status=1
  if [[ $status -eq 0 ]]; then
    echo "vendor-assets: committed files match the pinned packages" >&2
  else
    echo "vendor-assets: committed files differ from the pinned packages (run without --check)" >&2
  fi
  exit "$status"
fi

echo "vendor-assets: done; see sunlit/static/vendor/VERSIONS.txt" >&2
