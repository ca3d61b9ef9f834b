#!/usr/bin/env bash
# ukit build with Debian's systemd-stub 252 and Debian's kernel, all section
# kinds: objdump lists them in ukify's order, pefile loads the image with no
# new warnings, no sections overlap, each section holds exactly its input,
# sbverify accepts it, two builds are byte-identical, SOURCE_DATE_EPOCH sets
# the timestamp.
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$UKIT_TOP/tests/interop/build-lib.sh"
build_need
need ppmmake ppmtobmp openssl
KERNEL=$(build_kernel)

cd "$T"
head -c 1000001 /dev/urandom >initrd1      # not a multiple of 4: padding follows
head -c 70000 /dev/urandom >initrd2
head -c 5 /dev/urandom >initrd3
printf 'ID=test\nPRETTY_NAME="Test OS"\nVERSION_ID=1\n' >osrel
printf 'console=ttyS0 quiet\n' >cmdline.file
ppmmake rgb:20/40/60 31 17 | ppmtobmp >splash.bmp 2>/dev/null
head -c 3000 /dev/urandom >dtb
head -c 4096 /dev/urandom >ucode
openssl genrsa 2048 2>/dev/null | openssl rsa -pubout -out pcrpkey.pem 2>/dev/null
printf 'payload with spaces' >extra.file

build() {
        "$UKIT" build --stub="$STUB" --linux="$KERNEL" --initrd=initrd1 --initrd initrd2 --initrd=initrd3 \
                --cmdline=@cmdline.file --os-release=@osrel --splash=splash.bmp --devicetree=dtb \
                --microcode=ucode --pcrpkey=pcrpkey.pem --section=.test:hello --section .extra:@extra.file \
                --sbat='sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md
ukittest,3,Test,ukittest,1,https://example.com/' "$@"
}
build -o uki.efi >build.log 2>&1 || { cat build.log; fail "build failed"; }
build --output=uki2.efi >/dev/null 2>&1 || fail "second build failed"
assert_files_equal uki.efi uki2.efi "two builds"

# ukify 257's section order, after the stub's. Stub 252's .sbat has only 256
# bytes of address space before .sdmagic, too little for the merged text, so
# it is renamed and a new .sbat follows (the image carries exactly one .sbat;
# ukify would let the two overlap in memory).
assert_eq "$(pe_sections uki.efi)" \
        ".text .reloc .data .dynamic .rela .dynsym .sbatstb .sdmagic .osrel .cmdline .dtb .uname .splash .pcrpkey .linux .initrd .ucode .test .extra .sbat " \
        "objdump -h section order"

# expected contents, built with cat/printf only
{ cat initrd1; printf '\0\0\0'; cat initrd2; cat initrd3; printf '\0\0\0'; } >initrd.expected
printf 'hello' >test.expected
uname_expected=$(basename "$KERNEL"); uname_expected=${uname_expected#vmlinuz-}
printf '%s' "$uname_expected" >uname.expected
pe_check uki.efi "$STUB" .osrel=osrel .cmdline=cmdline.file .dtb=dtb .uname=uname.expected \
        .splash=splash.bmp .pcrpkey=pcrpkey.pem .initrd=initrd.expected .ucode=ucode .test=test.expected \
        .extra=extra.file .linux="$KERNEL" || fail "pe_check"

# section payloads also via objcopy (binutils' own PE reader)
for s in osrel:osrel dtb:dtb splash:splash.bmp ucode:ucode; do
        objcopy -O binary --only-section=."${s%%:*}" uki.efi got.bin
        cmp -s <(head -c "$(stat -c %s "${s#*:}")" got.bin) "${s#*:}" || fail "objcopy: .${s%%:*} differs"
done

# .linux: VirtualSize is the kernel file's length, as ukify 257 (not the
# kernel's SizeOfImage, which is larger: the split kernel must stay the file)
ksoi=$(pe_field "$KERNEL" 'pe.OPTIONAL_HEADER.SizeOfImage')
lvs=$(pe_field uki.efi '[s.Misc_VirtualSize for s in pe.sections if s.Name.rstrip(b"\0")==b".linux"][0]')
[ "$ksoi" -gt "$(stat -c %s "$KERNEL")" ] || fail "test assumption: kernel SizeOfImage > file size"
assert_eq "$lvs" "$(stat -c %s "$KERNEL")" ".linux VirtualSize"

# flags as ukify: .linux code+read, the rest initialized data+read
assert_eq "$(pe_field uki.efi '[hex(s.Characteristics) for s in pe.sections if s.Name.rstrip(b"\0") in (b".linux", b".initrd", b".sbat")]')" \
        "['0x40000020', '0x40000040', '0x40000040']" "section characteristics"

# .sbat: one header, the stub's entries, ours; NUL-terminated
objcopy -O binary --only-section=.sbat uki.efi sbat.bin
tr -d '\0' <sbat.bin >sbat.txt
assert_eq "$(grep -c '^sbat,1,' sbat.txt)" 1 ".sbat header lines"
grep -q '^systemd,1,' sbat.txt || fail ".sbat lacks the stub's systemd entry"
grep -q '^ukittest,3,Test,' sbat.txt || fail ".sbat lacks the --sbat entry"
objcopy -O binary --only-section=.sbatstb uki.efi stubsbat.bin
objcopy -O binary --only-section=.sbat "$STUB" stubsbat.orig
cmp -s stubsbat.bin stubsbat.orig || fail "stub's original .sbat data changed"

# a PE kernel's .sbat is merged too: a stand-in "kernel" made from the stub
# with its own .sbat entry (built without --linux, like an add-on)
"$UKIT" build --stub="$STUB" --sbat='kernx,2,Kernel X,kernx,1,https://example.com/k' -o fake-kernel.efi 2>/dev/null ||
        fail "building the stand-in kernel"
objcopy -O binary --only-section=.sbat fake-kernel.efi fk.sbat
grep -qa '^kernx,2,' fk.sbat || fail "stand-in kernel lacks its .sbat entry"
"$UKIT" build --linux=fake-kernel.efi --os-release=@osrel --sbat='userx,1,U,userx,1,https://example.com/u' \
        -o with-kernel-sbat.efi 2>/dev/null || fail "build with the stand-in kernel"
objcopy -O binary --only-section=.sbat with-kernel-sbat.efi wk.sbat
tr -d '\0' <wk.sbat >wk.txt
grep -q '^kernx,2,' wk.txt || fail "kernel's .sbat entry not merged"
grep -q '^userx,1,' wk.txt || fail "--sbat entry missing"
assert_eq "$(grep -c '^systemd,1,' wk.txt)" 1 "stub entry appears once (stub and kernel both carry it)"
assert_eq "$(grep -c '^sbat,1,' wk.txt)" 1 "one sbat header"

# symbol table of the stub stripped
assert_eq "$(pe_field uki.efi 'pe.FILE_HEADER.PointerToSymbolTable')" 0 "PointerToSymbolTable"

sbverify --list uki.efi >sbv.log 2>&1 || { cat sbv.log; fail "sbverify --list refused the image"; }
grep -q "No signature table present" sbv.log || fail "sbverify: unexpected output: $(cat sbv.log)"

# timestamp: the stub's by default, SOURCE_DATE_EPOCH when set
assert_eq "$(pe_field uki.efi 'pe.FILE_HEADER.TimeDateStamp')" "$(pe_field "$STUB" 'pe.FILE_HEADER.TimeDateStamp')" "TimeDateStamp"
SOURCE_DATE_EPOCH=1700000000 build -o uki3.efi >/dev/null 2>&1 || fail "build with SOURCE_DATE_EPOCH"
assert_eq "$(pe_field uki3.efi 'pe.FILE_HEADER.TimeDateStamp')" 1700000000 "TimeDateStamp from SOURCE_DATE_EPOCH"

# streaming: a 1 GiB initrd (sparse) must not need anything like 1 GiB of
# memory, with and without observers (PCR signing hashes while writing)
if [ -x /usr/bin/time ]; then
        truncate -s 1G big.initrd
        openssl genrsa -out pcr.key 2048 2>/dev/null
        for extra in "" "--pcr-private-key=pcr.key"; do
                /usr/bin/time -f '%M' -o rss.txt "$UKIT" build --linux="$KERNEL" --initrd=big.initrd --os-release=@osrel \
                        $extra -o big.efi 2>/dev/null || fail "build with a 1 GiB initrd ${extra:+($extra)}"
                rss=$(tail -n1 rss.txt)
                echo "peak RSS with a 1 GiB initrd ${extra:+($extra)}: ${rss} KiB"
                [ "$rss" -lt $((96 * 1024)) ] || fail "peak RSS ${rss} KiB with a 1 GiB initrd ${extra:+($extra)}"
                rm -f big.efi
        done
        rm -f big.initrd
else
        fail "/usr/bin/time missing (scripts/deps.sh installs package time)"
fi

# --cmdline as text: whitespace normalised as ukify does; default output name
mkdir out && cd out
"$UKIT" build --linux="$KERNEL" --cmdline='  a   b	c ' --os-release=@../osrel >/dev/null 2>&1 || fail "build with default output"
out=$(basename "$KERNEL").unsigned.efi
[ -f "$out" ] || fail "default output name $out not created"
objcopy -O binary --only-section=.cmdline "$out" ../c.bin
assert_eq "$(cat ../c.bin)" "a b c" ".cmdline text normalisation"
# without --stub, ukit's own stub (the one built next to this ukit)
objcopy -O binary --only-section=.sdmagic "$out" ../sdmagic.bin
grep -qa '#### LoaderInfo: ukit-stub ' ../sdmagic.bin || fail "default stub is not ukit-stub: $(tr -d '\0' <../sdmagic.bin)"
assert_eq "$(ls -A | wc -l)" 1 "files in the output directory"
echo "PASS"
