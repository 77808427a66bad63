/* provfs demo: the built-in default job, with nothing to set up. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

static const char demo_usage[] =
	"usage: provfs demo [--keep] [--dir DIR]\n"
	"\n"
	"The built-in default job.  Create a small C project and build it with\n"
	"'provfs run -- sh -c \"make && ./hello\"' in a fresh store: a throw-away\n"
	"slave whose root (the host's, read-only) and workspace are provfs mounts.  Then print the\n"
	"signed manifest ('provfs show'), verify it and the built program against\n"
	"the new key ('provfs verify'), and check the store ('provfs store fsck').\n"
	"\n"
	"options:\n"
	"  --dir DIR   work in DIR (default: a new directory under /tmp)\n"
	"  --keep      keep the work directory afterwards\n"
	"  -h, --help  show this help\n";

static const struct {
	const char *name, *text;
} demo_files[] = {
	{"greet.h", "#ifndef GREET_H\n#define GREET_H\nvoid greet(const char *who);\n#endif\n"},
	{"greet.c", "#include <stdio.h>\n#include \"greet.h\"\n\nvoid greet(const char *who)\n"
		    "{\n\tprintf(\"hello, %s\\n\", who);\n}\n"},
	{"main.c", "#include \"greet.h\"\n\nint main(void)\n{\n\tgreet(\"provfs\");\n\treturn 0;\n}\n"},
	{"Makefile", "CFLAGS ?= -O2\nhello: main.o greet.o\n\t$(CC) -o $@ main.o greet.o\n"
		     "%.o: %.c greet.h\n\t$(CC) $(CFLAGS) -c $<\n"},
};

static int run(char *const argv[], const char *cwd)
{
	return cli_spawn(argv, cwd, CLI_SPAWN_REPORT);
}

static int write_text(const char *dir, const char *name, const char *text)
{
	char *path = path_join(dir, name);
	FILE *f = path ? fopen(path, "we") : NULL;
	int ret = f ? 0 : -errno;

	if (f) {
		fputs(text, f);
		if (fclose(f) != 0)
			ret = -errno;
	}
	free(path);
	return ret;
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'D'},
		{"keep", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char self[PATH_MAX], base[PATH_MAX - 64], src[PATH_MAX];
	char store[PATH_MAX + 16];
	const char *dir = NULL;
	int c, keep = 0, rc, build_rc;
	ssize_t n;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'D': dir = optarg; break;
		case 'k': keep = 1; break;
		case 'h': fputs(demo_usage, stdout); return CLI_OK;
		default: return cli_bad_option("demo");
		}
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return cli_fail(CLI_USAGE, "cannot find the provfs binary: %s", strerror(errno));
	self[n] = '\0';
	if (dir) {
		if (mkdir_p(dir, 0755) < 0 || !realpath(dir, base))
			return cli_fail(CLI_USAGE, "cannot use '%s': %s", dir, strerror(errno));
	} else {
		snprintf(base, sizeof(base), "/tmp/provfs-demo.XXXXXX");
		if (!mkdtemp(base))
			return cli_fail(CLI_USAGE, "cannot create a work directory: %s",
					strerror(errno));
	}
	snprintf(src, sizeof(src), "%s/src", base);
	snprintf(store, sizeof(store), "%s/store", base);
	if (mkdir_p(src, 0755) < 0)
		return cli_fail(CLI_USAGE, "cannot create directories in '%s'", base);
	for (size_t i = 0; i < sizeof(demo_files) / sizeof(demo_files[0]); i++)
		if (write_text(src, demo_files[i].name, demo_files[i].text) < 0)
			return cli_fail(CLI_USAGE, "cannot write the sample project in '%s'", src);

	printf("== provfs demo in %s\n== provfs run -- sh -c 'make && ./hello'   (workspace %s)\n",
	       base, src);
	fflush(stdout);
	{
		char manifest[PATH_MAX + 32], pub[PATH_MAX + 32], prog[PATH_MAX + 16];
		char *argv_run[] = {self, "run", "--store", store, "--workspace", src, "--out",
				    manifest, "--", "sh", "-c", "make && ./hello", NULL};
		char *argv_show[] = {self, "show", manifest, NULL};
		char *argv_verify[] = {self, "verify", "--key", pub, "--store", store, manifest,
				       prog, NULL};
		char *argv_fsck[] = {self, "store", "--store", store, "fsck", NULL};

		snprintf(manifest, sizeof(manifest), "%s/manifest.intoto.json", base);
		snprintf(pub, sizeof(pub), "%s/keys/provfs.pub", store);
		snprintf(prog, sizeof(prog), "%s/hello", src);
		build_rc = run(argv_run, NULL);
		rc = 0;
		printf("== provfs show %s\n", manifest);
		fflush(stdout);
		if (run(argv_show, NULL) != 0)
			rc = CLI_FAILED;
		printf("== provfs verify\n");
		fflush(stdout);
		if (run(argv_verify, NULL) != 0)
			rc = CLI_FAILED;
		printf("== provfs store fsck\n");
		fflush(stdout);
		if (run(argv_fsck, NULL) != 0)
			rc = CLI_FAILED;
	}
	if (!keep && !dir) {
		char *argv_rm[] = {"rm", "-rf", base, NULL};

		run(argv_rm, NULL);
	} else {
		printf("== kept %s\n", base);
	}
	if (build_rc != 0)
		return cli_fail(CLI_FAILED, "the sample build failed (exit %d)", build_rc);
	return rc == 0 ? CLI_OK : CLI_FAILED;
}
