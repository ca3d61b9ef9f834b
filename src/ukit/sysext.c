/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `ukit sysext VERB` and `ukit confext VERB`: one dispatcher, the class
 * (sysext: /usr,/opt; confext: /etc) selects paths, keys and mount flags. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fileio.h"
#include "gpt.h"
#include "sysext-cli.h"
#include "util.h"
#include "verbs.h"
#include "verity-sig.h"
#include "verity.h"

static void help(ExtClass c) {
        printf("Usage: ukit %s VERB [OPTIONS...]\n"
               "\n"
               "%s\n"
               "\n"
               "Verbs:\n"
               "  status            show merged hierarchies (default)\n"
               "  merge             merge all compatible extensions\n"
               "  unmerge           remove the merged overlay\n"
               "  refresh           merge again, switching atomically\n"
               "  list              list discovered extension images\n"
               "  build DIR OUT     build a signed extension DDI\n"
               "  verity DATA HASH  write a dm-verity hash device (like veritysetup format)\n"
               "\n"
               "See 'ukit %s VERB --help' and ukit-sysext(8).\n",
               ext_class_name(c),
               c == EXT_CONFEXT ? "Merge configuration extension images into /etc."
                                : "Merge system extension images into /usr and /opt.",
               ext_class_name(c));
}

/* `verity DATA HASH`: the in-house tree as a standalone tool, so it can be
 * compared with `veritysetup format` byte for byte. */
static int verb_verity(ExtClass c, int argc, char **argv) {
        enum { O_SALT = 256, O_UUID, O_HASH, O_DBS, O_HBS, O_NO_SB, O_BLOCKS };
        static const struct option opts[] = {
                { "help", no_argument, NULL, 'h' },
                { "salt", required_argument, NULL, O_SALT },
                { "uuid", required_argument, NULL, O_UUID },
                { "hash", required_argument, NULL, O_HASH },
                { "data-block-size", required_argument, NULL, O_DBS },
                { "hash-block-size", required_argument, NULL, O_HBS },
                { "data-blocks", required_argument, NULL, O_BLOCKS },
                { "no-superblock", no_argument, NULL, O_NO_SB },
                {}
        };
        VerityParams p;
        const char *blocks_arg = NULL;
        int o, r;

        verity_params_default(&p);
        optind = 0;
        while ((o = getopt_long(argc, argv, ":h", opts, NULL)) >= 0)
                switch (o) {
                case 'h':
                        printf("Usage: ukit %s verity [--salt=HEX|-] [--uuid=UUID] [--hash=sha256]\n"
                               "       [--data-block-size=N] [--hash-block-size=N] [--data-blocks=N]\n"
                               "       [--no-superblock] DATA HASHFILE\n"
                               "Writes the dm-verity hash device and prints the root hash.\n",
                               ext_class_name(c));
                        return EXIT_SUCCESS;
                case O_SALT:
                        if (streq(optarg, "-"))
                                p.salt_size = 0;
                        else if (hex_decode(optarg, p.salt, sizeof(p.salt), &p.salt_size) < 0)
                                return log_usage("--salt=: expected hex (at most 256 bytes) or -");
                        break;
                case O_UUID:
                        if (uuid_from_string(optarg, p.uuid) < 0)
                                return log_usage("--uuid=%s: not a UUID", optarg);
                        break;
                case O_HASH:
                        if (strlen(optarg) >= sizeof(p.hash_name))
                                return log_usage("--hash=%s: unknown", optarg);
                        strcpy(p.hash_name, optarg);
                        break;
                case O_DBS:
                case O_HBS: {
                        char *e;
                        unsigned long v = strtoul(optarg, &e, 10);
                        if (*e || v == 0 || v > VERITY_BLOCK_MAX)
                                return log_usage("block size %s: invalid", optarg);
                        if (o == O_DBS)
                                p.data_block_size = (uint32_t) v;
                        else
                                p.hash_block_size = (uint32_t) v;
                        break;
                }
                case O_BLOCKS: blocks_arg = optarg; break;
                case O_NO_SB: p.superblock = false; break;
                default: return log_getopt_error(o, argv);
                }
        if (argc - optind != 2)
                return log_usage("expected DATA and HASHFILE");
        const char *data = argv[optind], *hash = argv[optind + 1];

        uint64_t size;
        _cleanup_close_ int dfd = open_input(data, OPEN_INPUT_ALLOW_BLOCK, 0, &size);
        if (dfd < 0)
                return log_errno(dfd, "%s", data);
        if (blocks_arg) {
                char *e;
                p.data_blocks = strtoull(blocks_arg, &e, 10);
                if (*e || p.data_blocks == 0)
                        return log_usage("--data-blocks=%s: invalid", blocks_arg);
        } else
                p.data_blocks = size / (p.data_block_size ? p.data_block_size : 1);
        if (p.data_blocks == 0)
                return log_error("%s: smaller than one data block (%" PRIu64 " bytes, data block size %" PRIu32 ")",
                                 data, size, p.data_block_size);

        uint64_t hash_size;
        r = verity_hash_size(&p, &hash_size);
        if (r < 0)
                return log_errno(r, "%s: invalid verity parameters", data);

        _cleanup_(atomic_file_abort) AtomicFile out = ATOMIC_FILE_INIT;
        r = atomic_file_open(&out, hash);
        if (r < 0)
                return log_errno(r, "%s: cannot create", hash);
        uint8_t root[VERITY_DIGEST_MAX];
        size_t rs;
        r = verity_format(&p, dfd, 0, out.fd, 0, root, &rs);
        if (r == -EIO)
                return log_error("%s: shorter than %llu blocks", data, (unsigned long long) p.data_blocks);
        if (r < 0)
                return log_errno(r, "%s", data);
        r = atomic_file_commit(&out, file_mode_from_umask());
        if (r < 0)
                return log_errno(r, "%s", hash);
        _cleanup_free_ char *hex = hex_encode(root, rs);
        printf("%s\n", hex);
        return EXIT_SUCCESS;
}

static int run_build(ExtClass c, const char *verb, int argc, char **argv) {
        return sysext_build(c, argc, argv);
}

static int run_verity(ExtClass c, const char *verb, int argc, char **argv) {
        return verb_verity(c, argc, argv);
}

static const struct {
        const char *name;
        int (*run)(ExtClass c, const char *verb, int argc, char **argv);
} sub_verbs[] = {
        { "build",   run_build },
        { "verity",  run_verity },
        { "status",  sysext_merge_verbs },
        { "merge",   sysext_merge_verbs },
        { "unmerge", sysext_merge_verbs },
        { "refresh", sysext_merge_verbs },
        { "list",    sysext_merge_verbs },
};

static int run(ExtClass c, int argc, char **argv) {
        const char *verb = argc >= 2 ? argv[1] : "status";

        if (argc >= 2 && (streq(verb, "--help") || streq(verb, "-h") || streq(verb, "help"))) {
                help(c);
                return EXIT_SUCCESS;
        }
        if (argc >= 2 && verb[0] == '-')
                verb = "status";        /* options without a verb: status, like systemd-sysext */
        else if (argc >= 2) {
                argc--;
                argv++;
        }
        for (size_t i = 0; i < ELEMENTSOF(sub_verbs); i++)
                if (streq(verb, sub_verbs[i].name))
                        return sub_verbs[i].run(c, verb, argc, argv);
        return log_usage("unknown verb '%s'", verb);
}

int verb_sysext(int argc, char **argv) {
        return run(EXT_SYSEXT, argc, argv);
}

int verb_confext(int argc, char **argv) {
        return run(EXT_CONFEXT, argc, argv);
}
