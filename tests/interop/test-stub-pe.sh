#!/usr/bin/env bash
# The produced ukit-stub.efi, judged by objdump and python3-pefile: a PE32+
# x86-64 EFI application (subsystem 10), 4 KiB section alignment, only
# DIR64/ABSOLUTE base relocations, no writable+executable section, .sbat
# (sbat,1 header + ukit line) and .sdmagic with the identity string, and
# header room for the sections `ukit build` appends: the UKI built from it
# parses with pefile and objdump and keeps the stub's sections. The AArch64
# build (ukit-stub-aa64.efi) gets the same pefile checks.
. "$(dirname "$0")/../lib.sh"
need objdump
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
# The sanitizer build (PREFIX-asan, -Dstub=false: the freestanding stub takes
# no sanitizers) checks the stub of the normal build (PREFIX), with its own
# sanitized `ukit build`.
[ -f "$STUB" ] || STUB=${UKIT_BUILD%-asan}/src/stub/ukit-stub.efi
[ -f "$STUB" ] || fail "stub not built ($STUB)"
/usr/bin/python3 -c 'import pefile' 2>/dev/null || skip "python3-pefile not installed"

version=$(sed -n "s/^ *version : '\(.*\)',$/\1/p" "$UKIT_TOP/meson.build" | head -n1)
[ -n "$version" ] || fail "cannot read the project version"

# objdump's view
hdr=$(objdump -p "$STUB") || fail "objdump cannot read $STUB"
grep -q 'file format pei-x86-64' <<<"$hdr" || fail "not pei-x86-64"
grep -Eq '^Subsystem[[:space:]]+0000000a' <<<"$hdr" || fail "subsystem is not 10 (EFI application)"
grep -Eq '^SectionAlignment[[:space:]]+00001000' <<<"$hdr" || fail "SectionAlignment is not 4096"
grep -Eq '^Magic[[:space:]]+020b' <<<"$hdr" || fail "not PE32+"

# pefile's view; prints one problem per line
cat >"$T/check.py" <<'PY'
import sys, pefile
path, version, machine = sys.argv[1], sys.argv[2], int(sys.argv[3], 16)
pe = pefile.PE(path)
problems = []
def bad(msg): problems.append(msg)
fh, oh = pe.FILE_HEADER, pe.OPTIONAL_HEADER
if fh.Machine != machine: bad("machine %#x, expected %#x" % (fh.Machine, machine))
if oh.Subsystem != 10: bad("subsystem %d" % oh.Subsystem)
if oh.SectionAlignment != 4096: bad("SectionAlignment %#x" % oh.SectionAlignment)
if not (oh.DllCharacteristics & 0x40): bad("not DYNAMIC_BASE (relocatable)")
names = {}
for s in pe.sections:
    n = s.Name.rstrip(b"\0").decode()
    names[n] = s
    if s.VirtualAddress % oh.SectionAlignment: bad(n + ": VirtualAddress not aligned")
    if s.SizeOfRawData and s.PointerToRawData % oh.FileAlignment: bad(n + ": PointerToRawData not aligned")
    if (s.Characteristics & 0x20000000) and (s.Characteristics & 0x80000000): bad(n + ": writable and executable")
for want in (".text", ".sbat", ".sdmagic", ".reloc"):
    if want not in names: bad("no " + want + " section")
relocs = getattr(pe, "DIRECTORY_ENTRY_BASERELOC", [])
if not relocs: bad("no base relocations (image must be relocatable)")
for block in relocs:
    for e in block.entries:
        if e.type not in (0, 10):   # IMAGE_REL_BASED_ABSOLUTE, DIR64
            bad("unsupported base relocation type %d at %#x" % (e.type, e.rva))
if ".sdmagic" in names:
    s = names[".sdmagic"]
    magic = s.get_data()[:s.Misc_VirtualSize].rstrip(b"\0").decode()
    if magic != "#### LoaderInfo: ukit-stub %s ####" % version: bad("sdmagic is %r" % magic)
if ".sbat" in names:
    s = names[".sbat"]
    lines = s.get_data()[:s.Misc_VirtualSize].rstrip(b"\0").decode().splitlines()
    if not lines or not lines[0].startswith("sbat,1,"): bad("sbat has no sbat,1 header")
    if not any(l.split(",")[:2] == ["ukit-stub", "1"] and len(l.split(",")) == 6 for l in lines[1:]):
        bad("sbat has no 6-field ukit-stub line: %r" % lines)
# header room: section headers that fit between the table and SizeOfHeaders
table_end = pe.DOS_HEADER.e_lfanew + 4 + 20 + fh.SizeOfOptionalHeader + 40 * fh.NumberOfSections
room = (oh.SizeOfHeaders - table_end) // 40
if room < 16: bad("room for only %d more section headers" % room)
for p in problems: print(p)
PY
out=$(/usr/bin/python3 "$T/check.py" "$STUB" "$version" 8664) || fail "pefile check crashed: $out"
[ -z "$out" ] || fail "stub PE problems: $out"
# The AArch64 build (same sources, not boot-tested here) must be as sound.
AA64=$(dirname "$STUB")/ukit-stub-aa64.efi
[ -f "$AA64" ] || fail "$AA64 not built"
out=$(/usr/bin/python3 "$T/check.py" "$AA64" "$version" aa64) || fail "pefile check crashed (aa64): $out"
[ -z "$out" ] || fail "aa64 stub PE problems: $out"

# A UKI built from it: every section `ukit build` appends fits the headers.
[ -x "$UKIT" ] || skip "ukit not built"
head -c 5000 /dev/urandom >"$T/initrd"
printf 'ID=test\n' >"$T/osrel"
kernel=$(debian_kernel)
"$UKIT" build --stub "$STUB" --linux "$kernel" --initrd "$T/initrd" --cmdline "quiet" \
        --os-release "@$T/osrel" --uname 6.1.0-test -o "$T/uki.efi" >"$T/build.log" 2>&1 ||
        fail "ukit build --stub failed: $(cat "$T/build.log")"
cat >"$T/uki.py" <<'PY'
import sys, pefile
pe = pefile.PE(sys.argv[1])
names = [s.Name.rstrip(b"\0").decode() for s in pe.sections]
for want in (".text", ".sdmagic", ".linux", ".initrd", ".cmdline", ".osrel", ".uname"):
    if want not in names: print("UKI lacks " + want + ": %r" % names)
if pe.OPTIONAL_HEADER.Subsystem != 10: print("UKI subsystem changed")
PY
out=$(/usr/bin/python3 "$T/uki.py" "$T/uki.efi") || fail "pefile cannot parse the UKI: $out"
[ -z "$out" ] || fail "$out"
objdump -h "$T/uki.efi" >/dev/null || fail "objdump cannot parse the UKI"
echo "stub $(stat -c %s "$STUB") bytes, UKI has $(objdump -h "$T/uki.efi" | grep -c '^ *[0-9]') sections"
