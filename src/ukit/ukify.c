/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukit ukify: ukify's command line, for programs that run ukify (mkosi 25
 * runs `python3 <ukify> build ...` and reads its version as the third word
 * of `ukify --version`). `ukit ukify build|genkey|inspect ARGS` is
 * `ukit VERB ARGS`; `--version` prints a line in ukify's shape. The optional
 * entry point PREFIX/lib/ukit/ukify-compat/ukify (meson -Dukify_compat=true)
 * execs this verb. */

#include "cli.h"
#include "config.h"
#include "util.h"
#include "verbs.h"

/* ukit build follows ukify 257's options and layout (ukit-build(1)). */
#define UKIFY_COMPAT_VERSION "257"

static void help(void) {
        printf("Usage: ukit ukify build|genkey|inspect [OPTIONS...]\n"
               "       ukit ukify --version\n"
               "\n"
               "ukify's command line: the verbs run ukit build, ukit genkey and\n"
               "ukit inspect. For tools that run ukify (e.g. mkosi); see ukit-ukify(1).\n");
}

/* ukify's inspect --json prints one object keyed by section name: the
 * same as `ukit inspect --json-shape=ukify` (a later --json-shape= wins). */
static int inspect_as_ukify(int argc, char **argv) {
        _cleanup_free_ char **v = calloc((size_t) argc + 2, sizeof(char *));
        if (!v)
                return log_errno(-ENOMEM, "cannot allocate");
        v[0] = argv[0];
        v[1] = (char *) "--json-shape=ukify";
        for (int i = 1; i < argc; i++)
                v[i + 1] = argv[i];
        return verb_inspect(argc + 1, v);
}

int verb_ukify(int argc, char **argv) {
        static const struct {
                const char *name;
                int (*run)(int argc, char **argv);
                const char *verb;
        } map[] = {
                { "build",   verb_build,   "build" },
                { "genkey",  verb_genkey,  "genkey" },
                { "inspect", verb_inspect, "inspect" },
        };

        if (argc < 2) {
                log_usage("expected a verb (build, genkey, inspect) or --version");
                return EXIT_USAGE;
        }
        if (streq(argv[1], "--version") || streq(argv[1], "-V")) {
                /* "ukify 257 (257-ukit-X)": the third word is a version at
                 * least 257 to version comparisons (mkosi's included). */
                printf("ukify %s (%s-ukit-%s)\n", UKIFY_COMPAT_VERSION, UKIFY_COMPAT_VERSION, UKIT_VERSION);
                return EXIT_SUCCESS;
        }
        if (streq(argv[1], "--help") || streq(argv[1], "-h")) {
                help();
                return EXIT_SUCCESS;
        }
        if (startswith(argv[1], "--help=") || startswith(argv[1], "--version="))
                return log_usage("option '%.*s' takes no argument", (int) strcspn(argv[1], "="), argv[1]);
        if (argv[1][0] == '-')
                return log_usage("unknown option '%s'", argv[1]);
        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (streq(argv[1], map[i].name)) {
                        program_verb = map[i].verb;
                        if (map[i].run == verb_inspect)
                                return inspect_as_ukify(argc - 1, argv + 1);
                        return map[i].run(argc - 1, argv + 1);
                }
        log_usage("'%s': not a ukify verb ukit provides (build, genkey, inspect; ukify's verb-less "
                  "legacy syntax is not supported)", argv[1]);
        return EXIT_USAGE;
}
