#!/usr/bin/env bash
# ukit-stub shows .splash centred on the GOP screen: a QMP screendump taken
# while the kernel runs (efifb off, so nothing draws over the firmware
# framebuffer) holds, at the centre, exactly the pixels of the image. The BMP
# is made by netpbm's ppmtobmp from a PPM we generate, and the screenshot is
# compared with that PPM, so our BMP code is not its own oracle.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
need ppmtobmp
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
[ -f "$STUB" ] || fail "$STUB not built"

# 201x121 test card: colour bars with a vertical gradient; the odd width
# makes BMP rows padded
/usr/bin/python3 - "$T/splash.ppm" <<'PY'
import sys
w, h = 201, 121
px = bytearray()
bars = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255), (255, 255, 255)]
for y in range(h):
    for x in range(w):
        r, g, b = bars[x * len(bars) // w]
        k = 64 + 191 * y // (h - 1)
        px += bytes((r * k // 255, g * k // 255, b * k // 255))
open(sys.argv[1], "wb").write(b"P6\n%d %d\n255\n" % (w, h) + px)
PY
ppmtobmp -bpp 24 "$T/splash.ppm" >"$T/splash.bmp" 2>/dev/null || fail "ppmtobmp failed"

kernel=$(vm_kernel)
printf 'ID=ukittest\n' >"$T/os-release"
# sleep in the initrd hook: time for the screendump before power-off
printf 'sleep 3\n' >"$T/wait.sh"
vm_initrd "$T/initrd.img" --hook "$T/wait.sh"
"$UKIT" build --stub "$STUB" --linux "$kernel" --initrd "$T/initrd.img" --splash "$T/splash.bmp" \
        --cmdline "console=ttyS0 quiet video=efifb:off" --os-release "@$T/os-release" --uname 6.1.0-test \
        -o "$T/uki.efi" || fail "ukit build failed"
mkdir -p "$T/esp/EFI/BOOT"
cp "$T/uki.efi" "$T/esp/EFI/BOOT/BOOTX64.EFI"
vm_esp "$T/esp" "$T/esp.img"

# Once the guest's init runs, ask QEMU for a screenshot over QMP.
qmp=$T/qmp.sock
(
        for i in $(seq 600); do
                grep -q '^UKIT-REPORT start' "$T/serial.log" 2>/dev/null && break
                sleep 0.2
        done
        /usr/bin/python3 - "$qmp" "$T/screen.ppm" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
def cmd(c, **args):
    f.write(json.dumps({"execute": c, "arguments": args} if args else {"execute": c}) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            return r
json.loads(f.readline())    # greeting
cmd("qmp_capabilities")
print(cmd("screendump", filename=sys.argv[2]))
PY
) >"$T/qmp.log" 2>&1 &
shooter=$!
vm_run "$T/esp.img" "$T/serial.log" --no-tpm --qmp "$qmp" || fail "boot failed (see $T/serial.log)"
wait $shooter || true
[ -s "$T/screen.ppm" ] || fail "no screenshot: $(cat "$T/qmp.log")"

out=$(/usr/bin/python3 - "$T/screen.ppm" "$T/splash.ppm" <<'PY'
import sys
def ppm(path):
    d = open(path, "rb").read()
    parts, pos = [], 0
    while len(parts) < 4:
        while d[pos:pos+1].isspace(): pos += 1
        if d[pos:pos+1] == b"#":
            pos = d.index(b"\n", pos); continue
        end = pos
        while not d[end:end+1].isspace(): end += 1
        parts.append(d[pos:end]); pos = end
    assert parts[0] == b"P6" and parts[3] == b"255", parts
    w, h = int(parts[1]), int(parts[2])
    return w, h, d[pos + 1:pos + 1 + 3 * w * h]
sw, sh, screen = ppm(sys.argv[1])
w, h, img = ppm(sys.argv[2])
x0, y0 = (sw - w) // 2, (sh - h) // 2
bad = 0
for y in range(h):
    a = screen[3 * ((y0 + y) * sw + x0):3 * ((y0 + y) * sw + x0 + w)]
    b = img[3 * y * w:3 * (y + 1) * w]
    bad += sum(1 for i in range(0, 3 * w, 3) if a[i:i+3] != b[i:i+3])
print("screen %dx%d, %d of %d pixels differ" % (sw, sh, bad, w * h))
sys.exit(1 if bad else 0)
PY
) || fail "splash not on screen: $out"
echo "$out"
