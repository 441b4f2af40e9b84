#!/usr/bin/env bash
# Installs Node.js VERSION from the npm registry (the node-<os>-<arch> package, which carries the node
# binary and the C++ headers native modules are built against) and prints its directory: bin/node and
# include/node are under it. Skips the download when that version is already there.
#   usage: bash scripts/registry-node.sh 24.21.0
set -euo pipefail
version="${1:?usage: registry-node.sh VERSION}"
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "registry-node.sh: no Node.js package for $(uname -m)" >&2; exit 1 ;;
esac
package="node-$(uname -s | tr '[:upper:]' '[:lower:]')-$arch"
root="${OTPGATE_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/otpgate/node}"
dir="$root/$package-$version"
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p "$root"
  work="$(mktemp -d "$root/.download-XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "$package@$version" >/dev/null && tar -xzf ./*.tgz)
  rm -rf "$dir"
  mv "$work/package" "$dir"
fi
# The package's own check that it is the version asked for.
[ "$("$dir/bin/node" --version)" = "v$version" ] || { echo "registry-node.sh: $dir/bin/node is not v$version" >&2; exit 1; }
echo "$dir"
