#!/usr/bin/env bash
# ukit's .deb in a fresh Debian 13 root: the systemd 257 oracle root (never
# written) under the man-db/bash-completion layer of
# scripts/fetch-trixie-layer.sh; the checks of tests/interop/deb-root-lib.sh
# with kernel-install 257 (60-ukify masked) and ukify inspect.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/deb-root-lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (mount namespaces, overlayfs)"
trixie=$(bash "$UKIT_TOP/scripts/fetch-oracle-257.sh" "$UKIT_CACHE") || fail "no Debian 13 root"
layer=$(bash "$UKIT_TOP/scripts/fetch-trixie-layer.sh" "$UKIT_CACHE") || fail "no Debian 13 package layer"
deb_root_check 13 "$layer:$trixie"
