#!/usr/bin/python3
# usage: swtpm-pcr.py SWTPM_LOG PCR BANK...
# Replays the TPM2_PCR_Extend commands a swtpm logged at level 20 ("SWTPM_IO_Read:
# length N" followed by the command bytes in hex) into the value PCR has in
# each BANK (sha1, sha256, ...), one "BANK=HEX" line per bank. It trusts no
# firmware or guest: the PCR is recomputed from what reached the TPM, starting
# from zero (PCRs 0-15 start at zero; a TPM2_PCR_Reset is honoured too).
import hashlib, sys

ALGS = {0x0004: "sha1", 0x000B: "sha256", 0x000C: "sha384", 0x000D: "sha512"}
CC_EXTEND, CC_RESET = 0x182, 0x13D

def commands(path):
    lines = open(path, errors="replace").read().splitlines()
    i = 0
    while i < len(lines):
        l = lines[i].strip()
        i += 1
        if not l.startswith("SWTPM_IO_Read: length"):
            continue
        n = int(l.split()[-1])
        data = bytearray()
        while len(data) < n and i < len(lines):
            try:
                data += bytes.fromhex(lines[i].strip())
            except ValueError:
                break
            i += 1
        if len(data) == n:
            yield bytes(data)

def main():
    log, pcr, banks = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    values = {b: bytes(hashlib.new(b).digest_size) for b in banks}
    for c in commands(log):
        if len(c) < 14:
            continue
        cc = int.from_bytes(c[6:10], "big")
        handle = int.from_bytes(c[10:14], "big")
        if handle != pcr:
            continue
        if cc == CC_RESET:
            values = {b: bytes(hashlib.new(b).digest_size) for b in banks}
            continue
        if cc != CC_EXTEND:
            continue
        off = 14
        auth = int.from_bytes(c[off:off + 4], "big")
        off += 4 + auth
        count = int.from_bytes(c[off:off + 4], "big")
        off += 4
        for _ in range(count):
            alg = int.from_bytes(c[off:off + 2], "big")
            name = ALGS.get(alg)
            if name is None:
                sys.exit("swtpm-pcr: unknown hash algorithm 0x%04x" % alg)
            size = hashlib.new(name).digest_size
            digest = c[off + 2:off + 2 + size]
            off += 2 + size
            if name in values:
                values[name] = hashlib.new(name, values[name] + digest).digest()
    for b in banks:
        print("%s=%s" % (b, values[b].hex()))

main()
