#!/bin/sh
# Installs every Debian 12 package presenced needs to build, run and test.
# Idempotent; run as root (or through sudo).
set -eu
PKGS="build-essential autoconf automake libtool pkg-config
 libsofia-sip-ua-dev libsofia-sip-ua-glib-dev libmicrohttpd-dev libxml2-dev libxml2-utils
 libsqlite3-dev sqlite3 libssl-dev openssl libgnutls28-dev gnutls-bin libconfuse-dev
 libcurl4-openssl-dev libjemalloc-dev check curl sip-tester libnet-sip-perl perl python3 ca-certificates
 procps iproute2"
if [ "${1:-}" = "--bench" ]; then
  PKGS="$PKGS nginx wrk kamailio kamailio-presence-modules kamailio-sqlite-modules"
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $PKGS
