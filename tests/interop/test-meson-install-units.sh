#!/usr/bin/env bash
# A source install with --prefix=/usr/local puts the systemd units where
# systemd reads them (a directory of `systemd-analyze unit-paths`) and the
# preset where `systemctl preset` reads it: in a --root that holds only the
# installed files, systemctl must leave both units disabled (with no preset
# found, systemd's default policy enables them). ExecStart= names the ukit the
# install puts in PREFIX/bin. -Dsystemdunitdir= overrides the directory.
# (The kernel-install plugin's place is tested with the plugin.)
. "$(dirname "$0")/../lib.sh"
need meson systemd-analyze systemctl
unitpaths=$(systemd-analyze unit-paths)

# install_units BUILDDIR DESTDIR [MESON OPTION]...: configure and install
# the units (install tag "systemd"; nothing needs compiling for them).
install_units() {
        local b=$1 d=$2
        shift 2
        meson setup --prefix=/usr/local -Dtests=false "$@" "$b" "$UKIT_TOP" >"$b.log" 2>&1 ||
                { tail -n 20 "$b.log"; fail "meson setup $*"; }
        meson install -C "$b" --no-rebuild --tags systemd --destdir "$d" >>"$b.log" 2>&1 ||
                { tail -n 20 "$b.log"; fail "meson install --destdir"; }
}

install_units "$T/b" "$T/dest"
find "$T/dest" -type f | sort
for u in ukit-sysext.service ukit-confext.service ukit-bless.service; do
        f=$(cd "$T/dest" && find . -type f -name "$u" | sed 's|^\.||')
        [ -n "$f" ] || fail "$u not installed"
        dir=$(dirname "$f")
        grep -qx "$dir" <<<"$unitpaths" || fail "$u installed to $dir, which systemd does not read ($(echo $unitpaths))"
        # The same binary the install puts in PREFIX/bin.
        exe=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$T/dest$f")
        assert_eq "$exe" /usr/local/bin/ukit "ExecStart of $u"
        meson introspect --installed "$T/b" | grep -q "\"$exe\"" || fail "$exe is not what meson installs"
done
systemctl --root="$T/dest" preset ukit-sysext.service ukit-confext.service ukit-bless.service 2>&1
for u in ukit-sysext.service ukit-confext.service ukit-bless.service; do
        assert_eq "$(systemctl --root="$T/dest" is-enabled "$u" 2>&1 || true)" disabled "$u after systemctl preset"
done
[ -z "$(find "$T/dest/etc" -name 'ukit-*' 2>/dev/null)" ] || fail "systemctl preset enabled a unit"

# The option wins over pkg-config; the preset goes next to it.
install_units "$T/b2" "$T/dest2" -Dsystemdunitdir=/usr/lib/systemd/system
[ -f "$T/dest2/usr/lib/systemd/system/ukit-sysext.service" ] || fail "-Dsystemdunitdir ignored: $(find "$T/dest2" -type f)"
[ -f "$T/dest2/usr/lib/systemd/system-preset/90-ukit.preset" ] || fail "preset not next to -Dsystemdunitdir"
echo "units OK"
