#!/usr/bin/env bash
# Installs the Debian tools the tests use as independent peers: oathtool (codes), pskc-utils (csv2pskc),
# freeradius-utils (radclient), chromium (browser tests), nginx (load-balancer test; the benchmark's two-instance PostgreSQL section), slapd and ldap-utils
# (directory tests: each starts its own slapd in a temporary directory), python3-aiosmtpd (a real SMTP
# server for the e-mail tests), apache2 and libapache2-mod-auth-openidc (a real OpenID relying party for the
# OIDC provider), zbar-tools (zbarimg decodes the authenticator-app QR code). Skips what is there.
set -euo pipefail
packages=(oathtool pskc-utils freeradius-utils chromium nginx-light slapd ldap-utils python3-aiosmtpd apache2 libapache2-mod-auth-openidc zbar-tools)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# PostgreSQL for the engine contract tests: start the local cluster if it is installed but not running.
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  fi
fi
