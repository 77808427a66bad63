/* Unit tests for util.c: removing trees. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

/* A tree deeper than the fds a process may hold (a build's, in its /tmp,
 * then swept by store gc) is removed whole: each level held an fd, and
 * gc failed with EMFILE and freed nothing. */
static void deep_tree_is_removed_within_few_fds(void **state)
{
	char top[] = "/tmp/provfs-unit-deep.XXXXXX";
	struct rlimit old, low;
	int fd, ret;

	(void)state;
	assert_non_null(mkdtemp(top));
	fd = open(top, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	for (int i = 0; i < 300; i++) {
		int sub, f;

		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		f = openat(fd, "file", O_WRONLY | O_CREAT, 0644);
		assert_true(f >= 0);
		close(f);
		assert_int_equal(mkdirat(fd, "empty", 0755), 0);
		sub = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		assert_true(sub >= 0);
		close(fd);
		fd = sub;
	}
	close(fd);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 128; /* (64 levels hold one, see REMOVE_HELD_LEVELS) */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	ret = remove_tree_at(AT_FDCWD, top);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(ret, 0);
	assert_int_equal(access(top, F_OK), -1);
	assert_int_equal(errno, ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deep_tree_is_removed_within_few_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
