# Helpers for tests/interop/test-build-*.sh (sourced after tests/lib.sh).
# Oracles: objdump (binutils), python3-pefile, sbverify — none of them ours.

# scripts/test.sh passes UKIT=$build/ukit, but meson puts it in src/ukit/
STUB=${UKIT_TEST_STUB:-/usr/lib/systemd/boot/efi/linuxx64.efi.stub}
PY=/usr/bin/python3     # Debian's python with python3-pefile, not a pyenv one

build_need() {
        [ -f "$STUB" ] || skip "systemd-boot-efi not installed ($STUB)"
        need objdump objcopy sbverify dpkg-deb
        $PY -c 'import pefile' 2>/dev/null || skip "python3-pefile not installed"
        export UKIT_CONFIG_SEARCH=0   # never pick up a ukify.conf of the host
}

# build_kernel: path of the Debian kernel (debian_kernel in tests/lib.sh).
build_kernel() { debian_kernel; }

# pe_check IMAGE STUB [NAME=FILE...]: the independent checks of an output:
#  - pefile (full load) reports no warnings other than those of the stub
#    itself (Debian's stub has one about its relocations);
#  - no two sections overlap in memory or in the file, addresses and offsets
#    aligned, SizeOfImage/SizeOfHeaders/NumberOfSections consistent, CheckSum 0,
#    no symbol table, no certificate table;
#  - the stub's own sections keep their addresses and contents;
#  - each NAME=FILE section holds exactly FILE's bytes (then only zeros up to
#    VirtualSize); exactly one section per name.
pe_check() {
        $PY - "$@" <<'EOF'
import sys, pefile
img, stub, *specs = sys.argv[1:]
def fail(msg):
    print("FAIL: pe_check %s: %s" % (img, msg)); sys.exit(1)
pe = pefile.PE(img)
ref = pefile.PE(stub)
extra = set(pe.get_warnings()) - set(ref.get_warnings())
if extra: fail("pefile warnings: %r" % sorted(extra))
oh, fh = pe.OPTIONAL_HEADER, pe.FILE_HEADER
names = [s.Name.rstrip(b'\0').decode() for s in pe.sections]
if len(names) != len(set(names)): fail("duplicate section names %r" % names)
if fh.NumberOfSections != len(pe.sections): fail("NumberOfSections")
if fh.PointerToSymbolTable or fh.NumberOfSymbols: fail("symbol table left")
if oh.CheckSum != 0: fail("CheckSum not 0")
if oh.DATA_DIRECTORY[4].VirtualAddress or oh.DATA_DIRECTORY[4].Size: fail("certificate table present")
data = open(img, 'rb').read()
if oh.SizeOfHeaders % oh.FileAlignment: fail("SizeOfHeaders not aligned")
table_end = pe.sections[-1].get_file_offset() + 40
if table_end > oh.SizeOfHeaders: fail("section table beyond SizeOfHeaders")
mem, raw = [], []
for s in pe.sections:
    n = s.Name.rstrip(b'\0').decode()
    vs = s.Misc_VirtualSize or s.SizeOfRawData
    mem.append((s.VirtualAddress, s.VirtualAddress + max(vs, 1), n))
    if s.SizeOfRawData:
        if s.PointerToRawData % oh.FileAlignment: fail("%s raw data not aligned" % n)
        if s.PointerToRawData + s.SizeOfRawData > len(data): fail("%s beyond end of file" % n)
        raw.append((s.PointerToRawData, s.PointerToRawData + s.SizeOfRawData, n))
    if s.VirtualAddress < oh.SizeOfHeaders: fail("%s overlaps the headers in memory" % n)
for lst, what in ((mem, "memory"), (raw, "file")):
    lst.sort()
    for a, b in zip(lst, lst[1:]):
        if b[0] < a[1]: fail("%s and %s overlap in %s" % (a[2], b[2], what))
if max(e for _, e, _ in mem) > oh.SizeOfImage: fail("section beyond SizeOfImage")
if oh.SizeOfImage % oh.SectionAlignment: fail("SizeOfImage not aligned")
new = {s.Name.rstrip(b'\0').decode(): s for s in pe.sections}
for s in ref.sections:
    n = s.Name.rstrip(b'\0').decode()
    if n == '.sbat':
        # replaced: renamed when it was not the stub's last section, else dropped
        if '.sbatstb' in new and not any(r.Name.rstrip(b'\0') == b'.sbatstb' for r in ref.sections):
            n = '.sbatstb'
        else:
            continue
    o = new.get(n)
    if o is None: fail("stub section %s missing" % n)
    if o.VirtualAddress != s.VirtualAddress or o.Misc_VirtualSize != s.Misc_VirtualSize: fail("stub section %s moved" % n)
    if o.get_data()[:min(s.SizeOfRawData, s.Misc_VirtualSize)] != s.get_data()[:min(s.SizeOfRawData, s.Misc_VirtualSize)]:
        fail("stub section %s content changed" % n)
for spec in specs:
    n, f = spec.split('=', 1)
    want = open(f, 'rb').read()
    s = new.get(n)
    if s is None: fail("no section %s" % n)
    got = data[s.PointerToRawData:s.PointerToRawData + s.SizeOfRawData]
    if got[:len(want)] != want: fail("section %s differs from %s" % (n, f))
    if s.Misc_VirtualSize < len(want): fail("section %s VirtualSize %d < %d" % (n, s.Misc_VirtualSize, len(want)))
    if any(got[len(want):]): fail("section %s has non-zero bytes after the content" % n)
    if s.SizeOfRawData < len(want): fail("section %s raw data too short" % n)
print("pe_check %s: ok (%d sections)" % (img, len(pe.sections)))
EOF
}

# pe_sections IMAGE: section names in table order, one line, per objdump -h.
pe_sections() { objdump -h "$1" | awk '$1 ~ /^[0-9]+$/ { printf "%s ", $2 } END { print "" }'; }

# pe_field IMAGE EXPR: a pefile expression on `pe`, e.g. OPTIONAL_HEADER.SizeOfImage
pe_field() { $PY -c "import pefile,sys; pe=pefile.PE(sys.argv[1], fast_load=True); print($2)" "$1"; }
