/*
 * Unit tests for fs/fsd_ring.c, the exec ring the mounts of one provfs run
 * share: each opener takes the others' posts (pid and program, none for a
 * name too long for a slot) in order, never its own; a
 * reader a whole ring behind is told it lost posts and goes on with the
 * newest; a slot never filled is passed over, as lost; posts from another
 * process (a real fork) arrive; a file that is
 * not a ring is refused.  Real files in a mkdtemp directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "fsd.h"

struct seen {
	pid_t pids[64];
	char exes[64][EXEC_RING_EXE];
	int n;
	int64_t last_when;
	int out_of_order;
	int lost;     /* times lost_posts was called */
	int n_lost;   /* posts taken before its (first) call */
};

static void note(void *arg, pid_t pid, int64_t when_ns, const char *exe)
{
	struct seen *s = arg;

	if (when_ns < s->last_when)
		s->out_of_order = 1;
	s->last_when = when_ns;
	if (s->n < 64) {
		s->pids[s->n] = pid;
		snprintf(s->exes[s->n], sizeof(s->exes[s->n]), "%s", exe);
	}
	s->n++;
}

static void lost_posts(void *arg)
{
	struct seen *s = arg;

	if (!s->lost++)
		s->n_lost = s->n;
}

/* Post i that s took was of pid and named exe. */
static void assert_took(const struct seen *s, int i, pid_t pid, const char *exe)
{
	assert_int_equal(s->pids[i], pid);
	assert_string_equal(s->exes[i], exe);
}

struct fixture {
	char dir[64];
	char path[96];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_execring.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/execs", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void others_posts_in_order(void **state)
{
	struct fixture *f = *state;
	struct fsd_ring *a, *b, *c;
	struct seen sa = {0}, sb = {0}, sc = {0};
	char longname[EXEC_RING_EXE + 8];

	assert_int_equal(fsd_exec_ring_create(f->path), 0);
	assert_int_equal(fsd_exec_ring_create(f->path), -EEXIST);
	assert_int_equal(exec_ring_open(f->path, &a), 0);
	assert_int_equal(exec_ring_open(f->path, &b), 0);
	exec_ring_post(a, 101, "/usr/bin/sed");
	exec_ring_post(b, 202, "build/st");
	exec_ring_post(a, 103, NULL);
	/* c opened after those: it takes only what comes later. */
	assert_int_equal(exec_ring_open(f->path, &c), 0);
	/* A name with no room in a slot: none. */
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	exec_ring_post(b, 204, longname);
	exec_ring_post(a, 0, "/bin/true"); /* not a pid: not posted */

	assert_int_equal(exec_ring_take(a, note, NULL, &sa), 0);
	assert_int_equal(sa.n, 2);
	assert_took(&sa, 0, 202, "build/st");
	assert_took(&sa, 1, 204, "");
	assert_int_equal(exec_ring_take(b, note, NULL, &sb), 0);
	assert_int_equal(sb.n, 2);
	assert_took(&sb, 0, 101, "/usr/bin/sed");
	assert_took(&sb, 1, 103, "");
	assert_int_equal(exec_ring_take(c, note, NULL, &sc), 0);
	assert_int_equal(sc.n, 1);
	assert_took(&sc, 0, 204, "");
	assert_false(sa.out_of_order || sb.out_of_order);
	/* Taken once only. */
	assert_int_equal(exec_ring_take(a, note, NULL, &sa), 0);
	assert_int_equal(sa.n, 2);
	exec_ring_close(a);
	exec_ring_close(b);
	exec_ring_close(c);
}

static void a_reader_a_ring_behind_has_lost_posts(void **state)
{
	struct fixture *f = *state;
	struct fsd_ring *w, *r;
	struct seen s = {0};

	assert_int_equal(fsd_exec_ring_create(f->path), 0);
	assert_int_equal(exec_ring_open(f->path, &w), 0);
	assert_int_equal(exec_ring_open(f->path, &r), 0);
	for (unsigned i = 0; i < EXEC_RING_SLOTS + 10; i++)
		exec_ring_post(w, (pid_t)(1000 + i), "/bin/true");
	assert_int_equal(exec_ring_take(r, note, lost_posts, &s), 1);
	/* The newest ring's worth, from the first one not overwritten; the
	 * loss told once, after them. */
	assert_int_equal(s.n, (int)EXEC_RING_SLOTS);
	assert_int_equal(s.lost, 1);
	assert_int_equal(s.n_lost, (int)EXEC_RING_SLOTS);
	assert_took(&s, 0, 1010, "/bin/true");
	assert_false(s.out_of_order);
	/* Caught up: nothing more lost. */
	exec_ring_post(w, 7, "/bin/false");
	s.n = 0;
	assert_int_equal(exec_ring_take(r, note, lost_posts, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.lost, 1);
	assert_took(&s, 0, 7, "/bin/false");
	exec_ring_close(w);
	exec_ring_close(r);
}

/* A slot its writer took but never filled (died, or stalled between
 * taking and filling it) is passed over once enough posts follow it; the
 * reader is told it lost posts then, so that no exec goes unnoticed (it
 * used to be skipped silently). */
static void a_slot_never_filled_is_passed_over_as_lost(void **state)
{
	struct fixture *f = *state;
	struct fsd_ring *w, *r;
	struct seen s = {0};
	_Atomic uint64_t *head;
	void *map;
	int fd;

	assert_int_equal(fsd_exec_ring_create(f->path), 0);
	assert_int_equal(exec_ring_open(f->path, &w), 0);
	assert_int_equal(exec_ring_open(f->path, &r), 0);
	fd = open(f->path, O_RDWR);
	assert_true(fd >= 0);
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(map != MAP_FAILED);
	/* The ring's head follows its two 32-bit fields (fsd_ring.c). */
	head = (_Atomic uint64_t *)((char *)map + 8);
	atomic_fetch_add(head, 1); /* a writer takes a slot and stalls */
	for (int i = 0; i < 70; i++)
		exec_ring_post(w, (pid_t)(2000 + i), "/bin/true");
	exec_ring_take(r, note, lost_posts, &s);
	assert_int_equal(s.n, 70);
	assert_int_equal(s.lost, 1);
	assert_took(&s, 0, 2000, "/bin/true");
	munmap(map, 4096);
	close(fd);
	exec_ring_close(w);
	exec_ring_close(r);
}

static void posts_of_another_process(void **state)
{
	struct fixture *f = *state;
	struct fsd_ring *r;
	struct seen s = {0};
	pid_t child;
	int status;

	assert_int_equal(fsd_exec_ring_create(f->path), 0);
	assert_int_equal(exec_ring_open(f->path, &r), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct fsd_ring *w;

		if (exec_ring_open(f->path, &w) != 0)
			_exit(1);
		for (int i = 0; i < 50; i++)
			exec_ring_post(w, getpid(), "/usr/bin/cat");
		exec_ring_close(w);
		_exit(0);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(exec_ring_take(r, note, NULL, &s), 0);
	assert_int_equal(s.n, 50);
	assert_took(&s, 49, child, "/usr/bin/cat");
	exec_ring_close(r);
}

static void a_file_that_is_no_ring_is_refused(void **state)
{
	struct fixture *f = *state;
	struct fsd_ring *r = (struct fsd_ring *)1;
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	fputs("not a ring\n", fp);
	fclose(fp);
	assert_int_equal(exec_ring_open(f->path, &r), -EINVAL);
	assert_null(r);
	unlink(f->path);
	assert_int_equal(exec_ring_open(f->path, &r), -ENOENT);
	assert_null(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(others_posts_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(a_reader_a_ring_behind_has_lost_posts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_slot_never_filled_is_passed_over_as_lost, setup,
						teardown),
		cmocka_unit_test_setup_teardown(posts_of_another_process, setup, teardown),
		cmocka_unit_test_setup_teardown(a_file_that_is_no_ring_is_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
