/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One function per verb, one file per verb. Each takes the arguments after
 * the verb name (argv[0] is the verb) and returns an exit status. */

int verb_version(int argc, char **argv);
int verb_build(int argc, char **argv);
int verb_measure(int argc, char **argv);
int verb_sysext(int argc, char **argv);
int verb_confext(int argc, char **argv);
int verb_sign_pe(int argc, char **argv);
int verb_verify(int argc, char **argv);
int verb_genkey(int argc, char **argv);
int verb_install(int argc, char **argv);
int verb_remove(int argc, char **argv);
int verb_list(int argc, char **argv);
int verb_inspect(int argc, char **argv);
int verb_ukify(int argc, char **argv);
int verb_update(int argc, char **argv);
int verb_bless(int argc, char **argv);
