/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fileio.h"
#include "sig-cleanup.h"
#include "update-decompress.h"
#include "update-remote.h"
#include "util.h"

/* Large receive pieces: fewer callbacks and fewer writes into a slot. */
#define RECEIVE_BUFFER (512L * 1024L)

typedef struct Transfer {
        CURL *curl;
        UpdateHttpFn fn;
        void *userdata;
        int error;              /* what fn returned */
} Transfer;

static size_t transfer_write(char *p, size_t size, size_t nmemb, void *userdata) {
        Transfer *t = userdata;
        size_t n = size * nmemb;
        long status = 0;

        /* an error page is never taken as the body (the status of the
         * response this piece belongs to: looked at every time) */
        curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 300)
                return 0;
        t->error = t->fn(p, n, t->userdata);
        return t->error < 0 ? 0 : n;
}

static int perform(const char *url, Transfer *t, UkitError *err) {
        static bool initialized = false;
        char errbuf[CURL_ERROR_SIZE] = "";
        CURLcode cr;
        long status = 0;

        if (!initialized) {
                if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                        return -ENOMEM;
                initialized = true;
        }
        t->curl = curl_easy_init();
        if (!t->curl)
                return -ENOMEM;
        CURL *c = t->curl;
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
        curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 100L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
        curl_easy_setopt(c, CURLOPT_BUFFERSIZE, RECEIVE_BUFFER);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, transfer_write);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "ukit-update");
        cr = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
        t->curl = NULL;
        if (status == 404)
                return ukit_error(err, -ENOENT, "%s: not found (HTTP 404)", url);
        if (status >= 300)
                return ukit_error(err, -EIO, "%s: HTTP status %ld", url, status);
        if (t->error < 0)
                return t->error;        /* the caller names it */
        if (cr != CURLE_OK)
                return ukit_error(err, -EIO, "%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(cr));
        return 0;
}

int update_http_get_cb(const char *url, UpdateHttpFn fn, void *userdata, UkitError *err) {
        Transfer t = { .fn = fn, .userdata = userdata };
        return perform(url, &t, err);
}

typedef struct Buffer {
        char *buf;
        size_t n, max;
} Buffer;

static int buffer_add(const void *p, size_t n, void *userdata) {
        Buffer *b = userdata;

        if (n > b->max - b->n)
                return -EFBIG;
        memcpy(b->buf + b->n, p, n);
        b->n += n;
        return 0;
}

int update_http_get(const char *url, size_t max, char **ret, size_t *ret_size, UkitError *err) {
        Buffer b = { .buf = malloc(max + 1), .max = max };
        int r;

        if (!b.buf)
                return -ENOMEM;
        r = update_http_get_cb(url, buffer_add, &b, err);
        if (r == -EFBIG)
                r = ukit_error(err, r, "%s: response too large", url);
        if (r < 0) {
                free(b.buf);
                return r;
        }
        b.buf[b.n] = 0;
        *ret = b.buf;
        *ret_size = b.n;
        return 0;
}

static int fd_add(const void *p, size_t n, void *userdata) {
        return write_full(*(int *) userdata, p, n);
}

int update_http_get_fd(const char *url, int fd, UkitError *err) {
        int r = update_http_get_cb(url, fd_add, &fd, err);
        /* no-op when the transfer itself failed and said why */
        return r < 0 ? ukit_error(err, r, "%s: %s", url, strerror(-r)) : 0;
}

typedef struct Streamed {
        UpdateStream *stream;
        int error;              /* the stream's, not the transfer's */
} Streamed;

static int streamed_add(const void *p, size_t n, void *userdata) {
        Streamed *st = userdata;
        st->error = update_stream_write(st->stream, p, n);
        return st->error;
}

int update_http_get_stream(const char *url, UpdateStream *stream, uint8_t digest[32], bool *ret_own, UkitError *err) {
        Streamed st = { .stream = stream };
        int r = update_http_get_cb(url, streamed_add, &st, err);

        *ret_own = r < 0 && st.error >= 0;
        if (r < 0)
                return r;
        return update_stream_finish(stream, digest, NULL);
}

static char *find_keyring(const char *root) {
        static const char *const paths[] = {
                "/etc/systemd/import-pubring.pgp", "/etc/systemd/import-pubring.gpg",
                "/usr/lib/systemd/import-pubring.pgp", "/usr/lib/systemd/import-pubring.gpg",
        };
        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                char *p = root ? strprintf("%s%s", root, paths[i]) : strdup(paths[i]);
                struct stat st;
                if (!p)
                        return NULL;
                if (stat(p, &st) >= 0 && S_ISREG(st.st_mode))
                        return p;
                free(p);
        }
        return NULL;
}

static int write_temp(const char *dir, const char *name, const char *data, size_t n, char **ret) {
        char *p = strprintf("%s/%s", dir, name);
        int fd = p ? open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1, r;

        if (!p)
                return -ENOMEM;
        if (fd < 0) {
                free(p);
                return -errno;
        }
        r = write_full(fd, data, n);
        close(fd);
        if (r < 0) {
                free(p);
                return r;
        }
        *ret = p;
        return 0;
}

int update_gpg_verify(const char *root, const char *data, size_t n, const char *sig, size_t sig_n, UkitError *err) {
        _cleanup_free_ char *keyring = find_keyring(root), *dpath = NULL, *spath = NULL, *tmp = NULL;
        const char *tmpdir = getenv("TMPDIR");
        int slot, r, status;

        if (!keyring)
                return ukit_error(err, -ENOKEY, "no import keyring (/etc/systemd/import-pubring.pgp)");
        tmp = strprintf("%s/ukit-update-gpg-XXXXXX", tmpdir && *tmpdir == '/' ? tmpdir : "/tmp");
        if (!tmp)
                return -ENOMEM;
        if (!mkdtemp(tmp))
                return ukit_error(err, -errno, "cannot create a temporary directory: %s", strerror(errno));
        slot = sig_cleanup_add(tmp, true);
        r = write_temp(tmp, "SHA256SUMS", data, n, &dpath);
        if (r >= 0)
                r = write_temp(tmp, "SHA256SUMS.gpg", sig, sig_n, &spath);
        _cleanup_free_ char *home = r >= 0 ? strprintf("--homedir=%s", tmp) : NULL;
        if (r >= 0 && !home)
                r = -ENOMEM;
        if (r >= 0) {
                char *argv[] = { (char *) "gpgv", home, (char *) "--quiet", (char *) "--keyring", keyring,
                                 spath, dpath, NULL };
                posix_spawn_file_actions_t fa;
                posix_spawn_file_actions_init(&fa);
                posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
                posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
                status = sig_cleanup_spawn_wait("gpgv", true, &fa, argv);
                posix_spawn_file_actions_destroy(&fa);
                if (status < 0)
                        r = ukit_error(err, status, "cannot run gpgv: %s", strerror(-status));
                else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        r = ukit_error(err, -EBADMSG, "SHA256SUMS.gpg: bad signature or unknown key (keyring %s)", keyring);
        }
        (void) rm_rf_sigsafe(tmp);
        sig_cleanup_remove(slot);
        return r;
}
