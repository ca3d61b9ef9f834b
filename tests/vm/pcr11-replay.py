#!/usr/bin/python3
# usage: pcr11-replay.py UKI BANK
# The independent PCR 11 oracle of the VM tests: for each section of current
# systemd-stub's list that is present and non-empty, in this order, extend
# with H(name+NUL) and then H(VirtualSize bytes of content, zero-filled past
# SizeOfRawData). Reads the PE with python3-pefile, any machine type.
import hashlib, sys, pefile
ORDER = [".linux", ".osrel", ".cmdline", ".initrd", ".ucode", ".splash",
         ".dtb", ".uname", ".sbat", ".pcrpkey"]
pe = pefile.PE(sys.argv[1], fast_load=True)
bank = sys.argv[2]
found = {}
for s in pe.sections:
    name = s.Name.rstrip(b"\0").decode("ascii", "replace")
    raw, size = s.get_data(), s.Misc_VirtualSize
    found.setdefault(name, raw[:size] + bytes(max(0, size - len(raw))))
pcr = bytes(hashlib.new(bank).digest_size)
for name in ORDER:
    if found.get(name):
        for blob in (name.encode() + b"\0", found[name]):
            pcr = hashlib.new(bank, pcr + hashlib.new(bank, blob).digest()).digest()
print(pcr.hex())
