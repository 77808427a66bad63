/* Unit tests for provenance/envfacts: os-release, dpkg status, owners. */
#include <errno.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_os_release_quoting),
		cmocka_unit_test(parses_dpkg_status_installed_only_sorted),
		cmocka_unit_test(collects_from_a_fake_root),
		cmocka_unit_test(empty_root_has_no_facts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
