#!/bin/sh
# embed.sh IN OUT NAME: a C header with IN's bytes as "static const
# unsigned char NAME[]" (for fuzz targets that need a fixed file).
set -eu
{
        printf '/* generated from %s by tests/fuzz/embed.sh */\n' "$(basename "$1")"
        printf 'static const unsigned char %s[] = {\n' "$3"
        od -An -v -tx1 "$1" | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g; s/^/        /'
        printf '};\n'
} >"$2"
