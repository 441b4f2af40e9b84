#!/usr/bin/env bash
# Runs the whole suite (`npm test`) on Node.js 24 from the npm registry, whatever Node this machine has:
# installs that Node (scripts/registry-node.sh), copies this tree (with its node_modules, after `npm install`)
# to a temporary directory, rebuilds better-sqlite3 there for Node 24 and runs `npm test` in the copy. This
# tree, its node_modules and its build are left as they were.
#   usage: bash scripts/test-node24.sh            (after `npm install`)
#   OTPGATE_NODE24=24.21.0 OTPGATE_NODE24_HEADERS=24.0.0 choose the versions.
#
# better-sqlite3 12 is built against the headers of Node 24.0.0, as its own prebuilt binaries for Node 24 are:
# from 24.19.0 on, node_object_wrap.h gives every wrapped object an environment cleanup hook whose removal
# aborts the process when V8 collects a statement (issue 18; docs/installation.md, "Node.js versions"). One Node 24 ABI
# (NODE_MODULE_VERSION 137) serves every 24.x, so the binary runs on the newest 24.
set -euo pipefail
cd "$(dirname "$0")/.."
runtime_version="${OTPGATE_NODE24:-24.21.0}"
headers_version="${OTPGATE_NODE24_HEADERS:-24.0.0}"
runtime="$(bash scripts/registry-node.sh "$runtime_version")"
headers="$(bash scripts/registry-node.sh "$headers_version")"
[ -d node_modules ] || { echo "test-node24.sh: run npm install first" >&2; exit 1; }

copy="$(mktemp -d "${TMPDIR:-/tmp}/otpgate-node24-XXXXXX")"
trap 'rm -rf "$copy"' EXIT
# Everything but git's own files; the PSKC corpus the tests read stands beside the repository (../shared).
tar --exclude=./.git -cf - . | tar -xf - -C "$copy"
corpus="$(cd .. && pwd)/shared/testdata/pskc"

cd "$copy"
export PATH="$runtime/bin:$PATH"
echo "== Node $(node --version) from the npm registry ($runtime); better-sqlite3 built against Node $headers_version headers"
npm_config_nodedir="$headers" npm rebuild better-sqlite3
OTPGATE_TEST_CORPUS="${OTPGATE_TEST_CORPUS:-$corpus}" npm test
