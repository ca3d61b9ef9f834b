/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "sig-cleanup.h"
#include "verbs.h"

typedef struct Verb {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *summary;
} Verb;

static const Verb verbs[] = {
        { "version", verb_version, "print the version" },
        { "build",   verb_build,   "build a UKI from a stub, kernel, initrds and resources" },
        { "install", verb_install, "build a UKI from a kernel and install it on $BOOT" },
        { "remove",  verb_remove,  "remove the installed UKIs of a kernel version" },
        { "list",    verb_list,    "list the installed UKIs" },
        { "inspect", verb_inspect, "show the sections, SBAT, os-release and signatures of a UKI" },
        { "measure", verb_measure, "predict and sign TPM2 PCR 11 values" },
        { "sysext", verb_sysext, "build and merge system extension images" },
        { "confext", verb_confext, "build and merge configuration extension images" },
        { "sign",    verb_sign_pe, "Authenticode-sign a PE image for Secure Boot" },
        { "verify",  verb_verify,  "verify the Authenticode signatures of a PE image" },
        { "genkey",  verb_genkey,  "generate Secure Boot and PCR signing keys" },
        { "update",  verb_update,  "install new versions from sysupdate.d transfer definitions" },
        { "bless",   verb_bless,   "mark the booted boot-counted entry good or bad" },
        { "ukify",   verb_ukify,   "ukify's command line (build, genkey, inspect, --version), for tools that run ukify" },
};

int verb_version(int argc, char **argv) {
        printf("ukit %s\n", UKIT_VERSION);
        return EXIT_SUCCESS;
}

static void help(FILE *f) {
        fprintf(f,
                "Usage: ukit VERB [OPTIONS...]\n"
                "\n"
                "Build, sign, measure and inspect Unified Kernel Images.\n"
                "\n"
                "Verbs:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
        fprintf(f, "\nSee 'ukit VERB --help' and ukit(1).\n");
}

int main(int argc, char **argv) {
        if (argc < 2) {
                help(stderr);
                return EXIT_USAGE;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
                help(stdout);
                return EXIT_SUCCESS;
        }
        if (strcmp(argv[1], "--version") == 0)
                return verb_version(argc - 1, argv + 1);

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[1], verbs[i].name) == 0) {
                        program_verb = verbs[i].name;
                        opterr = 0;     /* verbs print getopt errors as one "ukit VERB: ..." line */
                        /* SIGINT/TERM/HUP/PIPE remove our temporary files
                         * (and stop our child) before ending the process. */
                        if (sig_cleanup_install() < 0) {
                                fprintf(stderr, "ukit %s: cannot install signal handlers: %m\n", verbs[i].name);
                                return EXIT_FAILURE;
                        }
                        return verbs[i].run(argc - 1, argv + 1);
                }

        fprintf(stderr, "ukit: unknown verb '%s'. Try 'ukit --help'.\n", argv[1]);
        return EXIT_USAGE;
}
