/*
 * make_test_log: writes a real provfs access log (through the accesslog
 * writer API, the same one the FUSE daemon uses) describing a synthetic
 * build, for tests and benchmarks that must not depend on FUSE.
 *
 *   make_test_log LOG WORKSPACE [N_INPUTS] [ROOT PATH...]
 *
 * Creates WORKSPACE/src/input-NNNNN.c (N_INPUTS files, default 3) and
 * WORKSPACE/out/hello.txt and out/app.bin, and logs: mount "workspace"
 * (read-write, backing WORKSPACE), one process ("make -j2", cwd WORKSPACE)
 * and a child ("cc"), a read of every input with its digest, the creation
 * of both outputs with their digests, and a probe of a missing header.
 * With ROOT and PATHs, also a read-only mount "root" backed by ROOT whose
 * listed absolute PATHs are logged as read.  Exits 0 or 1 with a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accesslog.h"
#include "digest.h"
#include "util.h"

static int write_file(const char *dir, const char *rel, const char *text, char hex[65])
{
	char *path = path_join(dir, rel);
	uint8_t raw[DIGEST_LEN];
	int fd;

	if (!path)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	free(path);
	if (fd < 0)
		return -errno;
	if (write_full(fd, text, strlen(text)) || close(fd))
		return -EIO;
	digest_buffer(text, strlen(text), raw);
	hex_encode(raw, DIGEST_LEN, hex);
	return 0;
}

static void log_file(struct alog *log, int64_t proc, const char *op, const char *path,
		     int64_t flags, const char *hex, int64_t t)
{
	struct alog_access a = { .time_ns = t, .process = proc, .op = op, .path = path,
				 .flags = flags, .size = -1, .digest_after = hex };

	alog_access(log, &a);
}

static int log_root(const char *logpath, const char *root, char **paths, int n)
{
	struct alog_mount_info mi = { .label = "root", .backing = root, .mountpoint = "/tmp/env",
				      .readonly = 1 };
	struct alog *log;
	int ret = alog_open(logpath, &mi, &log);

	if (ret)
		return ret;
	for (int i = 0; i < n; i++) {
		char *full = path_join(root, paths[i]);
		uint8_t raw[DIGEST_LEN];
		char hex[DIGEST_HEX_LEN + 1];

		if (!full || digest_file_at(AT_FDCWD, full, raw, NULL)) {
			fprintf(stderr, "make_test_log: cannot hash '%s'\n", full ? full : paths[i]);
			free(full);
			alog_close(log, "clean");
			return -EIO;
		}
		free(full);
		hex_encode(raw, DIGEST_LEN, hex);
		log_file(log, 0, ALOG_OP_OPEN, paths[i], O_RDONLY, hex, time_now_ns());
	}
	return alog_close(log, "clean");
}

int main(int argc, char **argv)
{
	struct alog_mount_info mi = { .label = "workspace", .mountpoint = "/tmp/ws", .readonly = 0 };
	struct alog_process make = { .pid = 100, .ppid = 1, .exe = "/usr/bin/make",
				     .argv_json = "[\"make\",\"-j2\"]", .start_ns = 1 };
	struct alog_process cc = { .pid = 101, .ppid = 100, .exe = "/usr/bin/cc",
				   .argv_json = "[\"cc\",\"-o\",\"out/app.bin\",\"src/input-00000.c\"]" };
	char hex[DIGEST_HEX_LEN + 1], rel[64], text[128];
	struct alog *log;
	int64_t pmake, pcc, t;
	long n = 3;
	int ret;

	if (argc < 3) {
		fprintf(stderr, "usage: make_test_log LOG WORKSPACE [N_INPUTS] [ROOT PATH...]\n");
		return 1;
	}
	if (argc > 3)
		n = strtol(argv[3], NULL, 10);
	mi.backing = argv[2];
	make.cwd = argv[2];
	cc.cwd = argv[2];
	if (mkdir_p(argv[2], 0755))
		return 1;
	{
		char *src = path_join(argv[2], "src"), *out = path_join(argv[2], "out");

		if (!src || !out || mkdir_p(src, 0755) || mkdir_p(out, 0755))
			return 1;
		free(src);
		free(out);
	}
	ret = alog_open(argv[1], &mi, &log);
	if (ret) {
		fprintf(stderr, "make_test_log: cannot open log '%s': %s\n", argv[1], strerror(-ret));
		return 1;
	}
	pmake = alog_process_id(log);
	alog_process(log, pmake, &make);
	pcc = alog_process_id(log);
	alog_process(log, pcc, &cc);
	t = time_now_ns();
	for (long i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "src/input-%05ld.c", i);
		snprintf(text, sizeof(text), "int input_%ld(void) { return %ld; }\n", i, i);
		if (write_file(argv[2], rel, text, hex))
			return 1;
		snprintf(rel, sizeof(rel), "/src/input-%05ld.c", i);
		log_file(log, pcc, ALOG_OP_OPEN, rel, O_RDONLY, hex, t++);
	}
	log_file(log, pcc, ALOG_OP_PROBE, "/include/missing.h", 0, NULL, t++);
	if (write_file(argv[2], "out/hello.txt", "hello world\n", hex))
		return 1;
	log_file(log, pmake, ALOG_OP_CREATE, "/out/hello.txt", O_WRONLY | O_CREAT, NULL, t++);
	log_file(log, pmake, ALOG_OP_CLOSE_WRITE, "/out/hello.txt", 0, hex, t++);
	snprintf(text, sizeof(text), "binary built from %ld inputs\n", n);
	if (write_file(argv[2], "out/app.bin", text, hex))
		return 1;
	log_file(log, pcc, ALOG_OP_CREATE, "/out/app.bin", O_WRONLY | O_CREAT, NULL, t++);
	log_file(log, pcc, ALOG_OP_CLOSE_WRITE, "/out/app.bin", 0, hex, t++);
	ret = alog_close(log, "clean");
	if (ret) {
		fprintf(stderr, "make_test_log: cannot write log: %s\n", strerror(-ret));
		return 1;
	}
	if (argc > 5 && log_root(argv[1], argv[4], argv + 5, argc - 5))
		return 1;
	return 0;
}
