#!/bin/sh
# Installs the Debian packages of deploy/packages.txt that are missing.
# Quick when nothing is missing: one dpkg-query, no apt-get at all.
set -eu
list=${1:-deploy/packages.txt}
want=$(grep -v '^[[:space:]]*#' "$list" | awk 'NF {print $1}')
missing=""
for p in $want; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done
if [ -z "$missing" ]; then
    echo "deps: all $(echo $want | wc -w) packages present"
    exit 0
fi
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
