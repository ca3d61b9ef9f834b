#!/usr/bin/env bash
# The random seed when the UKI lives on XBOOTLDR, ukit-stub against
# systemd-stub 257 (the Debian 13 oracle root). One GPT disk: the ESP holds
# \loader\random-seed (512 known bytes) and no loader; XBOOTLDR holds the
# UKI as \EFI\BOOT\BOOTX64.EFI (OVMF's removable-media path) and a decoy
# \loader\random-seed of its own. The same UKI (ukify 257) with either stub,
# three boots each on one disk, each stub with its own variable store:
#   1. no EFI_RNG_PROTOCOL (no virtio-rng) and no LoaderSystemToken:
#      257 gives no seed, the ESP file stays as it was;
#   2. virtio-rng: the ESP file is refreshed (32 new bytes, the rest zeroed,
#      the size kept); a guest hook writes a 32-byte LoaderSystemToken;
#   3. no RNG again, with that token: the file is refreshed again and the
#      kernel gets a LINUX_EFI_RANDOM_SEED table ("RNG=" in its EFI line;
#      without RNG the kernel's own EFI stub adds none).
# After each boot both stubs must agree on: file changed or not, its size,
# zero tail, the RNG= line; the XBOOTLDR decoy is never touched; StubFeatures
# equal (RANDOM_SEED set).
# Oracles: systemd-stub 257, OVMF, the kernel, mtools reading the disk.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
need jq od cmp
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
[ -f "$STUB" ] || fail "$STUB not built"
vm_oracle_257

cp "$(vm_kernel)" "$W/vmlinuz"
cp "$STUB" "$W/ukit-stub.efi"
# The hook writes a LoaderSystemToken (NV+BS+RT, 32 bytes) unless there is
# one, with a single write() as efivarfs wants, and reports the RNG line.
cat >"$W/token.sh" <<'HOOK'
tok=/sys/firmware/efi/efivars/LoaderSystemToken-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
if [ -f "$tok" ]; then
        report "token=present"
else
        { printf '\007\000\000\000'; printf 'ukit-test-system-token-32-bytes!'; } >/tmp/tok
        if dd if=/tmp/tok of="$tok" bs=36 count=1 2>/dev/null; then report "token=written"; else report "token=failed"; fi
fi
report "efi-rng-table=$(dmesg | grep -E '^(\[[ 0-9.]*\] )?efi: ' | grep -c ' RNG=')"
HOOK
vm_initrd "$W/initrd.img" --hook "$W/token.sh"
for s in sd ukit; do
        stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub; [ $s = ukit ] && stub=$W/ukit-stub.efi
        in257 ukify build --stub="$stub" --linux="$W/vmlinuz" --initrd="$W/initrd.img" \
                --cmdline='console=ttyS0 panic=-1' --uname=6.1.0-test --output="$W/$s.efi" >/dev/null ||
                fail "ukify 257 build with $s stub failed"
done

# 512 bytes: a counter pattern, no zero byte anywhere.
/usr/bin/python3 -c 'import sys; sys.stdout.buffer.write(bytes((i % 251) + 1 for i in range(512)))' >"$W/seed0"
/usr/bin/python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 7 % 251) + 1 for i in range(512)))' >"$W/decoy"
for s in sd ukit; do
        rm -rf "$W/esp-$s" "$W/xb-$s"
        mkdir -p "$W/esp-$s/loader" "$W/xb-$s/EFI/BOOT" "$W/xb-$s/loader"
        cp "$W/seed0" "$W/esp-$s/loader/random-seed"
        cp "$W/decoy" "$W/xb-$s/loader/random-seed"
        cp "$W/$s.efi" "$W/xb-$s/EFI/BOOT/BOOTX64.EFI"
        vm_disk_xbootldr "$W/esp-$s" "$W/xb-$s" "$W/disk-$s.img"
        cp "$W/seed0" "$W/$s-seed.0"
done

# seed_state S N: one line describing the ESP seed file after boot N of stub
# S against the one before: "changed|same size=N tail=zero|other".
seed_state() {
        local s=$1 n=$2 f=$W/$1-seed.$2 prev=$W/$1-seed.$(($2 - 1)) st tail
        vm_disk_cat "$W/disk-$s.img" 1 /loader/random-seed >"$f" || fail "$s boot $n: no \\loader\\random-seed on the ESP"
        vm_disk_cat "$W/disk-$s.img" 2 /loader/random-seed | cmp -s - "$W/decoy" ||
                fail "$s boot $n: the XBOOTLDR partition's \\loader\\random-seed was changed"
        if cmp -s "$f" "$prev"; then st=same; else st=changed; fi
        if [ -z "$(tail -c +33 "$f" | tr -d '\0' | head -c 1)" ]; then tail=zero; else tail=other; fi
        # the first 32 bytes must differ from every earlier content
        if [ $st = changed ]; then
                local i
                for ((i = 0; i < n; i++)); do
                        [ "$(head -c 32 "$f" | od -An -tx1)" != "$(head -c 32 "$W/$s-seed.$i" | od -An -tx1)" ] ||
                                fail "$s boot $n: the first 32 bytes are those after boot $i"
                done
        fi
        echo "$st size=$(stat -c %s "$f") tail=$tail"
}

# boot S N [vm_run options]
boot() {
        local s=$1 n=$2; shift 2
        vm_run "$W/disk-$s.img" "$W/$s-$n.log" --no-tpm "$@" || fail "$s stub, boot $n: no report (see $W/$s-$n.log)"
        vm_report "$W/$s-$n.log" "efivar StubInfo" | grep -q "^$([ $s = sd ] && echo 'systemd-stub 257' || echo ukit-stub)" ||
                fail "$s boot $n: not booted by the expected stub"
        eval "state_${s}_$n=\$(seed_state $s $n)"
        echo "$s boot $n: ESP seed file $(eval echo "\$state_${s}_$n"), RNG table lines $(vm_report "$W/$s-$n.log" efi-rng-table)," \
                "token $(vm_report "$W/$s-$n.log" token), StubFeatures $(vm_report "$W/$s-$n.log" "efivar StubFeatures")"
}

for s in sd ukit; do
        boot $s 1 --no-rng
        boot $s 2 --keep-vars "$W/vars-$s.fd"
        boot $s 3 --no-rng --vars "$W/vars-$s.fd"
done

# shellcheck disable=SC2154  # state_* set by boot via eval
{
for n in 1 2 3; do
        a=$W/sd-$n.log b=$W/ukit-$n.log
        eval "sa=\$state_sd_$n sb=\$state_ukit_$n"
        assert_eq "$sb" "$sa" "boot $n: ESP seed file, ukit-stub vs stub 257"
        assert_eq "$(vm_report "$b" efi-rng-table)" "$(vm_report "$a" efi-rng-table)" "boot $n: kernel's RNG= table, ukit-stub vs stub 257"
        assert_eq "$(vm_report "$b" "efivar StubFeatures")" "$(vm_report "$a" "efivar StubFeatures")" "boot $n: StubFeatures"
done
# What 257 did, spelled out (so that a changed oracle shows up here).
assert_eq "$state_sd_1" "same size=512 tail=other" "257, no RNG, no token: file untouched"
assert_eq "$(vm_report "$W/sd-1.log" efi-rng-table)" 0 "257, no RNG, no token: no seed table"
assert_eq "$state_sd_2" "changed size=512 tail=zero" "257, RNG: file refreshed"
assert_eq "$state_sd_3" "changed size=512 tail=zero" "257, no RNG, token: file refreshed"
assert_eq "$(vm_report "$W/sd-3.log" efi-rng-table)" 1 "257, no RNG, token: seed table"
}
echo "PASS"
