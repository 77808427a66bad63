#include "mountstate.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "util.h"

static char *state_path(const char *abs_mountpoint)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	uint8_t raw[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1], dir[PATH_MAX], *out;

	if (geteuid() == 0 || !xdg || !*xdg)
		snprintf(dir, sizeof(dir), "/run/provfs");
	else
		snprintf(dir, sizeof(dir), "%s/provfs", xdg);
	if (mkdir_p(dir, 0700) < 0)
		return NULL;
	digest_buffer(abs_mountpoint, strlen(abs_mountpoint), raw);
	hex_encode(raw, DIGEST_LEN, hex);
	if (asprintf(&out, "%s/mount-%.32s", dir, hex) < 0)
		return NULL;
	return out;
}

char *mountstate_abspath(const char *mountpoint)
{
	char *copy1, *copy2, *parent, *out = NULL;
	char resolved[PATH_MAX];
	unsigned int ma, mi;

	/* The parent resolved, and the mount point's name: a FUSE mount
	 * cannot be stat'ed when its daemon is dead (ENOTCONN), and a stat
	 * waits for ever on one that is stopped. */
	copy1 = strdup(mountpoint);
	copy2 = strdup(mountpoint);
	if (copy1 && copy2 && realpath(dirname(copy1), resolved)) {
		parent = resolved;
		if (asprintf(&out, "%s/%s", strcmp(parent, "/") ? parent : "", basename(copy2)) < 0)
			out = NULL;
	}
	free(copy1);
	free(copy2);
	/* Unless that is no mount point (it is a symlink to one, or "."):
	 * then the whole path, resolved. */
	if (out && mountinfo_find(out, &ma, &mi, NULL, 0) != 1 && realpath(mountpoint, resolved)) {
		free(out);
		out = strdup(resolved);
	}
	return out;
}

int mountstate_write(const char *abs_mountpoint, pid_t pid, const char *log_path)
{
	char *path = state_path(abs_mountpoint);
	FILE *f;
	int ret = 0;

	if (!path)
		return -errno;
	f = fopen(path, "we");
	if (!f) {
		ret = -errno;
	} else {
		fprintf(f, "%d\n%s\n", (int)pid, log_path);
		if (fclose(f) != 0)
			ret = -errno;
	}
	free(path);
	return ret;
}

int mountstate_read(const char *abs_mountpoint, pid_t *pid, char **log_path)
{
	char *path = state_path(abs_mountpoint);
	char line[PATH_MAX + 16];
	FILE *f;
	int ret = 0;

	if (!path)
		return -errno;
	f = fopen(path, "re");
	free(path);
	if (!f)
		return -errno;
	*log_path = NULL;
	if (!fgets(line, sizeof(line), f) || sscanf(line, "%d", pid) != 1) {
		ret = -EBADMSG;
	} else if (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		*log_path = strdup(line);
	}
	fclose(f);
	return ret;
}

void mountstate_remove(const char *abs_mountpoint)
{
	char *path = state_path(abs_mountpoint);

	if (path)
		unlink(path);
	free(path);
}
