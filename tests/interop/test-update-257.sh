#!/usr/bin/env bash
# ukit update against systemd-sysupdate 257 (the Debian 13 oracle root, run
# with scripts/oracle-257-run.sh): each scenario builds a scratch tree
# (definitions, sources, targets), runs the same steps with 257 and with
# ukit on identical copies at the same path, and compares the resulting
# trees (names, types, contents, modes, symlink targets), the exit status of
# every step and the stdout of the steps whose output is data (--json list,
# check-new, components). The expected results are whatever 257 does.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-http.sh"

. "$(dirname "$0")/lib-update-257.sh"

uki_transfer() { # FILE [extra Transfer lines] -- [extra Target lines]
        cat >"$1" <<EOT
[Transfer]
Verify=no
$2

[Source]
Type=regular-file
Path=$W/src
MatchPattern=uki_@v.efi

[Target]
Type=regular-file
Path=$W/esp/EFI/Linux
MatchPattern=uki_@v+@l-@d.efi uki_@v+@l.efi uki_@v.efi
$3
EOT
}

setup_counters() {
        mkfiles "$W/src" uki_ .efi 1.0 1.1 2.0
        mkfiles "$W/esp/EFI/Linux" uki_ .efi 0.9
        mkdir -p "$W/defs"; uki_transfer "$W/defs/50-uki.transfer" "" "TriesLeft=3
TriesDone=0"
        steps=("=--definitions=$W/defs --json=short list" "=--definitions=$W/defs check-new"
               "--definitions=$W/defs update" "=--definitions=$W/defs --json=short list"
               "=--definitions=$W/defs check-new" "--definitions=$W/defs update")
}
scenario counters

setup_downgrade() {
        setup_counters
        steps=("--definitions=$W/defs update" "--definitions=$W/defs update 1.0"
               "=--definitions=$W/defs --json=short list" "--definitions=$W/defs update 1.1"
               "--definitions=$W/defs update 7.0" "--definitions=$W/defs update 2.0")
}
scenario downgrade

setup_instances() {
        mkfiles "$W/src" uki_ .efi 5
        mkfiles "$W/esp/EFI/Linux" uki_ .efi 1 2 3 4
        mkdir -p "$W/defs"; uki_transfer "$W/defs/50-uki.transfer" "" "InstancesMax=3"
        steps=("--definitions=$W/defs update" "=--definitions=$W/defs --json=short list")
}
scenario instances

setup_default_max() {
        mkfiles "$W/src" uki_ .efi 5
        mkfiles "$W/esp/EFI/Linux" uki_ .efi 1 2 3 4
        mkdir -p "$W/defs"; uki_transfer "$W/defs/50-uki.transfer" "" ""
        steps=("--definitions=$W/defs update")
}
scenario default_max

setup_vacuum() {
        mkfiles "$W/src" uki_ .efi 5
        mkfiles "$W/esp/EFI/Linux" uki_ .efi 1 2 3 4
        mkdir -p "$W/defs"; uki_transfer "$W/defs/50-uki.transfer" "" "InstancesMax=5"
        steps=("--definitions=$W/defs vacuum" "--definitions=$W/defs -m 2 vacuum" "--definitions=$W/defs --instances-max=3 update")
}
scenario vacuum

setup_protect() {
        mkfiles "$W/src" uki_ .efi 2.0
        mkfiles "$W/esp/EFI/Linux" uki_ .efi 0.8 0.9
        mkdir -p "$W/defs"; uki_transfer "$W/defs/50-uki.transfer" "ProtectVersion=0.8" "InstancesMax=2"
        steps=("--definitions=$W/defs update" "=--definitions=$W/defs --json=short list")
}
scenario protect

setup_directory() {
        for v in 1 2 3; do mkdir -p "$W/src/tree-$v/sub"; echo "$v" >"$W/src/tree-$v/sub/file"; ln -s sub/file "$W/src/tree-$v/link"; done
        chmod 0750 "$W/src/tree-3"
        mkdir -p "$W/tgt/tree-1" "$W/defs"
        cat >"$W/defs/10-tree.transfer" <<EOT
[Source]
Type=directory
Path=$W/src
MatchPattern=tree-@v

[Target]
Type=directory
Path=$W/tgt
MatchPattern=tree-@v
InstancesMax=2
EOT
        steps=("=--definitions=$W/defs --json=short list" "--definitions=$W/defs update" "--definitions=$W/defs update 2")
}
scenario directory

setup_minversion() {
        mkfiles "$W/src" uki_ .efi 1.0 1.1 1.2
        mkfiles "$W/esp/EFI/Linux" uki_ .efi 0.5
        mkdir -p "$W/defs"; uki_transfer "$W/defs/50-uki.transfer" "MinVersion=1.1" ""
        steps=("=--definitions=$W/defs --json=short list" "--definitions=$W/defs update 1.0" "--definitions=$W/defs update"
               "=--definitions=$W/defs --json=short list")
}
scenario minversion

setup_symlink() {
        mkfiles "$W/src" uki_ .efi 1 2
        mkdir -p "$W/defs"; uki_transfer "$W/defs/50-uki.transfer" "" "CurrentSymlink=$W/esp/EFI/Linux/current.efi
Mode=0600"
        steps=("--definitions=$W/defs update 1" "--definitions=$W/defs update")
}
scenario symlink

setup_two() {
        mkfiles "$W/src" uki_ .efi 1 2 3
        mkfiles "$W/src" usr_ .raw 1 2
        mkdir -p "$W/defs"
        cat >"$W/defs/10-usr.transfer" <<EOT
[Source]
Type=regular-file
Path=$W/src
MatchPattern=usr_@v.raw

[Target]
Type=regular-file
Path=$W/img
MatchPattern=usr_@v.raw
EOT
        uki_transfer "$W/defs/90-uki.transfer" "" "TriesLeft=2"
        steps=("=--definitions=$W/defs --json=short list" "=--definitions=$W/defs check-new" "--definitions=$W/defs update"
               "=--definitions=$W/defs --json=short list")
}
scenario two

setup_root() {
        mkfiles "$W/srv" uki_ .efi 1.0 2.0
        mkfiles "$W/esp/EFI/Linux" uki_ .efi 1.0
        mkdir -p "$W/etc/sysupdate.d" "$W/usr/lib/sysupdate.d"
        printf 'ID=test\nIMAGE_VERSION=1.0\n' >"$W/etc/os-release"
        cat >"$W/usr/lib/sysupdate.d/50-uki.conf" <<EOT
[Transfer]
ProtectVersion=%A
[Source]
Type=regular-file
Path=/srv
MatchPattern=uki_@v.efi
[Target]
Type=regular-file
Path=/esp/EFI/Linux
MatchPattern=uki_@v.efi
InstancesMax=2
EOT
        # 257 refuses "pending" with --root; ukit allows it (ukit-update(1), DIFFERENCES)
        steps=("=--root=$W --json=short list" "--root=$W update" "=--root=$W --json=short list")
}
scenario root

setup_components() {
        mkfiles "$W/srv/stable" uki_ .efi 1 2
        mkfiles "$W/srv/beta" uki_ .efi 3~rc1 3
        mkdir -p "$W/etc/sysupdate.d" "$W/etc/sysupdate.beta.d" "$W/usr/lib/sysupdate.lts.d"
        for c in stable beta; do
                d=$W/etc/sysupdate.d; [ $c = beta ] && d=$W/etc/sysupdate.beta.d
                cat >"$d/50-uki.transfer" <<EOT
[Source]
Type=regular-file
Path=/srv/$c
MatchPattern=uki_@v.efi
[Target]
Type=regular-file
Path=/esp
MatchPattern=uki_@v.efi
EOT
        done
        steps=("=--root=$W --json=short components" "--root=$W update" "--root=$W -C beta update"
               "=--root=$W --component=beta --json=short list" "=--root=$W --json=short list")
}
scenario components

setup_transfer_wins() {
        mkfiles "$W/src" uki_ .efi 1 2
        mkdir -p "$W/defs"
        uki_transfer "$W/defs/50-uki.transfer" "" ""
        cp "$W/defs/50-uki.transfer" "$W/defs/40-old.conf"
        sed -i 's|esp/EFI/Linux|other|' "$W/defs/40-old.conf"
        steps=("--definitions=$W/defs update")
}
scenario transfer_wins

setup_compressed() {
        mkdir -p "$W/src" "$W/defs"
        # .zst: 257 (Debian 13) copies it compressed, ukit decompresses it
        # (ukit-update(1), DIFFERENCES); test-update-faults.sh checks that.
        for v in 1 2; do random_bytes 300000 >"$W/src/uki_$v.efi"; done
        gzip -9 "$W/src/uki_1.efi"; xz "$W/src/uki_2.efi"
        cat >"$W/defs/50-uki.transfer" <<EOT
[Source]
Type=regular-file
Path=$W/src
MatchPattern=uki_@v.efi.gz uki_@v.efi.xz
[Target]
Type=regular-file
Path=$W/esp
MatchPattern=uki_@v.efi
InstancesMax=4
EOT
        steps=("--definitions=$W/defs update 1" "--definitions=$W/defs update 2")
}
command -v xz >/dev/null && scenario compressed

setup_tar() {
        mkdir -p "$W/src" "$W/defs" "$W/tgt"
        for v in 1 2; do
                rm -rf "$T/tree"; mkdir -p "$T/tree/etc" "$T/tree/usr/bin"
                echo "v$v" >"$T/tree/etc/version"; chmod 0640 "$T/tree/etc/version"; chown 1234:5678 "$T/tree/etc/version"
                printf 'exec\n' >"$T/tree/usr/bin/tool"; chmod 0755 "$T/tree/usr/bin/tool"; ln -s ../etc/version "$T/tree/usr/version"
                chmod 0751 "$T/tree"
                tar -C "$T/tree" -c . | { [ $v = 1 ] && gzip || xz; } >"$W/src/tree_$v.tar.$([ $v = 1 ] && echo gz || echo xz)"
        done
        tar -C "$T/tree" -c etc >"$W/src/tree_3.tar"     # no "./" entry
        cat >"$W/defs/20-tree.transfer" <<EOT
[Source]
Type=tar
Path=$W/src
MatchPattern=tree_@v.tar.gz tree_@v.tar.xz tree_@v.tar
[Target]
Type=directory
Path=$W/tgt
MatchPattern=tree_@v
InstancesMax=5
EOT
        steps=("=--definitions=$W/defs --json=short list" "--definitions=$W/defs update 1" "--definitions=$W/defs update 2"
               "--definitions=$W/defs update 3")
}
scenario tar

setup_features() {
        mkfiles "$W/src" uki_ .efi 1 2
        mkdir -p "$W/defs"
        printf '[Feature]\nDescription=Debug tools\nDocumentation=https://example.invalid/dbg\nEnabled=no\n' >"$W/defs/dbg.feature"
        printf '[Feature]\nDescription=Base\nEnabled=yes\n' >"$W/defs/base.feature"
        uki_transfer "$W/defs/40-base.transfer" "Features=base" ""
        uki_transfer "$W/defs/50-dbg.transfer" "Features=dbg" ""
        sed -i 's|esp/EFI/Linux|dbg|' "$W/defs/50-dbg.transfer"
        uki_transfer "$W/defs/60-req.transfer" "RequisiteFeatures=base dbg" ""
        sed -i 's|esp/EFI/Linux|req|' "$W/defs/60-req.transfer"
        steps=("%--definitions=$W/defs --json=short features" "=--definitions=$W/defs --json=short features dbg"
               "=--definitions=$W/defs --json=short features base" "--definitions=$W/defs update")
}
scenario features

# A transfer whose feature is disabled takes no part in the update sets,
# but vacuum and update empty its target, all but ProtectVersion=
setup_features_vacuum() {
        mkfiles "$W/src" uki_ .efi 1 2 3
        mkfiles "$W/dbg" uki_ .efi 1 2
        mkdir -p "$W/defs"
        printf '[Feature]\nDescription=Debug tools\nEnabled=no\n' >"$W/defs/dbg.feature"
        uki_transfer "$W/defs/40-base.transfer" "" ""
        uki_transfer "$W/defs/50-dbg.transfer" "Features=dbg
ProtectVersion=1" ""
        sed -i 's|esp/EFI/Linux|dbg|' "$W/defs/50-dbg.transfer"
        steps=("=--definitions=$W/defs --json=short list" "--definitions=$W/defs update 2"
               "=--definitions=$W/defs --json=short list" "--definitions=$W/defs vacuum"
               "=--definitions=$W/defs --json=short list")
}
scenario features_vacuum

# only transfers of disabled features: no definitions at all, nothing touched
setup_features_none() {
        mkfiles "$W/src" uki_ .efi 1
        mkfiles "$W/dbg" uki_ .efi 0
        mkdir -p "$W/defs"
        printf '[Feature]\nDescription=Debug tools\nEnabled=no\n' >"$W/defs/dbg.feature"
        uki_transfer "$W/defs/50-dbg.transfer" "Features=dbg" ""
        sed -i 's|esp/EFI/Linux|dbg|' "$W/defs/50-dbg.transfer"
        steps=("=--definitions=$W/defs --json=short list" "--definitions=$W/defs vacuum"
               "--definitions=$W/defs update" "=--definitions=$W/defs check-new")
}
scenario features_none

# A set installed in one transfer only (an update cut short between its
# renames): 257 shows it as "current+incomplete", installed and newest,
# and the next update completes it.
setup_incomplete() {
        local n d
        mkdir -p "$W/defs"
        for n in a b; do
                d=$W/t$n
                mkfiles "$W/src" "${n}_" "" 1 2 3
                mkfiles "$d" "${n}_" "" 2
                cat >"$W/defs/$n.transfer" <<EOT
[Transfer]
Verify=no
[Source]
Type=regular-file
Path=$W/src
MatchPattern=${n}_@v
[Target]
Type=regular-file
Path=$d
MatchPattern=${n}_@v
EOT
        done
        mkfiles "$W/ta" a_ "" 3
        steps=("=--definitions=$W/defs --json=short list" "=--definitions=$W/defs list"
               "=--definitions=$W/defs --json=short list 1" "=--definitions=$W/defs --json=short list 2"
               "=--definitions=$W/defs --json=short list 3" "=--definitions=$W/defs check-new"
               "--definitions=$W/defs update" "=--definitions=$W/defs --json=short list"
               "=--definitions=$W/defs list")
}
scenario incomplete
expect incomplete '"current":"3"'
expect incomplete 'current[+]incomplete'

# --instances-max=1: enough for vacuum, refused for update; 0 refused for both
setup_max_one() {
        mkfiles "$W/src" uki_ .efi 1 2 3
        mkfiles "$W/esp/EFI/Linux" uki_ .efi 1 2
        mkdir -p "$W/defs"; uki_transfer "$W/defs/50-uki.transfer" "" ""
        steps=("--definitions=$W/defs -m 1 update" "--definitions=$W/defs -m 0 vacuum"
               "--definitions=$W/defs -m 1 vacuum" "=--definitions=$W/defs --json=short list")
}
scenario max_one

# ReadOnly=yes on a regular-file target: the installed file has no write bits
setup_readonly_file() {
        mkfiles "$W/src" uki_ .efi 1 2
        mkfiles "$W/esp/EFI/Linux" uki_ .efi 1
        mkdir -p "$W/defs"; uki_transfer "$W/defs/50-uki.transfer" "" "ReadOnly=yes"
        steps=("--definitions=$W/defs update" "=--definitions=$W/defs --json=short list")
}
scenario readonly_file
expect readonly_file 'uki_2[+]3-0.efi f 444'
expect max_one "'--definitions=$W/defs -m 1 vacuum' rc=0"

# Found by test-update-257-random.sh: a number, even "0", is newer than
# letters ("v007", "b2"); @t in a name is read as C reads numbers ("0644"
# is octal) and "list VERSION" shows it as the mtime. (Versions that compare
# equal, "1" and "01", are one update set in both tools, but which name 257
# gives the set is not settled: test-update-257-random.sh, ties off.)
setup_version_order() {
        mkfiles "$W/src" uki_ .efi 1 1.0 2_0 0 v007 0a.0 b2
        mkdir -p "$W/tgt" "$W/defs"; echo old >"$W/tgt/uki_0a.0_0644.efi"
        uki_transfer "$W/defs/50-uki.transfer" "" "InstancesMax=3"
        sed -i "s|^Path=$W/esp/EFI/Linux|Path=$W/tgt|; s|^MatchPattern=uki_@v+@l.*|MatchPattern=uki_@v_@t.efi uki_@v.efi|" "$W/defs/50-uki.transfer"
        steps=("=--definitions=$W/defs --json=short list" "=--definitions=$W/defs --json=short list 0a.0"
               "=--definitions=$W/defs check-new")
}
scenario version_order
expect version_order '"mtime":420'
expect version_order '"all":\["2_0","1.0","1","0a.0","0","v007","b2"\]'

# url-file over a loopback HTTP server (python3 http.server), SHA256SUMS
# checked by both; signatures: test-update-remote.sh (257 reads its keyring
# from its own /etc, which this test does not touch)
if command -v python3 >/dev/null; then
        mkdir -p "$T/www"
        http_serve "$T/www"
        setup_url() {
                rm -rf "$T/www"/*
                for v in 1.0 1.5 2.0; do random_bytes 200000 >"$T/www/uki_$v.efi"; done
                xz "$T/www/uki_2.0.efi"
                (cd "$T/www" && sha256sum uki_* >SHA256SUMS)
                mkfiles "$W/esp" uki_ .efi 0.1
                mkdir -p "$W/defs"
                cat >"$W/defs/50-uki.transfer" <<EOT
[Transfer]
Verify=no
[Source]
Type=url-file
Path=http://127.0.0.1:$port
MatchPattern=uki_@v.efi.xz uki_@v.efi
[Target]
Type=regular-file
Path=$W/esp
MatchPattern=uki_@v+@l-@d.efi uki_@v.efi
TriesLeft=2
EOT
                steps=("=--definitions=$W/defs --json=short list" "=--definitions=$W/defs check-new"
                       "--definitions=$W/defs update 1.5" "--definitions=$W/defs update")
        }
        scenario url
        # url-tar: the tarballs SHA256SUMS lists, unpacked into directories
        setup_url_tar() {
                rm -rf "$T/www"/*
                for v in 1 2; do
                        rm -rf "$T/tree"; mkdir -p "$T/tree/etc" "$T/tree/usr/bin"
                        echo "v$v" >"$T/tree/etc/version"; chmod 0640 "$T/tree/etc/version"
                        printf 'exec\n' >"$T/tree/usr/bin/tool"; chmod 0755 "$T/tree/usr/bin/tool"
                        ln -s ../etc/version "$T/tree/usr/version"; chmod 0751 "$T/tree"
                        tar -C "$T/tree" -c . | { [ $v = 1 ] && gzip || xz; } >"$T/www/tree_$v.tar.$([ $v = 1 ] && echo gz || echo xz)"
                done
                (cd "$T/www" && sha256sum tree_* >SHA256SUMS)
                mkdir -p "$W/defs" "$W/tgt"
                cat >"$W/defs/20-tree.transfer" <<EOT
[Transfer]
Verify=no
[Source]
Type=url-tar
Path=http://127.0.0.1:$port
MatchPattern=tree_@v.tar.gz tree_@v.tar.xz
[Target]
Type=directory
Path=$W/tgt
MatchPattern=tree_@v
EOT
                steps=("=--definitions=$W/defs --json=short list" "--definitions=$W/defs update 1" "--definitions=$W/defs update"
                       "=--definitions=$W/defs --json=short list")
        }
        scenario url_tar
fi

echo "$n scenarios: ukit update leaves what systemd-sysupdate 257 leaves"
