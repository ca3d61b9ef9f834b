#!/usr/bin/env bash
# The signed policy really works on a TPM (swtpm + tpm2-tools as the oracle):
# replay the stub's PCR 11 events with tpm2_pcrextend (hashes computed here
# with sha*sum, not by ukit), check the TPM's PCR 11 equals
# `ukit measure calculate`, seal secrets under PolicyAuthorize(key) and
# unseal them with PolicyPCR + the signature from `ukit measure sign`.
# Key rotation: one JSON carries the old and the new key's signatures; a
# secret sealed to either key unseals. A third, EC P-256 key (ECDSA, as newer
# systemd supports) is in the same JSON and works the same way. After a "boot" with a different
# command line the unseal must fail.
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
need swtpm tpm2_startup tpm2_dictionarylockout tpm2_pcrextend tpm2_loadexternal tpm2_verifysignature tpm2_policyauthorize \
        tpm2_policypcr tpm2_create tpm2_unseal openssl python3 sha1sum sha256sum

cd "$T"
# A "boot": (re)start swtpm on the same state (same seeds, PCRs reset).
boot() {
        swtpm_stop "$T/tpm"
        swtpm_start "$T/tpm"
        export TPM2TOOLS_TCTI=$SWTPM_TCTI
        for _ in $(seq 50); do tpm2_pcrread sha256:11 >/dev/null 2>&1 && return 0; sleep 0.1; done
        fail "swtpm did not come up"
}
h() { "$1sum" | cut -d' ' -f1; }
# extend_event DATA-FILE: extend PCR 11 in sha1+sha256 with the file's hash.
extend_file() { tpm2_pcrextend "11:sha1=$(h sha1 <"$1"),sha256=$(h sha256 <"$1")"; }
extend_str() { printf '%s' "$1" >ev; extend_file ev; }
# The stub's sequence (systemd-stub 252 order) for present, non-empty sections.
replay() {
        local s f
        for s in linux osrel cmdline initrd pcrpkey; do
                f=$(eval echo "\${$s:-}")
                [ -n "$f" ] && [ -s "$f" ] || continue
                printf '.%s\0' "$s" >ev; extend_file ev
                extend_file "$f"
        done
        extend_str enter-initrd
}

head -c 200000 /dev/urandom >vmlinuz
head -c 50000 /dev/urandom >initrd.img
printf 'ID=debian\n' >os-release
printf 'root=/dev/vda1 ro quiet' >cmdline.good
printf 'root=/dev/vda1 ro quiet init=/bin/sh' >cmdline.evil
for k in old new; do
        openssl genrsa -out $k.pem 2048 2>/dev/null
        openssl rsa -in $k.pem -pubout -out $k.pub 2>/dev/null
done
openssl ecparam -name prime256v1 -genkey -noout -out ec.pem
openssl ec -in ec.pem -pubout -out ec.pub 2>/dev/null
keys=(old new ec)
ktype() { [ "$1" = ec ] && echo ecc || echo rsa; }
kscheme() { [ "$1" = ec ] && echo ecdsa || echo rsassa; }
linux=vmlinuz osrel=os-release initrd=initrd.img pcrpkey=new.pub
img=(--linux=vmlinuz --osrel=os-release --initrd=initrd.img --pcrpkey=new.pub)

# Transition image: signed by the old and the new key.
"$UKIT" measure sign "${img[@]}" --cmdline=cmdline.good --bank=sha256 --phase=enter-initrd \
        --private-key=old.pem --public-key=old.pub --private-key=new.pem --public-key=new.pub \
        --private-key=ec.pem --public-key=ec.pub >pcrsig.json
python3 - pcrsig.json <<'PY'
import json, sys, base64, hashlib, subprocess
j = json.load(open(sys.argv[1]))
assert list(j) == ["sha256"] and len(j["sha256"]) == 3, j
for name, e in zip(("old", "new", "ec"), j["sha256"]):
    if name == "ec":    # the EC point: the last 65 bytes of a P-256 SubjectPublicKeyInfo
        der = subprocess.run(["openssl", "ec", "-pubin", "-in", "ec.pub", "-outform", "DER"],
                             capture_output=True, check=True).stdout[-65:]
        assert der[0] == 4
    else:
        der = subprocess.run(["openssl", "rsa", "-pubin", "-in", name + ".pub", "-RSAPublicKey_out", "-outform", "DER"],
                             capture_output=True, check=True).stdout
    assert e["pkfp"] == hashlib.sha256(der).hexdigest(), name
    open(f"pol.{name}", "wb").write(bytes.fromhex(e["pol"]))
    open(f"sig.{name}", "wb").write(base64.b64decode(e["sig"]))
PY

boot
# The failed unseals below must not lock the TPM out (dictionary attack
# protection): allow many tries.
tpm2_dictionarylockout -Q --setup-parameters --max-tries=1000 --recovery-time=0 \
        --lockout-recovery-time=0 --clear-lockout
cmdline=cmdline.good replay
for b in sha1 sha256; do
        tpm_val=$(tpm2_pcrread "$b:11" | awk '$1 == "11:" {print tolower($2)}' | sed 's/^0x//')
        want=$("$UKIT" measure calculate "${img[@]}" --cmdline=cmdline.good --bank=$b --phase=enter-initrd 2>/dev/null | cut -d= -f2)
        assert_eq "$tpm_val" "$want" "PCR 11 $b on the TPM vs ukit measure calculate"
done

# Saved contexts die with a TPM restart: recreate the (deterministic) primary
# and reload the public keys after every boot. No resource manager here, so
# transient slots are flushed after each step.
load_handles() {
        tpm2_createprimary -Q -C o -g sha256 -G ecc -c prim.ctx
        tpm2_flushcontext -t
        for k in "${keys[@]}"; do
                tpm2_loadexternal -Q -C o -G "$(ktype $k)" -u $k.pub -c $k.ctx -n $k.name
                tpm2_flushcontext -t
        done
}

# Seal one secret per key under PolicyAuthorize(key) (independent of PCRs).
load_handles
for k in "${keys[@]}"; do
        tpm2_startauthsession -S s.ctx
        tpm2_policyauthorize -Q -S s.ctx -L $k.authpolicy -n $k.name
        tpm2_flushcontext s.ctx
        echo "secret sealed to $k" >secret.$k
        tpm2_create -Q -C prim.ctx -g sha256 -u seal.$k.pub -r seal.$k.priv -L $k.authpolicy -i secret.$k
        tpm2_flushcontext -t
done

# unseal KEY: PolicyPCR(current PCR 11) + PolicyAuthorize with the signed pol.
unseal() {
        local k=$1
        tpm2_flushcontext -t >/dev/null 2>&1 || true
        tpm2_load -Q -C prim.ctx -u seal.$k.pub -r seal.$k.priv -c seal.$k.ctx || return 1
        tpm2_flushcontext -t
        tpm2_verifysignature -Q -c $k.ctx -g sha256 -m pol.$k -s sig.$k -f "$(kscheme $k)" -t $k.tkt || return 1
        tpm2_startauthsession --policy-session -S s.ctx || return 1
        local rc=0
        tpm2_policypcr -Q -S s.ctx -l sha256:11 &&
        tpm2_policyauthorize -Q -S s.ctx -i pol.$k -n $k.name -t $k.tkt &&
        tpm2_unseal -p session:s.ctx -c seal.$k.ctx >out.$k || rc=1
        tpm2_flushcontext s.ctx || true
        tpm2_flushcontext -t || true
        return $rc
}
for k in "${keys[@]}"; do
        unseal $k 2>unseal.err || fail "unseal with the $k key's signature failed: $(cat unseal.err)"
        assert_files_equal out.$k secret.$k "unsealed secret ($k key)"
done

# A different command line: PCR 11 differs, the signed policy no longer matches.
boot
load_handles
cmdline=cmdline.evil replay
for k in "${keys[@]}"; do
        rm -f out.$k
        if unseal $k 2>/dev/null; then fail "unsealed with a different command line ($k key)"; fi
        [ ! -s out.$k ] || fail "secret leaked with a different command line"
done

# And back to the signed command line: works again.
boot
load_handles
cmdline=cmdline.good replay
unseal new 2>unseal.err || fail "unseal after reboot failed: $(cat unseal.err)"
assert_files_equal out.new secret.new "unsealed secret after reboot"

# The same with a real image: `ukit build` with the old and the new key
# around Debian's systemd-stub 252; the sections (extracted by objcopy) are
# replayed in the stub's order, and the entries of the image's own .pcrsig
# unseal both secrets.
STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
if [ -f "$STUB" ] && command -v objcopy >/dev/null; then
        "$UKIT" build --stub="$STUB" --linux=vmlinuz --initrd=initrd.img --cmdline=@cmdline.good \
                --os-release=@os-release --pcrpkey=new.pub --pcr-banks=sha256 \
                --pcr-private-key=old.pem --phases=enter-initrd --pcr-private-key=new.pem --phases=enter-initrd \
                -o uki.efi 2>/dev/null || fail "ukit build failed"
        for s in linux osrel cmdline initrd pcrpkey pcrsig; do
                objcopy -O binary --only-section=.$s uki.efi uki.$s || fail "objcopy .$s"
        done
        python3 - uki.pcrsig <<'PY' || fail "image .pcrsig unusable"
import json, sys, base64
j = json.loads(open(sys.argv[1]).read())     # trailing padding is JSON whitespace
assert len(j["sha256"]) == 2
for name, e in zip(("old", "new"), j["sha256"]):
    open(f"pol.{name}", "wb").write(bytes.fromhex(e["pol"]))
    open(f"sig.{name}", "wb").write(base64.b64decode(e["sig"]))
PY
        boot
        load_handles
        linux=uki.linux osrel=uki.osrel cmdline=uki.cmdline initrd=uki.initrd pcrpkey=uki.pcrpkey replay
        for k in old new; do
                rm -f out.$k
                unseal $k 2>unseal.err || fail "unseal with the image's .pcrsig ($k key) failed: $(cat unseal.err)"
                assert_files_equal out.$k secret.$k "unsealed secret via the image's .pcrsig ($k key)"
        done
fi
echo "ok"
