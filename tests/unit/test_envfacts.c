/* Unit tests for provenance/envfacts: os-release, dpkg status, owners. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "envfacts.h"
#include "util.h"

static void parses_os_release_quoting(void **state)
{
	struct envfacts f = { 0 };

	(void)state;
	assert_int_equal(envfacts_parse_os_release(
		"# comment\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=x\n"
		"VERSION_ID='12'\nID=debian\n", &f), 0);
	assert_string_equal(f.os_id, "debian");
	assert_string_equal(f.os_version_id, "12");
	assert_string_equal(f.os_pretty_name, "Debian GNU/Linux 12 (bookworm)");
	envfacts_free(&f);
}

static void parses_dpkg_status_installed_only_sorted(void **state)
{
	static const char status[] =
		"Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\n"
		"Version: 1:1.2.13\nDescription: compression\n multi-line\n\n"
		"Package: removed\nStatus: deinstall ok config-files\nVersion: 1\n\n"
		"Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2-2\n";
	struct envfacts f = { 0 };

	(void)state;
	assert_int_equal(envfacts_parse_dpkg_status(status, &f), 0);
	assert_int_equal(f.n_packages, 2);
	assert_string_equal(f.packages[0].name, "bash");
	assert_string_equal(f.packages[0].version, "5.2-2");
	assert_string_equal(f.packages[1].name, "zlib1g");
	assert_string_equal(f.packages[1].version, "1:1.2.13");
	assert_string_equal(f.packages[1].arch, "amd64");
	envfacts_free(&f);
}

static void collects_from_a_fake_root(void **state)
{
	char root[] = "/tmp/test_envfacts.XXXXXX", cmd[512];
	const char *paths[] = { "/usr/bin/tool", "/etc/other", "/usr/lib/libz.so" };
	char *owners[3];
	struct envfacts f;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/etc %s/var/lib/dpkg/info && "
		 "printf 'ID=testos\\nVERSION_ID=7\\n' > %s/etc/os-release && "
		 "printf 'Package: tool\\nStatus: install ok installed\\nVersion: 2\\nArchitecture: all\\n' > %s/var/lib/dpkg/status && "
		 "printf '/.\\n/usr\\n/usr/bin/tool\\n' > %s/var/lib/dpkg/info/tool.list && "
		 "printf '/usr/lib/libz.so\\n' > %s/var/lib/dpkg/info/zlib1g:amd64.list",
		 root, root, root, root, root, root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(envfacts_collect(root, &f), 0);
	assert_string_equal(f.os_id, "testos");
	assert_string_equal(f.os_version_id, "7");
	assert_int_equal(f.n_packages, 1);
	assert_string_equal(f.packages[0].name, "tool");
	assert_non_null(strstr(f.kernel, "Linux"));
	assert_int_equal(envfacts_file_owners(root, paths, 3, owners), 0);
	assert_string_equal(owners[0], "tool");
	assert_null(owners[1]);
	assert_string_equal(owners[2], "zlib1g:amd64");
	for (int i = 0; i < 3; i++)
		free(owners[i]);
	envfacts_free(&f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
}

static void empty_root_has_no_facts(void **state)
{
	char root[] = "/tmp/test_envfacts.XXXXXX";
	const char *paths[] = { "/bin/sh" };
	char *owners[1];
	struct envfacts f;

	(void)state;
	assert_non_null(mkdtemp(root));
	assert_int_equal(envfacts_collect(root, &f), 0);
	assert_string_equal(f.os_id, "");
	assert_int_equal(f.n_packages, 0);
	assert_int_equal(envfacts_file_owners(root, paths, 1, owners), 0);
	assert_null(owners[0]);
	envfacts_free(&f);
	rmdir(root);
}

static void sh(const char *fmt, const char *root)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), fmt, root, root, root, root);
	assert_int_equal(system(cmd), 0);
}

/* Asks for paths[0..2] through the cache and checks the answers. */
static void ask(const char *root, const char *cache, const char *const *paths,
		const char *const *want)
{
	char *owners[3];

	assert_int_equal(envfacts_file_owners_cached(root, cache, paths, 3, owners), 0);
	for (int i = 0; i < 3; i++) {
		if (want[i])
			assert_string_equal(owners[i], want[i]);
		else
			assert_null(owners[i]);
		free(owners[i]);
	}
}

static void owner_cache_remembers_and_notices_changes(void **state)
{
	char root[] = "/tmp/test_envfacts.XXXXXX", cache[128], *text;
	const char *paths[] = { "/usr/bin/tool", "/usr/lib/libz.so", "/usr/bin/new" };
	const char *want1[] = { "tool", "zlib1g:amd64", NULL };
	const char *want2[] = { "tool", NULL, "zlib1g:amd64" };
	char *p;
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(cache, sizeof(cache), "%s/cache/sub/owners", root);
	sh("mkdir -p %s/var/lib/dpkg/info && "
	   "printf '/.\\n/usr\\n/usr/bin/tool\\n' > %s/var/lib/dpkg/info/tool.list && "
	   "printf '/usr/lib/libz.so\\n' > %s/var/lib/dpkg/info/zlib1g:amd64.list", root);
	ask(root, cache, paths, want1);
	/* The answers, "none" included, are in the cache. */
	assert_int_equal(file_read_all(cache, 1 << 20, &text, &len), 0);
	assert_non_null(strstr(text, "\n/usr/bin/tool\ttool\n"));
	assert_non_null(strstr(text, "\n/usr/bin/new\t\n"));
	free(text);
	ask(root, cache, paths, want1);
	/* A package changes: the cache is stale and not believed. */
	sh("sleep 0.01; printf '/usr/bin/new\\n' > %s/var/lib/dpkg/info/zlib1g:amd64.list", root);
	ask(root, cache, paths, want2);
	/* A damaged cache (its body no longer matches its digest) is not
	 * believed either, and is rewritten. */
	assert_int_equal(file_read_all(cache, 1 << 20, &text, &len), 0);
	p = strstr(text, "\ttool\n");
	assert_non_null(p);
	memcpy(p + 1, "evil", 4);
	{
		FILE *f = fopen(cache, "w");

		assert_non_null(f);
		assert_int_equal(fwrite(text, 1, len, f), len);
		assert_int_equal(fclose(f), 0);
	}
	free(text);
	ask(root, cache, paths, want2);
	assert_int_equal(file_read_all(cache, 1 << 20, &text, &len), 0);
	assert_null(strstr(text, "evil"));
	free(text);
	/* A cache that cannot be written changes nothing. */
	ask(root, "/dev/null/owners", paths, want2);
	sh("rm -rf %s", root);
}

/* An environment's files are its own: an absolute symlink in it
 * (etc/os-release -> /usr/lib/os-release, a .list -> a host path) resolves
 * inside it, not on the host; a FIFO where a file is expected is skipped,
 * not waited on; and /bin/x is /usr/bin/x's alias only where /bin is a
 * symlink (merged /usr). */
static void reads_stay_in_the_root(void **state)
{
	char root[] = "/tmp/test_envfacts.XXXXXX";
	const char *paths[] = { "/usr/bin/tool", "/usr/bin/pg", "/bin/other" };
	char *owners[3];
	struct envfacts f;

	(void)state;
	assert_non_null(mkdtemp(root));
	sh("mkdir -p %s/etc %s/usr/lib %s/var/lib/dpkg/info %s/bin", root);
	sh("echo ID=inside > %s/usr/lib/os-release && ln -s /usr/lib/os-release %s/etc/os-release",
	   root);
	/* /provfs-test-list exists in the root only */
	sh("printf '/usr/bin/pg\\n' > %s/provfs-test-list && "
	   "ln -s /provfs-test-list %s/var/lib/dpkg/info/zz.list", root);
	sh("mkfifo %s/var/lib/dpkg/info/fifo.list && mkfifo %s/var/lib/dpkg/status", root);
	sh("printf '/bin/tool\\n' > %s/var/lib/dpkg/info/tool.list && "
	   "printf '/bin/other\\n' > %s/var/lib/dpkg/info/other.list", root);
	assert_int_equal(envfacts_collect(root, &f), 0);
	assert_string_equal(f.os_id, "inside");
	assert_int_equal(f.n_packages, 0);
	envfacts_free(&f);
	assert_int_equal(envfacts_file_owners(root, paths, 3, owners), 0);
	assert_null(owners[0]); /* /bin is a directory: /bin/tool is another file */
	assert_non_null(owners[1]);
	assert_string_equal(owners[1], "zz");
	assert_non_null(owners[2]);
	assert_string_equal(owners[2], "other");
	for (int i = 0; i < 3; i++)
		free(owners[i]);
	sh("rm -rf %s", root);
}

/* A diversion: the file at the path is the diverting package's, the
 * diverted one (where it went) the other lister's; after a local
 * diversion (":", dpkg-divert --local) the file at the path is the
 * administrator's, no package's (it was credited to the package whose
 * file was moved away). */
static void diversions_move_owners(void **state)
{
	char root[] = "/tmp/test_envfacts.XXXXXX";
	const char *paths[] = { "/usr/bin/pg", "/usr/bin/pg.orig", "/usr/bin/loc",
				"/usr/bin/loc.real" };
	char *owners[4];

	(void)state;
	assert_non_null(mkdtemp(root));
	sh("mkdir -p %s/var/lib/dpkg/info && printf '/usr/bin/pg\\n' > %s/var/lib/dpkg/info/"
	   "zzz-common.list && printf '/usr/bin/pg\\n/usr/bin/loc\\n' > %s/var/lib/dpkg/info/"
	   "libpq.list", root);
	sh("printf '/usr/bin/pg\\n/usr/bin/pg.orig\\nzzz-common\\n"
	   "/usr/bin/loc\\n/usr/bin/loc.real\\n:\\n' > %s/var/lib/dpkg/diversions", root);
	assert_int_equal(envfacts_file_owners(root, paths, 4, owners), 0);
	assert_non_null(owners[0]);
	assert_string_equal(owners[0], "zzz-common");
	assert_non_null(owners[1]);
	assert_string_equal(owners[1], "libpq");
	assert_null(owners[2]);
	assert_non_null(owners[3]);
	assert_string_equal(owners[3], "libpq");
	for (int i = 0; i < 4; i++)
		free(owners[i]);
	sh("rm -rf %s", root);
}

/* A read through a ".." (etc/os-release -> ../usr/lib/os-release, as in
 * Debian) while anything on the system renames: openat2 RESOLVE_IN_ROOT
 * fails with EAGAIN then (about 1 in 5 provfs runs found no facts and
 * wrote no manifest); it is tried again. */
struct renamer {
	const char *dir;
	volatile int stop;
};

static void *rename_loop(void *arg)
{
	struct renamer *r = arg;
	char a[128], b[128];

	snprintf(a, sizeof(a), "%s/a", r->dir);
	snprintf(b, sizeof(b), "%s/b", r->dir);
	while (!r->stop) {
		rename(a, b);
		rename(b, a);
	}
	return NULL;
}

static void reads_through_dotdot_while_renames_run(void **state)
{
	char root[] = "/tmp/test_envfacts.XXXXXX", ren[] = "/tmp/test_envfacts_ren.XXXXXX";
	struct renamer r = {ren, 0};
	pthread_t t;
	int failed = 0;

	(void)state;
	assert_non_null(mkdtemp(root));
	assert_non_null(mkdtemp(ren));
	sh("mkdir -p %s/etc %s/usr/lib && echo ID=inside > %s/usr/lib/os-release && "
	   "ln -s ../usr/lib/os-release %s/etc/os-release", root);
	sh("touch %s/a", ren);
	assert_int_equal(pthread_create(&t, NULL, rename_loop, &r), 0);
	for (int i = 0; i < 3000; i++) {
		char *text = NULL;

		if (envfacts_read_in_root(root, "etc/os-release", 4096, &text) < 0)
			failed++;
		free(text);
	}
	r.stop = 1;
	pthread_join(t, NULL);
	assert_int_equal(failed, 0);
	sh("rm -rf %s", root);
	sh("rm -rf %s", ren);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_os_release_quoting),
		cmocka_unit_test(parses_dpkg_status_installed_only_sorted),
		cmocka_unit_test(collects_from_a_fake_root),
		cmocka_unit_test(empty_root_has_no_facts),
		cmocka_unit_test(owner_cache_remembers_and_notices_changes),
		cmocka_unit_test(reads_stay_in_the_root),
		cmocka_unit_test(diversions_move_owners),
		cmocka_unit_test(reads_through_dotdot_while_renames_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
