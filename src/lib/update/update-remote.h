/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* url-file sources: HTTP(S) with libcurl, and the detached OpenPGP
 * signature of SHA256SUMS checked as systemd-sysupdate checks it: gpgv
 * against the import keyring (/etc/systemd/import-pubring.pgp, else
 * /usr/lib/systemd/import-pubring.pgp, .gpg accepted too, inside the root). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define UPDATE_SUMS_MAX (1024u * 1024u)

/* GET url into memory (at most max bytes, NUL-terminated). -ENOENT for
 * HTTP 404, -EIO for other failures (reason in err). */
int update_http_get(const char *url, size_t max, char **ret, size_t *ret_size, UkitError *err);

/* GET url, handing the body to fn piece by piece as it arrives (pieces
 * of any size; nothing of an error page). -ENOENT for HTTP 404, -EIO for
 * other failures (a body cut short, a server that stopped: reason in
 * err); an error fn returns ends the transfer and is returned as is, err
 * left to the caller. */
typedef int (*UpdateHttpFn)(const void *p, size_t n, void *userdata);
int update_http_get_cb(const char *url, UpdateHttpFn fn, void *userdata, UkitError *err);

/* GET url through a decompressing stream (update-decompress.h) and finish
 * it: digest gets the SHA-256 of the body. A failed transfer says why in
 * err and sets *ret_own; a failed write or decompression (the stream's
 * error) is returned for the caller to name. */
struct UpdateStream;
int update_http_get_stream(const char *url, struct UpdateStream *stream, uint8_t digest[32], bool *ret_own, UkitError *err);

/* GET url, writing the body to fd. A transfer that ends early (server
 * stopped, connection lost) is -EIO. */
int update_http_get_fd(const char *url, int fd, UkitError *err);

/* Verify sig (detached) over data with the import keyring under root
 * (NULL: the host). -EBADMSG if the signature does not verify, -ENOKEY
 * without a keyring. */
int update_gpg_verify(const char *root, const char *data, size_t n, const char *sig, size_t sig_n, UkitError *err);
