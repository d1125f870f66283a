#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The published package as a user gets it: `npm pack`, then checks that
#   1. the tarball holds no test or benchmark code (test/, bench/, checks/, dist/test, dist/bench,
#      dist/checks) and no source maps;
#   2. it holds what users run: the compiled library and CLI, the native sources the install script
#      builds from, and the classifier weights eval loads at run time;
#   3. it installs as a dependency of a fresh project (the install script builds the addon there,
#      CPU backend only: LCSS_CUDA=0);
#   4. README's first example runs there as plain JavaScript and prints the right values, and
#      type-checks as TypeScript against the installed declarations;
#   5. the `lcss` command works there, `lcss bench` included (library code, runtime dependencies only).
# Prints one line per check and, with LCSS_PACK_JSON=FILE, writes the counts in vitest's JSON
# report format so .ci/run adds them to its total. LCSS_PACK_KEEP=1 keeps the temporary folder.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
log() { printf '[pack] %s\n' "$*" >&2; }

passed=0 failed=0
ok() { passed=$((passed + 1)); log "PASS $*"; }
bad() { failed=$((failed + 1)); log "FAIL $*"; }
report() {
  if [ -n "${LCSS_PACK_JSON:-}" ]; then
    printf '{"numPassedTests":%d,"numFailedTests":%d,"success":%s}\n' "$passed" "$failed" \
      "$([ "$failed" -eq 0 ] && echo true || echo false)" > "$LCSS_PACK_JSON"
  fi
  log "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

tmp=$(mktemp -d -t lcss-pack-XXXXXX)
[ "${LCSS_PACK_KEEP:-0}" = 1 ] || trap 'rm -rf "$tmp"' EXIT

# npm pack runs prepack (clears dist/, so files of moved or deleted modules cannot ship) and
# prepare (compiles the TypeScript again).
if ! tarball=$(npm pack --silent --pack-destination "$tmp" 2>"$tmp/pack.log" | tail -n 1) || [ ! -f "$tmp/$tarball" ]; then
  cat "$tmp/pack.log" >&2
  bad "npm pack"
  report
  exit 1
fi
tarball=$tmp/$tarball
tar tzf "$tarball" | sed 's#^package/##' | sort > "$tmp/files.txt"
log "tarball $(basename "$tarball"): $(wc -l < "$tmp/files.txt") files, $(du -k "$tarball" | cut -f1) KiB"

dev=$(grep -E '^(dist/)?(test|bench|checks)/|\.map$' "$tmp/files.txt")
if [ -z "$dev" ]; then ok "no test, benchmark or source-map files in the tarball"
else bad "dev files in the tarball: $(echo "$dev" | head -5 | tr '\n' ' ')"; fi

missing=""
for f in dist/src/index.js dist/src/index.d.ts dist/src/cli/bin.js dist/src/bench/losses.js \
         native/build.mjs native/sources.json CMakeLists.txt binding.gyp \
         src/eval/assets/mnist-classifier.safetensors README.md package.json; do
  grep -qxF "$f" "$tmp/files.txt" || missing="$missing $f"
done
if [ -z "$missing" ]; then ok "the tarball holds the library, the CLI, the native sources and the weights"
else bad "missing from the tarball:$missing"; fi

app=$tmp/app
mkdir -p "$app"
(cd "$app" && npm init -y >/dev/null)
start=$(date +%s)
if (cd "$app" && LCSS_CUDA=0 npm install --prefer-offline --no-audit --no-fund "$tarball" >"$tmp/install.log" 2>&1); then
  ok "npm install of the tarball into a fresh project ($(( $(date +%s) - start )) s)"
else
  tail -n 40 "$tmp/install.log" >&2
  bad "npm install of the tarball into a fresh project"
  report
  exit 1
fi

# README's first example, TypeScript non-null assertions (x!.y, f(x!)) removed to run it as .mjs
awk '/^## A first example/ { s = 1 } s && /^```ts/ { c = 1; next } c && /^```/ { exit } c' README.md \
  | sed -E 's/([A-Za-z0-9_)])!([.,)])/\1\2/g' > "$app/first_example.mjs"
if ! grep -q "from 'lcss'" "$app/first_example.mjs"; then
  bad "README's first example not found (expected a \`\`\`ts block importing 'lcss' under '## A first example')"
elif out=$(cd "$app" && node first_example.mjs 2>&1); then
  # g = d/dx sum(x sin x) = sin x + x cos x and h = sum of second derivatives = 2 cos x - x sin x at
  # x = 1..4, as toString prints them; then numTensors() and the reserved bytes, two integers
  want=$(node -e 'const v=[];for(const f of [(x)=>Math.sin(x)+x*Math.cos(x),(x)=>2*Math.cos(x)-x*Math.sin(x)])for(const x of [1,2,3,4])v.push(f(x).toFixed(4));console.log(v.join(" "))')
  miss=""
  for v in $want; do grep -qF -- "$v" <<<"$out" || miss="$miss $v"; done
  if [ -z "$miss" ] && tail -n 1 <<<"$out" | grep -qE '^[0-9]+ [0-9]+$'; then ok "README's first example runs in the fresh project"
  else echo "$out" >&2; bad "README's first example printed something else (missing:$miss)"; fi
else
  echo "$out" >&2
  bad "README's first example failed in the fresh project"
fi

# The same example as TypeScript against the installed declarations: the Tensor methods it calls
# (backward, add_) come from a module augmentation that the declaration files must carry along.
tsc=$root/node_modules/typescript/bin/tsc
if [ ! -f "$tsc" ]; then
  log "skip: type check of README's first example (no typescript in node_modules)"
else
  awk '/^## A first example/ { s = 1 } s && /^```ts/ { c = 1; next } c && /^```/ { exit } c' README.md > "$app/first_example.mts"
  if out=$(cd "$app" && node "$tsc" --noEmit --strict --target es2022 --module nodenext --moduleResolution nodenext \
      --lib es2022,dom --skipLibCheck first_example.mts 2>&1); then ok "README's first example type-checks against the installed declarations"
  else echo "$out" >&2; bad "README's first example type-checks against the installed declarations"; fi
fi

if (cd "$app" && npx --no-install lcss --help 2>&1 | grep -q 'usage: lcss'); then ok "npx lcss --help in the fresh project"
else bad "npx lcss --help in the fresh project"; fi

# `lcss bench` runs library code only (src/bench), with the package's runtime dependencies alone
if out=$(cd "$app" && npx --no-install lcss bench losses --dims 2 --reps 1 2>&1) && grep -q 'D=2' <<<"$out"; then
  ok "npx lcss bench losses in the fresh project"
else
  echo "$out" | tail -n 20 >&2
  bad "npx lcss bench losses in the fresh project"
fi

report
