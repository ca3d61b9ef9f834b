#!/usr/bin/env bash
# ukit's .deb in a fresh Debian 12 root (scripts/fetch-root-bookworm.sh):
# the checks of tests/interop/deb-root-lib.sh with kernel-install 252.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/deb-root-lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (mount namespaces, overlayfs)"
bookworm=$(bash "$UKIT_TOP/scripts/fetch-root-bookworm.sh" "$UKIT_CACHE") || fail "no Debian 12 root"
deb_root_check 12 "$bookworm"
