/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* ukify's configuration file format (ukify(1), "CONFIGURATION SETTINGS"):
 * an INI file read with Python's configparser: "[Section]" headers,
 * "Key=Value" (also "Key = Value"), comments starting with '#' (whole line
 * or after the value, preceded by a blank), keys case-sensitive, indented
 * lines continue the previous value until an empty or comment line. Like
 * ukify (comment_prefixes='#'), ';' does not start a comment. `ukit build` uses the [UKI] section; other sections are
 * passed through to the callback too, so options added by other parts of
 * ukit (e.g. [PCRSignature:NAME]) can be handled where they live. */

#include <stdbool.h>
#include <stddef.h>

#define BUILD_CONFIG_SIZE_MAX   (1024u * 1024u)
#define BUILD_CONFIG_LINE_MAX   8192u

/* Called for every key, in file order. section is the header text without
 * brackets ("UKI", "PCRSignature:foo"); value is stripped and, for
 * continued values, lines are joined with '\n'. Return <0 to stop parsing
 * (the value is returned), 0 to continue. *ret_line reports the line. */
typedef int (*BuildConfigCallback)(void *userdata, const char *section, const char *key, const char *value,
                                   unsigned line);

/* Parse the text. Returns 0, -EBADMSG with *ret_line on a syntax error, or
 * the callback's error. */
int build_config_parse(const char *text, size_t size, BuildConfigCallback cb, void *userdata, unsigned *ret_line);

/* ukify's default configuration search path when --config is not given:
 * the first existing ukify.conf in /etc/systemd, /run/systemd,
 * /usr/local/lib/systemd, /usr/lib/systemd. Returns a static string or NULL.
 * $UKIT_CONFIG_SEARCH=0 disables the search (tests). */
const char *build_config_default_path(void);
