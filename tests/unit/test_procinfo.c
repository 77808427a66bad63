/* Unit tests for fs/procinfo: what a process record holds, read from /proc. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "procinfo.h"
#include "util.h"

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A child with an awkward name, blocked on a pipe until released. */
static void reads_a_live_process(void **state)
{
	int go[2];
	pid_t pid;
	struct procinfo info;
	char cwd[PATH_MAX], exe[PATH_MAX];
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c;

		/* comm with spaces and parens: stat must be parsed after
		 * its last ')'. */
		prctl(PR_SET_NAME, "a) b (c", 0, 0, 0);
		close(go[1]);
		(void)!read(go[0], &c, 1);
		_exit(0);
	}
	close(go[0]);
	usleep(50000);
	assert_int_equal(procinfo_read(pid, &info), 0);
	assert_int_equal(info.pid, pid);
	assert_int_equal(info.ppid, getpid());
	assert_int_equal(info.uid, getuid());
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_string_equal(info.cwd, cwd);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	assert_string_equal(info.exe, exe); /* forked, not exec'd */
	assert_true(info.argv_json[0] == '[');
	assert_non_null(strstr(info.argv_json, "test_procinfo"));
	assert_true(info.start_ns > now_ns() - 60 * 1000000000LL);
	assert_true(info.start_ns <= now_ns());
	/* A fork keeps the image; an exec makes another. */
	{
		struct procinfo self, execd;
		pid_t sleeper = fork();

		assert_true(sleeper >= 0);
		if (sleeper == 0) {
			execl("/bin/sleep", "sleep", "10", (char *)NULL);
			_exit(127);
		}
		assert_int_equal(procinfo_read(getpid(), &self), 0);
		assert_true(self.image != 0);
		assert_true(info.image == self.image);
		for (int i = 0; i < 200; i++) {
			assert_int_equal(procinfo_read(sleeper, &execd), 0);
			if (strstr(execd.exe, "sleep"))
				break;
			procinfo_free(&execd);
			execd.exe = NULL;
			usleep(10000);
		}
		assert_non_null(execd.exe);
		assert_true(execd.image != 0);
		assert_true(execd.image != self.image);
		procinfo_free(&execd);
		procinfo_free(&self);
		kill(sleeper, SIGKILL);
		assert_int_equal(waitpid(sleeper, NULL, 0), sleeper);
	}
	procinfo_free(&info);
	close(go[1]);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	/* Gone: reaped, so /proc has nothing for it. */
	assert_int_equal(procinfo_read(pid, &info), -ESRCH);
}

/* A process whose working directory was removed: its cwd is the path it
 * had, not the kernel's "PATH (deleted)", a name that never existed. */
static void removed_cwd_is_its_path(void **state)
{
	char tmpl[] = "/tmp/procinfo-cwd.XXXXXX";
	int go[2], ready[2];
	struct procinfo info;
	pid_t pid;
	char c;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		close(ready[0]);
		if (chdir(tmpl) < 0)
			_exit(1);
		(void)!write(ready[1], "r", 1);
		(void)!read(go[0], &c, 1);
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(rmdir(tmpl), 0);
	assert_int_equal(procinfo_read(pid, &info), 0);
	assert_string_equal(info.cwd, tmpl);
	procinfo_free(&info);
	close(go[1]);
	close(ready[0]);
	waitpid(pid, NULL, 0);
}

static void argv_is_a_json_array(void **state)
{
	char *j;

	(void)state;
	j = procinfo_argv_json("cc\0-c\0a b.c\0", 12, 0);
	assert_string_equal(j, "[\"cc\",\"-c\",\"a b.c\"]");
	free(j);
	j = procinfo_argv_json("", 0, 0);
	assert_string_equal(j, "[]");
	free(j);
	/* Bytes that are not UTF-8 are kept, percent-encoded and marked;
	 * UTF-8 beside them stays as it is. */
	j = procinfo_argv_json("x\xff%\0caf\xc3\xa9", 10, 0);
	assert_string_equal(j, "[{\"percent\":\"x%FF%25\"},\"caf\xc3\xa9\"]");
	free(j);
}

/* A command line longer than the buffer: the argument cut in two is left
 * out, and a null says arguments are missing; procinfo_argv_cut finds it
 * and leaves the whole ones. */
static void argv_cut_short(void **state)
{
	json_t *a;
	char *j;

	(void)state;
	j = procinfo_argv_json("ld\0-o\0a.out\0obj", 15, 1);
	assert_string_equal(j, "[\"ld\",\"-o\",\"a.out\",null]");
	a = json_loads(j, 0, NULL);
	free(j);
	assert_int_equal(procinfo_argv_cut(a), 1);
	assert_int_equal(json_array_size(a), 3);
	assert_int_equal(procinfo_argv_cut(a), 0);
	json_decref(a);
	/* One argument longer than the buffer: none whole. */
	j = procinfo_argv_json("xxxx", 4, 1);
	assert_string_equal(j, "[null]");
	free(j);
	a = json_loads("[\"cc\"]", 0, NULL);
	assert_int_equal(procinfo_argv_cut(a), 0);
	assert_int_equal(json_array_size(a), 1);
	json_decref(a);
}

static void ppid_alone(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	int64_t start = -1;
	struct procinfo info;

	assert_int_equal(procinfo_ppid(getpid(), NULL), getppid());
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* A comm with spaces and a paren, as the parser must skip. */
		prctl(PR_SET_NAME, "a b) c", 0, 0, 0);
		pause();
		_exit(0);
	}
	for (int i = 0; i < 100; i++) {
		char comm[64] = "", path[64];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		f = fopen(path, "r");
		if (f && fgets(comm, sizeof(comm), f) && !strcmp(comm, "a b) c\n")) {
			fclose(f);
			break;
		}
		if (f)
			fclose(f);
		usleep(10000);
	}
	/* The start time beside it is the one a full read gives. */
	assert_int_equal(procinfo_ppid(pid, &start), getpid());
	assert_int_equal(procinfo_read(pid, &info), 0);
	assert_true(start > 0);
	assert_true(start == info.start_ns);
	procinfo_free(&info);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	assert_int_equal(procinfo_ppid(pid, &start), 0);
	assert_true(start == 0);
}

/* A zombie (exited, not reaped) has nothing left to read: gone. */
static void zombie_is_gone(void **state)
{
	struct procinfo info;
	pid_t pid;
	int st;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	for (int i = 0; i < 200; i++) {
		char path[64], buf[256] = "", *p;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		f = fopen(path, "r");
		if (f && fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[2] == 'Z') {
			fclose(f);
			break;
		}
		if (f)
			fclose(f);
		usleep(5000);
	}
	assert_int_equal(procinfo_read(pid, &info), -ESRCH);
	waitpid(pid, &st, 0);
}

struct other_thread {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pid_t tid;
	int go;
};

static void *other_thread_main(void *arg)
{
	struct other_thread *t = arg;

	pthread_mutex_lock(&t->lock);
	t->tid = gettid();
	pthread_cond_broadcast(&t->cond);
	while (!t->go)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

/* Starts t's thread, and returns once it has told its id. */
static void start_other_thread(struct other_thread *t, pthread_t *th)
{
	assert_int_equal(pthread_create(th, NULL, other_thread_main, t), 0);
	pthread_mutex_lock(&t->lock);
	while (!t->tid)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
}

static void stop_other_thread(struct other_thread *t, pthread_t th)
{
	pthread_mutex_lock(&t->lock);
	t->go = 1;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	assert_int_equal(pthread_join(th, NULL), 0);
}

/* A thread other than the first is read as a thread of its process: the
 * process's pid and start time are in tgid and tgid_start_ns, and its
 * parent is the process's.  The first thread (the process) has none. */
static void reads_a_thread_as_its_process(void **state)
{
	struct other_thread t = {.lock = PTHREAD_MUTEX_INITIALIZER,
				 .cond = PTHREAD_COND_INITIALIZER};
	struct procinfo_stat self;
	struct procinfo info;
	pthread_t th;

	(void)state;
	assert_int_equal(procinfo_stat(getpid(), &self), 0);
	assert_int_equal(procinfo_read(getpid(), &info), 0);
	assert_int_equal(info.tgid, 0); /* one thread so far */
	procinfo_free(&info);
	start_other_thread(&t, &th);
	assert_true(t.tid != getpid());
	assert_int_equal(procinfo_read(t.tid, &info), 0);
	assert_int_equal(info.pid, t.tid);
	assert_int_equal(info.tgid, getpid());
	assert_int_equal(info.ppid, getppid()); /* the thread's parent is its process's */
	assert_true(info.tgid_start_ns == self.start_ns);
	procinfo_free(&info);
	/* and the first thread, with another beside it, is its process */
	assert_int_equal(procinfo_read(getpid(), &info), 0);
	assert_int_equal(info.tgid, 0);
	procinfo_free(&info);
	stop_other_thread(&t, th);
}

/* procinfo_read_alone of this process once it is one thread again: the
 * kernel lets a joined thread go a moment after the join may return (a
 * test before this one ends one; on the ASan build the read came first
 * once, and found two). */
static int read_alone_once_single(struct procinfo *info)
{
	int ret = -EBUSY;

	for (int i = 0; i < 1000 && (ret = procinfo_read_alone(getpid(), info)) == -EBUSY; i++)
		usleep(1000);
	return ret;
}

/* procinfo_read_alone reads a process of one thread as procinfo_read
 * does, and refuses one with others (-EBUSY, nothing filled in), by
 * either thread's id: a thread of it may hold the lock that reading the
 * arguments takes. */
static void read_alone_refuses_a_process_of_threads(void **state)
{
	struct other_thread t = {.lock = PTHREAD_MUTEX_INITIALIZER,
				 .cond = PTHREAD_COND_INITIALIZER};
	struct procinfo info;
	pthread_t th;

	(void)state;
	assert_int_equal(read_alone_once_single(&info), 0);
	assert_int_equal(info.pid, getpid());
	assert_non_null(strstr(info.argv_json, "test_procinfo"));
	procinfo_free(&info);
	start_other_thread(&t, &th);
	assert_int_equal(procinfo_read_alone(getpid(), &info), -EBUSY);
	assert_null(info.argv_json);
	assert_int_equal(procinfo_read_alone(t.tid, &info), -EBUSY);
	assert_int_equal(procinfo_read(t.tid, &info), 0); /* which can */
	procinfo_free(&info);
	stop_other_thread(&t, th);
	assert_int_equal(read_alone_once_single(&info), 0);
	assert_non_null(info.argv_json);
	procinfo_free(&info);
}

/* COMM may hold spaces and parens; the fields after it are found from the
 * last ')'. */
static void stat_text_parses(void **state)
{
	struct procinfo_stat st;

	(void)state;
	assert_int_equal(procinfo_parse_stat("42 (a) (b c) S 7 42 42 0 -1", &st), 0);
	assert_string_equal(st.comm, "a) (b c");
	assert_int_equal(st.state, 'S');
	assert_false(procinfo_gone(&st));
	assert_int_equal(st.ppid, 7);
	assert_string_equal(st.rest, " 42 42 0 -1");
	assert_true(st.start_ns == 0); /* too short to hold a start time */
	assert_int_equal(st.threads, 0);
	/* num_threads, the 20th field */
	assert_int_equal(procinfo_parse_stat("5 (go) S 1 5 5 0 -1 4194560 10 0 0 0 3 4 0 0 20 0 7 0 "
					     "123 4096 100",
					     &st),
			 0);
	assert_int_equal(st.threads, 7);
	assert_int_equal(st.flags, 4194560u);
	assert_true(st.image == 0); /* the line ends before arg_start */
	/* arg_start, the 48th field */
	assert_int_equal(procinfo_parse_stat("5 (go) S 1 5 5 0 -1 4194560 10 0 0 0 3 4 0 0 20 0 7 0 "
					     "123 4096 100 18446744073709551615 1 1 140737488347136 0 0 "
					     "0 0 0 0 0 0 0 17 1 0 0 0 0 0 4096 8192 12288 "
					     "140737488350000 140737488350100 140737488350100 "
					     "140737488351000 0",
					     &st),
			 0);
	assert_true(st.image == 140737488350000ULL);
	assert_int_equal(st.threads, 7);
	assert_false(procinfo_gone(&st));
	/* PF_EXITING (0x4) among the flags, the 9th field: exiting, its
	 * program and arguments gone, though its state is not Z yet */
	assert_int_equal(procinfo_parse_stat("5 (mkdir) R 1 5 5 0 -1 4194564 10 0 0 0 3 4 0 0 20 0 1 0 "
					     "123 4096 100",
					     &st),
			 0);
	assert_true(procinfo_gone(&st));
	assert_int_equal(procinfo_parse_stat("9 (sh) Z 1", &st), 0);
	assert_int_equal(st.state, 'Z');
	assert_true(procinfo_gone(&st));
	assert_int_equal(st.ppid, 1);
	assert_int_equal(procinfo_parse_stat("9 (sh", &st), -EINVAL);
	assert_int_equal(procinfo_parse_stat("9 sh) S 1", &st), -EINVAL);
	assert_int_equal(procinfo_parse_stat("9 (sh)", &st), -EINVAL);
	assert_int_equal(procinfo_parse_stat("", &st), -EINVAL);
	/* A long name is cut, not overrun. */
	assert_int_equal(procinfo_parse_stat("9 (0123456789012345678901234567890123456789"
					     "012345678901234567890123456789) R 3",
					     &st),
			 0);
	assert_int_equal(strlen(st.comm), sizeof(st.comm) - 1);
	assert_int_equal(st.ppid, 3);
	{
		/* starttime, the 22nd field, in clock ticks since boot. */
		const char *early = "7 (cc) S 1 7 7 0 -1 4194560 1 0 0 0 2 3 0 0 20 0 1 0 100 9 9";
		const char *later = "8 (cc) S 1 8 8 0 -1 4194560 1 0 0 0 2 3 0 0 20 0 1 0 350 9 9";
		int64_t t0;

		assert_int_equal(procinfo_parse_stat(early, &st), 0);
		t0 = st.start_ns;
		assert_true(t0 > 0);
		assert_int_equal(procinfo_parse_stat(later, &st), 0);
		assert_true(st.start_ns - t0 == 250 * (1000000000LL / sysconf(_SC_CLK_TCK)));
	}
	/* Of this process, read from /proc. */
	assert_int_equal(procinfo_stat(getpid(), &st), 0);
	assert_int_equal(st.ppid, getppid());
	assert_int_equal(st.state, 'R');
	assert_int_equal(procinfo_stat(-5, &st), -ESRCH);
}

static void exe_is_the_path_a_mount_names(void **state)
{
	(void)state;
	assert_true(procinfo_exe_is("/usr/bin/cc", "/usr/bin/cc"));
	assert_false(procinfo_exe_is("/usr/bin/cc", "/usr/bin/c"));
	assert_true(procinfo_exe_is("/build/out/st", "out/st"));
	assert_true(procinfo_exe_is("/build/st", "st"));
	assert_false(procinfo_exe_is("/build/best", "st"));
	assert_false(procinfo_exe_is("st", "st"));
	assert_false(procinfo_exe_is(NULL, "st"));
}

/* mountinfo_find names what is mounted at a path, with its device as
 * stat would give it, and its type read past the options; a directory
 * that is no mount point is not found. */
static void mountinfo_finds_proc(void **state)
{
	unsigned int ma = 99, mi = 99;
	char type[32];
	struct stat st;

	(void)state;
	assert_int_equal(mountinfo_find("/proc", &ma, &mi, type, sizeof(type)), 1);
	assert_string_equal(type, "proc");
	assert_int_equal(stat("/proc", &st), 0);
	assert_int_equal(ma, major(st.st_dev));
	assert_int_equal(mi, minor(st.st_dev));
	assert_int_equal(mountinfo_find("/proc/self", &ma, &mi, NULL, 0), 0);
	assert_int_equal(mountinfo_find("/no/such/mount", &ma, &mi, type, sizeof(type)), 0);
	/* A short buffer gets as much of the type as fits. */
	assert_int_equal(mountinfo_find("/proc", &ma, &mi, type, 3), 1);
	assert_string_equal(type, "pr");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_a_live_process),
		cmocka_unit_test(removed_cwd_is_its_path),
		cmocka_unit_test(argv_is_a_json_array),
		cmocka_unit_test(argv_cut_short),
		cmocka_unit_test(ppid_alone),
		cmocka_unit_test(zombie_is_gone),
		cmocka_unit_test(stat_text_parses),
		cmocka_unit_test(reads_a_thread_as_its_process),
		cmocka_unit_test(read_alone_refuses_a_process_of_threads),
		cmocka_unit_test(exe_is_the_path_a_mount_names),
		cmocka_unit_test(mountinfo_finds_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
