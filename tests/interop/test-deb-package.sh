#!/usr/bin/env bash
# The Debian package (debian/): dpkg-buildpackage builds it from the tree,
# lintian (Debian's own checker) reports no error and no warning that is
# not overridden with a reason in debian/ukit.lintian-overrides, and dpkg-deb
# shows the files where Debian and systemd look for them, Depends computed
# by dpkg-shlibdeps, kernel-install/systemd-boot/tpm2-tools only
# recommended or suggested, and no file that another package (systemd's)
# owns on this host.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/deb-lib.sh"
need lintian dpkg-deb dpkg-query
deb_build
echo "package: $DEB"

lintian --tag-display-limit 0 "$DEB_CHANGES" >"$T/lintian" 2>&1 || true
cat "$T/lintian"
grep -E '^E: ' "$T/lintian" && fail "lintian reports errors"
grep -E '^W: ' "$T/lintian" && fail "lintian warnings without an override in debian/ukit.lintian-overrides"
grep -qE '^(E|W|I|N|P|O): |^$|root privileges' "$T/lintian" || [ ! -s "$T/lintian" ] || true

dpkg-deb -c "$DEB" | awk '{ p = $6; sub(/^\./, "", p); print p }' | sed '/\/$/d' | sort >"$T/files"
# Paths as Debian 12's systemd and bash-completion report them.
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
presetdir=$(pkg-config --variable=systemdsystempresetdir systemd)
compdir=/usr/share/bash-completion/completions
for f in /usr/bin/ukit /usr/lib/ukit/ukit-stub.efi /usr/lib/ukit/ukit-addon.efi \
         /usr/lib/kernel/install.d/60-ukit.install \
         /usr/share/man/man1/ukit.1.gz /usr/share/man/man1/ukit-build.1.gz /usr/share/man/man8/ukit-sysext.8.gz \
         "$compdir/ukit" "$unitdir/ukit-sysext.service" "$unitdir/ukit-confext.service" \
         "$presetdir/90-ukit.preset"; do
        grep -qx "$f" "$T/files" || fail "$f is not in the package"
done
# Nothing the host's packages own (dpkg -S knows every installed file).
while read -r f; do
        if owner=$(dpkg-query -S "$f" 2>/dev/null); then
                case $owner in ukit:*) ;; *) fail "$f is also shipped by ${owner%%:*}" ;; esac
        fi
done <"$T/files"
# No conffile: /etc stays the user's (uki.conf, install.conf).
grep '^/etc/' "$T/files" && fail "the package ships files in /etc"

depends=$(dpkg-deb -f "$DEB" Depends)
echo "Depends: $depends"
for lib in libc6 libssl3 libblkid1 libcryptsetup12; do
        [[ $depends == *"$lib "* || $depends == *"$lib," || $depends == *"$lib" ]] ||
                fail "Depends lacks $lib (dpkg-shlibdeps)"
done
for p in systemd systemd-boot tpm2-tools; do
        [[ ", $depends," == *", $p "* || ", $depends," == *", $p,"* ]] && fail "$p is a Depends"
done
rs="$(dpkg-deb -f "$DEB" Recommends), $(dpkg-deb -f "$DEB" Suggests)"
for p in systemd systemd-boot tpm2-tools; do
        [[ ", $rs," == *", $p,"* ]] || fail "$p is neither recommended nor suggested ($rs)"
done
echo "package OK"
