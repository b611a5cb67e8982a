#!/usr/bin/env bash
# Vendor GOV.UK's accessible-autocomplete into pepflow/web/static/autocomplete/.
#
# Run by a developer when upgrading it, never at run time: the result is committed.  The
# pickers work without it (search, then choose); where script runs, pepflow.js uses it to
# offer matches as the name is typed.  Needs Node.js and npm (the npm registry).
set -euo pipefail
VERSION="${1:-3.0.1}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/pepflow/web/static/autocomplete"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "accessible-autocomplete@$VERSION" >/dev/null
tar xzf "accessible-autocomplete-$VERSION.tgz"
rm -rf "$OUT"
mkdir -p "$OUT"
cp package/dist/accessible-autocomplete.min.js package/dist/accessible-autocomplete.min.css package/LICENSE.txt "$OUT/"
echo "accessible-autocomplete $VERSION" > "$OUT/VERSION"
