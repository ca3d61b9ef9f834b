/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>

#include "cli.h"
#include "sysext-cli.h"

int sysext_merge_verbs(ExtClass c, const char *verb, int argc, char **argv) {
        (void) c; (void) argc; (void) argv;
        log_error("%s: not implemented yet", verb);
        return EXIT_FAILURE;
}
