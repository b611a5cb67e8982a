#!/usr/bin/env bash
# Vendor the GOV.UK Frontend styles and images into pepflow/web/static/govuk/.
#
# Run by a developer when upgrading GOV.UK Frontend, never at run time: the result is
# committed.  The Sass is compiled with Arial (the GOV.UK typeface may only be used on
# GOV.UK itself) and without its @font-face rules, so no font is ever requested.
# Needs Node.js and npm (the npm registry).
set -euo pipefail
VERSION="${1:-5.14.0}"
SASS_VERSION="1.77.8"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/pepflow/web/static/govuk"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent "govuk-frontend@$VERSION" "sass@$SASS_VERSION"
cat > pepflow.scss <<'SCSS'
$govuk-font-family: arial, sans-serif;
$govuk-include-default-font-face: false;
$govuk-assets-path: "/static/govuk/assets/";
@import "node_modules/govuk-frontend/dist/govuk/index";
SCSS
npx sass --quiet --style=compressed --no-source-map pepflow.scss govuk-frontend.min.css
rm -rf "$OUT"
mkdir -p "$OUT/assets"
cp govuk-frontend.min.css "$OUT/"
cp -r node_modules/govuk-frontend/dist/govuk/assets/images "$OUT/assets/"
cp -r node_modules/govuk-frontend/dist/govuk/assets/rebrand "$OUT/assets/"
node -e "const p=require(\"./node_modules/govuk-frontend/package.json\"); console.log(\"License: \" + p.license + \" (\" + (p.homepage||\"\") + \")\")" > "$OUT/LICENSE"
echo "govuk-frontend $VERSION (compiled with sass $SASS_VERSION, Arial, no font files)" > "$OUT/VERSION"
echo "Vendored govuk-frontend $VERSION into $OUT"
