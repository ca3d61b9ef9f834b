/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "fileio.h"
#include "sig-cleanup.h"
#include "test.h"
#include "util.h"

static unsigned count_entries(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        unsigned n = 0;

        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

int main(void) {
        char tmpl[] = "/tmp/test-fileio-XXXXXX";
        char *dir = mkdtemp(tmpl);
        char *target, *buf;
        size_t size;
        struct stat st;

        CHECK(dir);
        target = xasprintf("%s/out", dir);

        /* Aborted writes leave nothing behind. */
        {
                AtomicFile f = ATOMIC_FILE_INIT;
                CHECK(atomic_file_open(&f, target) == 0);
                CHECK(write_full(f.fd, "partial", 7) == 0);
                atomic_file_abort(&f);
                atomic_file_abort(&f);
                CHECK_EQ_INT(count_entries(dir), 0);
        }

        /* Committed writes appear atomically with the requested mode. */
        {
                AtomicFile f = ATOMIC_FILE_INIT;
                CHECK(atomic_file_open(&f, target) == 0);
                CHECK(write_full(f.fd, "hello", 5) == 0);
                CHECK(pwrite_full(f.fd, "J", 1, 0) == 0);
                CHECK(atomic_file_commit(&f, 0640) == 0);
                atomic_file_abort(&f);
                CHECK_EQ_INT(count_entries(dir), 1);
                CHECK(stat(target, &st) == 0);
                CHECK_EQ_INT(st.st_mode & 0777, 0640);
        }

        CHECK(read_file_full(target, 100, &buf, &size) == 0);
        CHECK_EQ_INT(size, 5);
        CHECK_EQ_STR(buf, "Jello");
        free(buf);

        CHECK(read_file_full(target, 4, &buf, &size) == -EFBIG);
        CHECK(read_file_full("/nonexistent/x", 4, &buf, &size) == -ENOENT);

        CHECK(read_text_or_file("literal", 100, &buf, &size) == 0);
        CHECK_EQ_STR(buf, "literal");
        free(buf);
        char *at = xasprintf("@%s", target);
        CHECK(read_text_or_file(at, 100, &buf, &size) == 0);
        CHECK_EQ_STR(buf, "Jello");
        free(buf);
        free(at);

        /* noreplace: an existing path of any kind, a dangling symlink too,
         * is refused, and left alone; a free one is taken. */
        {
                char *link = xasprintf("%s/dangling", dir), *fresh = xasprintf("%s/fresh", dir);
                AtomicFile f = ATOMIC_FILE_INIT;
                CHECK(symlink("/nonexistent/x", link) == 0);
                CHECK(atomic_file_open(&f, link) == 0);
                CHECK(write_full(f.fd, "key", 3) == 0);
                CHECK_EQ_INT(atomic_file_commit_noreplace(&f, 0600), -EEXIST);
                atomic_file_abort(&f);
                CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
                CHECK(atomic_file_open(&f, target) == 0);
                CHECK_EQ_INT(atomic_file_commit_noreplace(&f, 0600), -EEXIST);
                atomic_file_abort(&f);
                CHECK(atomic_file_open(&f, fresh) == 0);
                CHECK(write_full(f.fd, "key", 3) == 0);
                CHECK(atomic_file_commit_noreplace(&f, 0600) == 0);
                CHECK(stat(fresh, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 3);
                CHECK_EQ_INT(count_entries(dir), 3);    /* out, dangling, fresh: no temporary */
                unlink(link);
                unlink(fresh);
                free(link);
                free(fresh);
        }

        /* The sweep removes temporaries nobody holds a lock on, and only those. */
        {
                char *stale = xasprintf("%s/" ATOMIC_FILE_TEMP_PREFIX "stale1", dir);
                char *live = xasprintf("%s/" ATOMIC_FILE_TEMP_PREFIX "live01", dir);
                char *other = xasprintf("%s/.#other", dir);
                int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                int sfd = open(stale, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                int lfd = open(live, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                int ofd = open(other, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                CHECK(dfd >= 0 && sfd >= 0 && lfd >= 0 && ofd >= 0);
                CHECK(write_full(sfd, "0123456789", 10) == 0);
                close(sfd);
                close(ofd);
                CHECK(flock(lfd, LOCK_EX) == 0);
                int64_t freed = atomic_file_sweep(dfd);
                CHECK(freed >= 0);
                CHECK(access(stale, F_OK) < 0 && errno == ENOENT);
                CHECK(access(live, F_OK) == 0);
                CHECK(access(other, F_OK) == 0);
                close(lfd);
                CHECK(atomic_file_sweep(dfd) >= 0);
                CHECK(access(live, F_OK) < 0);
                close(dfd);
                unlink(other);
                free(stale);
                free(live);
                free(other);
        }

        /* rm_rf_sigsafe: a tree, without following a symlink out of it. */
        {
                char *top = xasprintf("%s/tree", dir), *keep = xasprintf("%s/keep", dir), *p;
                CHECK(mkdir(top, 0755) == 0);
                CHECK(mkdir(keep, 0755) == 0);
                p = xasprintf("%s/keep/precious", dir);
                CHECK(close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) == 0);
                free(p);
                char *cur = xstrdup(top);
                for (int i = 0; i < 40; i++) {
                        char *n = xasprintf("%s/d%d", cur, i);
                        CHECK(mkdir(n, 0755) == 0);
                        p = xasprintf("%s/f", n);
                        CHECK(close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) == 0);
                        free(p);
                        free(cur);
                        cur = n;
                }
                p = xasprintf("%s/link", cur);
                CHECK(symlink(keep, p) == 0);
                free(p);
                free(cur);
                CHECK_EQ_INT(rm_rf_sigsafe(top), 0);
                CHECK(access(top, F_OK) < 0);
                p = xasprintf("%s/keep/precious", dir);
                CHECK(access(p, F_OK) == 0);
                unlink(p);
                free(p);
                rmdir(keep);
                free(top);
                free(keep);
        }

        unlink(target);
        CHECK_EQ_INT(count_entries(dir), 0);
        rmdir(dir);
        free(target);
        TEST_DONE();
}
