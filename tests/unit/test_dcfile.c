/*
 * Unit tests for fs/dcfile, the store's persistent digest cache: records
 * round-trip, a torn tail is cut off, a corrupt record is skipped without
 * losing the ones after it, and a file that is not a cache starts afresh.
 * Real files in a mkdtemp directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "dcfile.h"
#include "util.h"

#define HDR 16
#define REC 80

struct fixture {
	char dir[64];
	char *path; /* dir/cache/digests: its directory does not exist yet */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/provfs-dcfile-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->path = path_join(f->dir, "cache/digests");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f->path);
	free(f);
	return 0;
}

static struct dcfile_rec rec(int i)
{
	struct dcfile_rec r = {.dev = 2049, .ino = (uint64_t)(1000 + i), .size = i * 7,
			       .mtime_ns = 1700000000000000000LL + i,
			       .ctime_ns = 1700000000000000001LL + i};

	memset(r.digest, i, sizeof(r.digest));
	return r;
}

struct seen {
	struct dcfile_rec r[16];
	int n;
};

static void collect(void *arg, const struct dcfile_rec *r)
{
	struct seen *s = arg;

	if (s->n < 16)
		s->r[s->n] = *r;
	s->n++;
}

static void write_n(const char *path, int n)
{
	struct dcfile *dc;

	assert_int_equal(dcfile_open(path, &dc), 0);
	for (int i = 0; i < n; i++) {
		struct dcfile_rec r = rec(i);

		assert_int_equal(dcfile_append(dc, &r), 0);
	}
	dcfile_close(dc);
}

static struct seen load(const char *path)
{
	struct seen s = {0};
	struct dcfile *dc;

	long n;

	assert_int_equal(dcfile_open(path, &dc), 0);
	n = dcfile_load(dc, collect, &s);
	assert_int_equal(n, s.n);
	dcfile_close(dc);
	return s;
}

static off_t size_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void test_roundtrip_and_mode(void **state)
{
	struct fixture *f = *state;
	struct seen s;
	struct stat st;

	write_n(f->path, 3);
	s = load(f->path);
	assert_int_equal(s.n, 3);
	for (int i = 0; i < 3; i++) {
		struct dcfile_rec want = rec(i);

		assert_memory_equal(&s.r[i], &want, sizeof(want));
	}
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, HDR + 3 * REC);
}

static void test_torn_tail_is_cut(void **state)
{
	struct fixture *f = *state;
	struct seen s;

	write_n(f->path, 2);
	assert_int_equal(truncate(f->path, HDR + 2 * REC - 30), 0);
	s = load(f->path);
	assert_int_equal(s.n, 1);
	/* The next append lands on a record boundary again. */
	assert_int_equal(size_of(f->path), HDR + REC);
	write_n(f->path, 2);
	assert_int_equal(load(f->path).n, 3);
}

static void test_corrupt_record_skipped(void **state)
{
	struct fixture *f = *state;
	struct seen s;
	int fd;

	write_n(f->path, 3);
	fd = open(f->path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, HDR + REC + 40), 1); /* inside the digest */
	close(fd);
	s = load(f->path);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.r[0].ino, 1000);
	assert_int_equal(s.r[1].ino, 1002);
}

static void test_foreign_file_starts_afresh(void **state)
{
	struct fixture *f = *state;
	char garbage[500];
	int fd;

	write_n(f->path, 1); /* creates the directory */
	memset(garbage, 'g', sizeof(garbage));
	fd = open(f->path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, garbage, sizeof(garbage)), (ssize_t)sizeof(garbage));
	close(fd);
	assert_int_equal(load(f->path).n, 0);
	assert_int_equal(size_of(f->path), HDR);
}

static void test_symlink_refused(void **state)
{
	struct fixture *f = *state;
	struct dcfile *dc;
	char *target = path_join(f->dir, "elsewhere");

	write_n(f->path, 1);
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(symlink(target, f->path), 0);
	assert_int_equal(dcfile_open(f->path, &dc), -ELOOP);
	assert_int_equal(access(target, F_OK), -1);
	free(target);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip_and_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_is_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_record_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_file_starts_afresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
