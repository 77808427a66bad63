/* provfs env: environments as code (import, build, ls, show). */
#include <ctype.h>
#include <sched.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cas.h"
#include "cli.h"
#include "envclean.h"
#include "envfacts.h"
#include "envstore.h"
#include "sandbox.h"
#include "util.h"

static const char env_usage[] =
	"usage: provfs env [--store DIR] [--json] [-q] <subcommand> [args]\n"
	"\n"
	"subcommands:\n"
	"  import DIR|TARBALL [--name NAME]\n"
	"                 store a root filesystem as a tree; print its digest\n"
	"  build FILE     build an environment from a definition file (base: a\n"
	"                 directory, a rootfs tarball or debootstrap of a Debian\n"
	"                 suite; packages; setup commands), import it, print its\n"
	"                 digest (format: docs/environments.md).  Its setup\n"
	"                 commands run as root in a chroot, not in a sandbox:\n"
	"                 build only definitions you would run as root\n"
	"  ls             list the environments in the store\n"
	"  show ENV       packages, size and files of an environment (ENV: digest,\n"
	"                 unique digest prefix, or name)\n"
	"\n"
	"options:\n"
	"  --store DIR    the store (default $PROVFS_STORE or " CLI_DEFAULT_STORE ")\n"
	"  --name NAME    (import) a name for the environment\n"
	"  --json         machine-readable output\n"
	"  -q, --quiet    no progress messages\n"
	"  -h, --help     show this help\n";

struct env_opts {
	const char *store;
	const char *name;
	int json, quiet;
};

/* Runs a helper program, its output on our stderr (our stdout carries
 * only the digest); 0, -errno, or -EIO after saying what failed. */
static int run_argv(char *const argv[], const char *what)
{
	/* umask 022: the same modes whoever builds it (tar and cp make the
	 * directories a tarball or tree does not list with it) */
	int st = cli_spawn(argv, NULL, CLI_SPAWN_STDOUT_TO_STDERR | CLI_SPAWN_REPORT |
					       CLI_SPAWN_UMASK022 | CLI_SPAWN_GROUP);

	if (st <= 0)
		return st;
	cli_warn("%s failed (exit %d)", what, st);
	return -EIO;
}

static int print_digest(const struct env_opts *o, const char *hex, const struct tree_stats *st)
{
	if (o->json)
		printf("{\"bytes\":%llu,\"digest\":\"%s\",\"files\":%llu}\n",
		       (unsigned long long)st->bytes, hex, (unsigned long long)st->files);
	else
		printf("%s\n", hex);
	return CLI_OK;
}

static int do_import(const struct env_opts *o, const char *src)
{
	struct tree_stats st;
	char hex[DIGEST_HEX_LEN + 1];
	struct stat sb;
	int ret;

	if (stat(src, &sb) < 0)
		return cli_fail(CLI_USAGE, "cannot import '%s': %s", src, strerror(errno));
	/* A device would unpack as an empty root, a FIFO block for ever. */
	if (!S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode))
		return cli_fail(CLI_USAGE, "cannot import '%s': neither a directory nor a tarball "
				"(a regular file)", src);
	if (!o->quiet)
		fprintf(stderr, "provfs: importing %s\n", src);
	ret = envstore_import(o->store, src, !S_ISDIR(sb.st_mode), o->name, o->quiet, hex, &st);
	if (ret == ENVSTORE_UNPACK_FAILED)
		return cli_fail(CLI_USAGE, "cannot import '%s': tar could not unpack it (see its "
				"messages above); nothing was stored", src);
	if (ret < 0)
		return cli_fail(CLI_USAGE, "cannot import '%s': %s", src, strerror(-ret));
	return print_digest(o, hex, &st);
}

/* ---- definition files ---- */

struct env_def {
	char *name;
	char *base_kind;  /* debootstrap, dir, tarball */
	char *base_arg;   /* suite, directory or tarball */
	char *variant;
	char *mirror;
	char *packages;   /* space separated */
	char **run;
	size_t n_run;
};

static void def_free(struct env_def *d)
{
	free(d->name);
	free(d->base_kind);
	free(d->base_arg);
	free(d->variant);
	free(d->mirror);
	free(d->packages);
	for (size_t i = 0; i < d->n_run; i++)
		free(d->run[i]);
	free(d->run);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Each of the space separated words of val a package as apt and debootstrap
 * take one: NAME, NAME=VERSION, NAME:ARCH, NAME/RELEASE (letters, digits
 * and + - . ~ : = / _, not starting with '-').  They reach apt-get through a
 * shell: nothing else may pass.  0, or the error said. */
static int check_packages(const char *file, int lineno, const char *val)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "0123456789+-.~:=/_";

	for (const char *p = val; *p;) {
		size_t n = strcspn(p, " \t"), good = strspn(p, ok);

		if (n && (good < n || *p == '-'))
			return cli_fail(CLI_USAGE, "%s:%d: '%.*s' is no package name (packages: NAME, "
					"NAME=VERSION, NAME:ARCH or NAME/RELEASE; no comment after "
					"them)", file, lineno, (int)n, p);
		p += n;
		p += strspn(p, " \t");
	}
	return 0;
}

static int def_parse(const char *file, struct env_def *d)
{
	char *text, *line, *next;
	int lineno = 0, ret = 0;
	size_t len;

	memset(d, 0, sizeof(*d));
	ret = file_read_all(file, 1 << 20, &text, &len);
	if (ret < 0)
		return cli_fail(CLI_USAGE, "cannot read definition '%s': %s", file, strerror(-ret));
	if (memchr(text, '\0', len)) {
		free(text);
		return cli_fail(CLI_USAGE, "%s: has a NUL byte: no definition file", file);
	}
	/* A UTF-8 byte order mark (an editor's) is no part of the first key. */
	line = len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3) ? text + 3 : text;
	for (; line && *line && ret == 0; line = next) {
		char *eq, *key, *val;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		line = trim(line);
		if (!*line || *line == '#')
			continue;
		eq = strchr(line, '=');
		if (!eq) {
			ret = cli_fail(CLI_USAGE, "%s:%d: expected 'key = value'", file, lineno);
			break;
		}
		*eq = '\0';
		key = trim(line);
		val = trim(eq + 1);
		if (!strcmp(key, "name")) {
			free(d->name);
			d->name = strdup(val);
		} else if (!strcmp(key, "base")) {
			char *sp = val + strcspn(val, " \t");

			if (*sp)
				*sp++ = '\0';
			sp = trim(sp);
			if ((strcmp(val, "debootstrap") && strcmp(val, "dir") && strcmp(val, "tarball")) ||
			    !*sp) {
				ret = cli_fail(CLI_USAGE,
					       "%s:%d: base must be 'debootstrap SUITE', 'dir PATH' or "
					       "'tarball PATH'", file, lineno);
				break;
			}
			if (!strcmp(val, "debootstrap") && (sp[0] == '-' || strpbrk(sp, " \t"))) {
				ret = cli_fail(CLI_USAGE, "%s:%d: '%s' is no Debian suite (one word, "
					       "not an option: bookworm, stable)", file, lineno, sp);
				break;
			}
			free(d->base_kind);
			free(d->base_arg);
			d->base_kind = strdup(val);
			d->base_arg = strdup(sp);
		} else if (!strcmp(key, "variant") || !strcmp(key, "mirror")) {
			char **field = !strcmp(key, "variant") ? &d->variant : &d->mirror;

			/* Words of debootstrap's command line: no option. */
			if (val[0] == '-' || !val[0] || strpbrk(val, " \t")) {
				ret = cli_fail(CLI_USAGE, "%s:%d: '%s' is no %s (one word, not an "
					       "option)", file, lineno, val, key);
				break;
			}
			free(*field);
			*field = strdup(val);
		} else if (!strcmp(key, "packages")) {
			char *joined;

			for (char *c = val; *c; c++)
				if (*c == ',')
					*c = ' ';
			ret = check_packages(file, lineno, val);
			if (ret)
				break;
			if (asprintf(&joined, "%s %s", d->packages ? d->packages : "", val) < 0)
				joined = NULL;
			free(d->packages);
			d->packages = joined;
		} else if (!strcmp(key, "run")) {
			char **grown = realloc(d->run, (d->n_run + 1) * sizeof(*grown));

			if (grown) {
				d->run = grown;
				d->run[d->n_run++] = strdup(val);
			}
		} else {
			ret = cli_fail(CLI_USAGE, "%s:%d: unknown key '%s' (name, base, variant, "
					"mirror, packages, run)", file, lineno, key);
		}
	}
	free(text);
	if (ret == 0 && !d->base_kind)
		ret = cli_fail(CLI_USAGE, "%s: no 'base' given", file);
	if (ret == 0 && strcmp(d->base_kind, "debootstrap") && (d->variant || d->mirror))
		ret = cli_fail(CLI_USAGE, "%s: 'variant' and 'mirror' only go with a debootstrap base",
			       file);
	if (ret != 0)
		def_free(d);
	return ret;
}

/* The first Debian mirror the host's apt configuration names. */
static char *host_mirror(void)
{
	static const char *const files[] = {"/etc/apt/sources.list.d/debian.sources",
					    "/etc/apt/sources.list"};

	for (size_t i = 0; i < 2; i++) {
		char *text, *line, *save = NULL;
		size_t len;

		if (file_read_all(files[i], 1 << 20, &text, &len) < 0)
			continue;
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char url[512];

			/* deb [signed-by=... arch=...] URL SUITE ... */
			if (!strncmp(line, "deb ", 4) && strchr(line, '[') &&
			    strchr(line, '[') < strchr(line, ']')) {
				char *close = strchr(line, ']');

				memmove(line + 4, close + 1, strlen(close + 1) + 1);
			}
			if ((sscanf(line, "URIs: %511s", url) == 1 || sscanf(line, "deb %511s", url) == 1) &&
			    strstr(url, "/debian") && !strstr(url, "security")) {
				free(text);
				return strdup(url);
			}
		}
		free(text);
	}
	return strdup("http://deb.debian.org/debian");
}

/* In chroot_sh's child: the setup command's namespace's first process
 * (its init: when it dies, the kernel kills every process left in it),
 * killed in turn if its parent dies. */
static void setup_init(const char *root, const char *proc, const char *dev, const char *cmd)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (mount("proc", proc, "proc", 0, NULL) < 0 ||
	    mount("/dev", dev, NULL, MS_BIND | MS_REC, NULL) < 0) {
		fprintf(stderr, "provfs: cannot mount the setup command's /proc and /dev in '%s': "
			"%s\n", root, strerror(errno));
		_exit(125);
	}
	sandbox_lend_resolv(root, 1);
	if (chroot(root) < 0 || chdir("/") < 0) {
		fprintf(stderr, "provfs: cannot enter '%s': %s\n", root, strerror(errno));
		_exit(125);
	}
	setenv("DEBIAN_FRONTEND", "noninteractive", 1);
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	execl("/bin/sh", "sh", "-ec", cmd, (char *)NULL);
	_exit(127);
}

/* Runs a shell command chrooted into root with /proc and /dev available,
 * in a PID namespace of its own: nothing it starts outlives provfs, even
 * killed with SIGKILL (the namespace's init has PR_SET_PDEATHSIG, and so
 * has its parent; a catchable signal kills the process group first). */
static int chroot_sh(const char *root, const char *cmd)
{
	static const char *const points[] = {"proc", "dev"};
	char proc[PATH_MAX + 8], dev[PATH_MAX + 8];
	pid_t pid, self = getpid();
	struct stat st_point;
	int st;

	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(dev, sizeof(dev), "%s/dev", root);
	for (size_t i = 0; i < 2; i++) {
		if (stat(i ? dev : proc, &st_point) < 0 || !S_ISDIR(st_point.st_mode)) {
			fprintf(stderr, "provfs: the environment has no /%s directory to mount the "
				"setup commands' /%s on: make it in the base (mkdir %s)\n",
				points[i], points[i], points[i]);
			return -EIO;
		}
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	cli_child_group(pid); /* killed with us: no setup command outlives us */
	if (pid == 0) {
		pid_t init;

		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		umask(022); /* the same modes whoever builds it */
		dup2(2, 1);
		/* Nothing to read: what the caller's standard input holds (a
		 * loop's next lines, a terminal) is no part of the definition. */
		if (null >= 0)
			dup2(null, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != self)
			_exit(125);
		if (unshare(CLONE_NEWNS | CLONE_NEWPID) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
			fprintf(stderr, "provfs: cannot enter '%s': %s\n", root, strerror(errno));
			_exit(125);
		}
		init = fork();
		if (init < 0) {
			fprintf(stderr, "provfs: cannot start a setup command: %s\n", strerror(errno));
			_exit(125);
		}
		if (init == 0)
			setup_init(root, proc, dev, cmd);
		while (waitpid(init, &st, 0) < 0) {
			if (errno != EINTR)
				_exit(125);
		}
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	st = cli_spawn_wait(pid);
	return st < 0 ? st : st == 0 ? 0 : -EIO;
}

/* apt-get install of packages (words checked by def_parse) in root. */
static int install_packages(const char *root, const char *packages)
{
	char *cmd;
	int ret;

	if (asprintf(&cmd, "apt-get update -qq && apt-get install -y -qq %s", packages) < 0)
		return -ENOMEM;
	ret = chroot_sh(root, cmd);
	free(cmd);
	return ret;
}

static int do_build(const struct env_opts *o, const char *file)
{
	struct env_def d;
	struct tree_stats st;
	char staging[PATH_MAX + 32], cache[PATH_MAX + 64], hex[DIGEST_HEX_LEN + 1];
	long first_day = envclean_today();
	int ret, ret2, held;

	ret = def_parse(file, &d);
	if (ret != 0)
		return ret;
	if (cas_make_root(o->store) < 0) {
		def_free(&d);
		return cli_fail(CLI_USAGE, "cannot use store '%s': %s", o->store, strerror(errno));
	}
	ret = envstore_staging_make(o->store, "envbuild", staging, sizeof(staging), &held);
	if (ret < 0) {
		def_free(&d);
		return cli_fail(CLI_USAGE, "cannot create a staging directory in '%s/tmp': %s",
				o->store, strerror(-ret));
	}
	chmod(staging, 0755);
	if (!strcmp(d.base_kind, "debootstrap")) {
		char *variant = NULL, *include = NULL;
		char *mirror = d.mirror ? strdup(d.mirror) : host_mirror();
		char *argv[10], *plain = NULL, *pinned = NULL, *save = NULL, *words;
		int n = 0, oom = 0;

		/* debootstrap's --include takes names only: NAME=VERSION,
		 * NAME:ARCH and NAME/RELEASE are installed with apt-get once
		 * the root is made, as for the other bases. */
		words = d.packages ? strdup(d.packages) : NULL;
		oom = d.packages && !words;
		for (char *w = words ? strtok_r(words, " \t", &save) : NULL; w;
		     w = strtok_r(NULL, " \t", &save)) {
			/* (--include=A,B; apt-get install A B) */
			char **to = strpbrk(w, "=:/") ? &pinned : &plain, *joined;
			const char *sep = !*to ? "" : to == &plain ? "," : " ";

			if (asprintf(&joined, "%s%s%s", *to ? *to : "", sep, w) < 0) {
				oom = 1;
				break;
			}
			free(*to);
			*to = joined;
		}
		free(words);

		if (asprintf(&variant, "--variant=%s", d.variant ? d.variant : "minbase") < 0)
			variant = NULL;
		snprintf(cache, sizeof(cache), "--cache-dir=%s/cache/debootstrap", o->store);
		mkdir_p(cache + strlen("--cache-dir="), 0755);
		argv[n++] = "debootstrap";
		argv[n++] = variant;
		argv[n++] = cache;
		if (plain) {
			if (asprintf(&include, "--include=%s", plain) < 0)
				include = NULL;
			argv[n++] = include;
		}
		argv[n++] = d.base_arg;
		argv[n++] = staging;
		argv[n++] = mirror;
		argv[n] = NULL;
		if (!variant || !mirror || oom || (plain && !include)) {
			ret = -ENOMEM;
		} else {
			if (!o->quiet)
				fprintf(stderr, "provfs: debootstrap %s %s from %s\n", variant,
					d.base_arg, mirror);
			ret = run_argv(argv, "debootstrap");
		}
		if (ret == 0 && pinned)
			ret = install_packages(staging, pinned);
		free(variant);
		free(include);
		free(mirror);
		free(plain);
		free(pinned);
	} else {
		char src[PATH_MAX + 8];
		char *cp[] = {"cp", "-a", src, staging, NULL};
		char *tar[] = {"tar", "--force-local", "-xpf", d.base_arg, "-C", staging,
			       "--numeric-owner", NULL};

		snprintf(src, sizeof(src), "%s/.", d.base_arg);
		ret = !strcmp(d.base_kind, "dir") ? run_argv(cp, "copying the base directory")
						  : run_argv(tar, "unpacking the base tarball");
		if (ret == 0 && d.packages && *trim(d.packages))
			ret = install_packages(staging, d.packages);
	}
	for (size_t i = 0; ret == 0 && i < d.n_run; i++) {
		if (!o->quiet)
			fprintf(stderr, "provfs: run: %s\n", d.run[i]);
		ret = chroot_sh(staging, d.run[i]);
		if (ret < 0)
			cli_warn("setup command failed: %s", d.run[i]);
	}
	if (ret == 0)
		ret = envclean_run(staging, first_day, envclean_today());
	if (ret == 0) {
		struct tree_options topt = {.store_files = 1, .one_fs = 1};
		struct cas *cas;

		ret = cas_open(o->store, 1, &cas);
		if (ret == 0) {
			ret = tree_snapshot(cas, staging, &topt, hex, &st);
			cas_close(cas);
		}
		if (ret == 0)
			ret = envstore_write_meta(o->store, hex, d.name, file, &st);
	}
	ret2 = envstore_staging_drop(staging, held);
	if (ret2 < 0)
		cli_warn("cannot remove the staging directory '%s': %s", staging, strerror(-ret2));
	def_free(&d);
	if (ret < 0)
		return cli_fail(CLI_USAGE, "cannot build the environment from '%s'%s%s", file,
				ret == -EIO ? "" : ": ", ret == -EIO ? "" : strerror(-ret));
	return print_digest(o, hex, &st);
}

static int do_ls(const struct env_opts *o)
{
	char path[PATH_MAX + 8];
	json_t *all = json_array();
	struct dirent **names = NULL;
	int n;

	snprintf(path, sizeof(path), "%s/envs", o->store);
	n = scandir(path, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		size_t len = strlen(nm);

		if (len == DIGEST_HEX_LEN + 5 && !strcmp(nm + DIGEST_HEX_LEN, ".json")) {
			char mpath[PATH_MAX + 300];
			json_t *meta;

			json_error_t jerr;

			snprintf(mpath, sizeof(mpath), "%s/%s", path, nm);
			meta = json_load_file(mpath, 0, &jerr);
			if (!json_is_object(meta)) {
				cli_warn("cannot read the record %s: %s", mpath,
					 meta ? "not a JSON object" : jerr.text);
				json_decref(meta);
				meta = json_object();
			}
			/* The file's name is the environment's digest,
			 * whatever the record says. */
			json_object_set_new(meta, "digest", json_stringn(nm, DIGEST_HEX_LEN));
			json_array_append_new(all, meta);
		}
		free(names[i]);
	}
	free(names);
	if (o->json) {
		cli_print_json(json_incref(all));
	} else {
		size_t i;
		json_t *m;

		printf("%-64s  %-20s %8s %10s  %s\n", "DIGEST", "NAME", "FILES", "MIB", "CREATED");
		json_array_foreach(all, i, m) {
			const char *name = json_string_value(json_object_get(m, "name"));
			const char *created = json_string_value(json_object_get(m, "created"));
			char names[256];
			size_t k, used;
			json_t *e;

			/* Its name, then the names it was given before
			 * (as recorded: percent-encoded where not UTF-8). */
			used = (size_t)snprintf(names, sizeof(names), "%s", name ? name : "");
			json_array_foreach(json_object_get(m, "earlier"), k, e) {
				const char *en = json_string_value(json_object_get(e, "name"));

				if (en && used < sizeof(names))
					used += (size_t)snprintf(names + used, sizeof(names) - used,
								 "%s%s", used ? "," : "", en);
			}
			printf("%-64s  %-20s %8lld %10.1f  %s\n",
			       json_string_value(json_object_get(m, "digest")), names,
			       (long long)json_integer_value(json_object_get(m, "files")),
			       (double)json_integer_value(json_object_get(m, "bytes")) / 1048576.0,
			       created ? created : "?");
		}
	}
	json_decref(all);
	return CLI_OK;
}

struct find_status {
	char digest[DIGEST_HEX_LEN + 1];
	uint64_t files, bytes;
};

static int find_status(void *arg, const struct tree_entry *e)
{
	struct find_status *f = arg;

	if (e->type == 'f') {
		f->files++;
		f->bytes += e->size;
		if (!strcmp(e->path, "var/lib/dpkg/status"))
			memcpy(f->digest, e->digest, sizeof(f->digest));
	}
	return 0;
}

static int do_show(const struct env_opts *o, const char *what)
{
	struct find_status fs;
	struct envfacts facts = {0};
	char hex[DIGEST_HEX_LEN + 1], *text = NULL, *status = NULL;
	size_t len;
	struct cas *cas;
	int ret;

	memset(&fs, 0, sizeof(fs));
	ret = envstore_resolve(o->store, what, hex);
	if (ret == -EEXIST)
		return cli_fail(CLI_USAGE, "'%s' matches several environments; give more digits", what);
	if (ret < 0)
		return cli_fail(CLI_USAGE, "no environment '%s' in store '%s'", what, o->store);
	ret = cas_open(o->store, 0, &cas);
	if (ret < 0)
		return cli_fail(CLI_USAGE, "cannot open store '%s': %s", o->store, strerror(-ret));
	ret = cas_read_object(cas, hex, (size_t)1 << 30, &text, &len);
	if (ret == 0)
		ret = tree_parse(text, len, find_status, &fs);
	if (ret == 0 && fs.digest[0] &&
	    cas_read_object(cas, fs.digest, (size_t)1 << 28, &status, &len) == 0)
		envfacts_parse_dpkg_status(status, &facts);
	cas_close(cas);
	free(text);
	free(status);
	if (ret < 0) {
		envfacts_free(&facts);
		return cli_fail(CLI_FAILED, "environment %s is %s", hex,
				ret == -ENOENT ? "missing from the store" : "corrupt in the store");
	}
	if (o->json) {
		json_t *pk = json_array();

		for (size_t i = 0; i < facts.n_packages; i++)
			json_array_append_new(pk, json_pack("{s:s, s:s, s:s}", "name",
							    facts.packages[i].name, "version",
							    facts.packages[i].version, "arch",
							    facts.packages[i].arch));
		cli_print_json(json_pack("{s:s, s:I, s:I, s:o}", "digest", hex, "files",
					 (json_int_t)fs.files, "bytes", (json_int_t)fs.bytes,
					 "packages", pk));
	} else {
		printf("environment %s\n  files: %llu, %.1f MiB\n  packages: %zu\n", hex,
		       (unsigned long long)fs.files, (double)fs.bytes / 1048576.0, facts.n_packages);
		for (size_t i = 0; i < facts.n_packages; i++)
			printf("    %-40s %s %s\n", facts.packages[i].name, facts.packages[i].version,
			       facts.packages[i].arch);
	}
	envfacts_free(&facts);
	return CLI_OK;
}

int cmd_env(int argc, char **argv)
{
	static const struct option opts[] = {
		{"store", required_argument, NULL, 's'},
		{"name", required_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct env_opts o = {0};
	const char *store_opt = NULL, *sub;
	char store[PATH_MAX];
	int c;

	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 's': store_opt = optarg; break;
		case 'n': o.name = optarg; break;
		case 'j': o.json = 1; cli_json_mode(); break;
		case 'q': o.quiet = 1; break;
		case 'h': fputs(env_usage, stdout); return CLI_OK;
		default: return cli_bad_option("env");
		}
	}
	if (optind >= argc)
		return cli_usage_error("env", "expected a subcommand");
	sub = argv[optind++];
	if (cas_make_root(cli_store_dir(store_opt)) < 0 || !realpath(cli_store_dir(store_opt), store))
		return cli_fail(CLI_USAGE, "cannot use store '%s': %s", cli_store_dir(store_opt),
				strerror(errno));
	o.store = store;
	if (!strcmp(sub, "ls"))
		return argc == optind ? do_ls(&o) : cli_usage_error("env", "'ls' takes no argument");
	if (argc - optind != 1)
		return cli_usage_error("env", "'%s' takes one argument", sub);
	if (!strcmp(sub, "import") || !strcmp(sub, "build")) {
		/* Held throughout: store gc must not run between the tree's
		 * objects being stored and envs/HEX.json naming them, nor
		 * clear the staging directory in tmp/. */
		int lock = cli_store_lock(store, o.quiet), ret;

		if (lock < 0)
			return CLI_USAGE;
		ret = !strcmp(sub, "import") ? do_import(&o, argv[optind])
					     : do_build(&o, argv[optind]);
		close(lock);
		return ret;
	}
	if (!strcmp(sub, "show"))
		return do_show(&o, argv[optind]);
	return cli_usage_error("env", "unknown subcommand '%s'", sub);
}
