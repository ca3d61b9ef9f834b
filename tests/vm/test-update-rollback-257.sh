#!/usr/bin/env bash
# test-update-rollback.sh with systemd-boot 257 (the Debian 13 oracle root,
# vm_oracle_257) on the ESP instead of Debian 12's 252: the same updates,
# the same three failed tries of v2, the fallback to v1 and ukit bless of v3.
# A test of its own so each boot loader's seven boots get the whole
# UKIT_VM_TIMEOUT.
ROLLBACK_SDBOOT=257 exec bash "$(dirname "$0")/test-update-rollback.sh"
