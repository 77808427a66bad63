/*
 * Unit tests for fs/cas (the content-addressed store) and fs/tree (a
 * directory snapshot as one canonical object).  Every test gets a fresh
 * store in a mkdtemp directory; nothing is mocked.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cas.h"
#include "digest.h"
#include "tree.h"
#include "util.h"

#define SHA256_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct fixture {
	char dir[64];    /* mkdtemp directory holding everything */
	char *root;      /* dir/store */
	char *work;      /* dir/work: files to put, trees to snapshot */
	struct cas *cas; /* opened on root with create */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/provfs-test-cas.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	/* Other users must reach the store for the permission tests. */
	chmod(f->dir, 0755);
	f->root = path_join(f->dir, "store");
	f->work = path_join(f->dir, "work");
	if (!f->root || !f->work || mkdir(f->work, 0755) < 0)
		return -1;
	if (cas_open(f->root, 1, &f->cas) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[256];

	cas_close(f->cas);
	snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s' && rm -rf '%s'", f->dir, f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f->root);
	free(f->work);
	free(f);
	return 0;
}

/* Creates (or replaces) work/rel with content; returns its malloc'd path. */
static char *write_work(struct fixture *f, const char *rel, const void *buf, size_t len)
{
	char *path = path_join(f->work, rel);
	int fd;

	assert_non_null(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write_full(fd, buf, len), 0);
	assert_int_equal(close(fd), 0);
	return path;
}

/* Number of entries (besides . and ..) in root/sub. */
static int count_entries(const char *root, const char *sub)
{
	char *path = path_join(root, sub);
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	free(path);
	return n;
}

static int tmp_entries(struct fixture *f)
{
	return count_entries(f->root, "tmp");
}

/* Overwrites the first byte of object hex in place. */
static void corrupt_object(struct fixture *f, const char *hex, char byte)
{
	char *path = cas_object_path(f->cas, hex);
	int fd;

	assert_non_null(path);
	assert_int_equal(chmod(path, 0644), 0);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &byte, 1, 0), 1);
	close(fd);
	free(path);
}

struct reports {
	int n;
	char what[8][16];
	char path[8][160];
};

static void collect(void *arg, const char *what, const char *path)
{
	struct reports *r = arg;

	if (r->n < 8) {
		snprintf(r->what[r->n], sizeof(r->what[0]), "%s", what);
		snprintf(r->path[r->n], sizeof(r->path[0]), "%s", path);
	}
	r->n++;
}

/* ---- opening ---- */

static void open_creates_the_layout(void **state)
{
	static const char *const subs[] = {"objects/sha256", "tmp", "logs", "builds", "keys"};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		char *p = path_join(f->root, subs[i]);
		struct stat st;

		assert_int_equal(stat(p, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		free(p);
	}
	assert_string_equal(cas_root(f->cas), f->root);
}

static void open_missing_store_without_create_is_enoent(void **state)
{
	struct fixture *f = *state;
	char *missing = path_join(f->dir, "nope");
	struct cas *cas = NULL;
	struct stat st;

	assert_int_equal(cas_open(missing, 0, &cas), -ENOENT);
	assert_null(cas);
	assert_int_equal(stat(missing, &st), -1); /* and nothing was created */
	assert_int_equal(cas_open(missing, 1, &cas), 0);
	assert_non_null(cas);
	cas_close(cas);
	free(missing);
}

static void open_store_under_a_file_is_enotdir(void **state)
{
	struct fixture *f = *state;
	char *file = write_work(f, "plain", "x", 1);
	struct cas *cas = NULL;

	assert_int_equal(cas_open(file, 1, &cas), -ENOTDIR);
	assert_int_equal(cas_open(file, 0, &cas), -ENOTDIR);
	assert_null(cas);
	free(file);
}

/* As an unprivileged user, a store whose tmp/ is not writable fails at
 * open when create is set, and opens for reading when it is not. */
static void open_unwritable_store_is_eacces(void **state)
{
	struct fixture *f = *state;
	char *tmp = path_join(f->root, "tmp");
	pid_t pid;
	int status;

	if (geteuid() != 0) {
		free(tmp);
		skip();
	}
	/* (a store made 0755, as before 2026-12-07: a new one is 0700) */
	assert_int_equal(chmod(f->root, 0755), 0);
	assert_int_equal(chmod(tmp, 0555), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct cas *cas = NULL;

		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		if (cas_open(f->root, 1, &cas) != -EACCES)
			_exit(11);
		if (cas_open(f->root, 0, &cas) != 0)
			_exit(12);
		cas_close(cas);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	chmod(tmp, 0755);
	free(tmp);
}

/* On a read-only bind mount (in a private mount namespace) the store
 * fails with -EROFS when create is set and still opens for reading. */
static void open_store_on_read_only_mount_is_erofs(void **state)
{
	struct fixture *f = *state;
	pid_t pid;
	int status;

	if (geteuid() != 0)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct cas *cas = NULL;

		if (unshare(CLONE_NEWNS) < 0)
			_exit(77);
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount(f->root, f->root, NULL, MS_BIND, NULL) < 0 ||
		    mount(NULL, f->root, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
			_exit(77);
		if (cas_open(f->root, 1, &cas) != -EROFS)
			_exit(11);
		if (cas_open(f->root, 0, &cas) != 0)
			_exit(12);
		cas_close(cas);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip(); /* no mount namespaces here */
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- putting ---- */

static void put_buffer_names_object_by_sha256(void **state)
{
	struct fixture *f = *state;
	char hex[DIGEST_HEX_LEN + 1];
	char *path, *want, *buf = NULL;
	struct stat st;
	size_t len = 0;

	assert_int_equal(cas_put_buffer(f->cas, "abc", 3, hex), 0);
	assert_string_equal(hex, SHA256_ABC);
	assert_true(cas_has(f->cas, hex));
	path = cas_object_path(f->cas, hex);
	assert_non_null(path);
	assert_true(asprintf(&want, "%s/objects/sha256/ba/%s", f->root, SHA256_ABC + 2) > 0);
	assert_string_equal(path, want);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0444); /* never modified afterwards */
	assert_int_equal(st.st_size, 3);
	assert_int_equal(file_read_all(path, 16, &buf, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(tmp_entries(f), 0);
	free(buf);
	free(want);
	free(path);
}

static void put_empty_buffer(void **state)
{
	struct fixture *f = *state;
	char hex[DIGEST_HEX_LEN + 1];
	char *buf = NULL;
	size_t len = 99;

	assert_int_equal(cas_put_buffer(f->cas, "", 0, hex), 0);
	assert_string_equal(hex, SHA256_EMPTY);
	assert_int_equal(cas_read_object(f->cas, hex, 0, &buf, &len), 0);
	assert_int_equal(len, 0);
	free(buf);
}

static void put_same_bytes_twice_dedups(void **state)
{
	struct fixture *f = *state;
	char a[DIGEST_HEX_LEN + 1], b[DIGEST_HEX_LEN + 1], c[DIGEST_HEX_LEN + 1];
	char *file = write_work(f, "same", "hello", 5);
	char *path;
	struct stat st1, st2;
	int fd;

	assert_int_equal(cas_put_buffer(f->cas, "hello", 5, a), 0);
	path = cas_object_path(f->cas, a);
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(cas_put_buffer(f->cas, "hello", 5, b), 0);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(cas_put_fd(f->cas, fd, NULL, c), 0);
	close(fd);
	assert_string_equal(a, b);
	assert_string_equal(a, c);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino); /* the first object stayed */
	assert_int_equal(count_entries(f->root, "objects/sha256"), 1);
	assert_int_equal(tmp_entries(f), 0);
	free(path);
	free(file);
}

static void put_fd_hashes_whole_file_from_offset_zero(void **state)
{
	struct fixture *f = *state;
	size_t len = (1u << 20) * 2 + 17; /* more than one copy buffer */
	char *data = malloc(len), *back = NULL, *file;
	char hex[DIGEST_HEX_LEN + 1], want[DIGEST_HEX_LEN + 1];
	uint8_t raw[DIGEST_LEN];
	size_t blen = 0;
	int fd;

	assert_non_null(data);
	for (size_t i = 0; i < len; i++)
		data[i] = (char)(i * 7 + (i >> 12));
	file = write_work(f, "big", data, len);
	assert_int_equal(digest_buffer(data, len, raw), 0);
	hex_encode(raw, DIGEST_LEN, want);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(lseek(fd, 100, SEEK_SET), 100); /* position is irrelevant */
	assert_int_equal(cas_put_fd(f->cas, fd, NULL, hex), 0);
	close(fd);
	assert_string_equal(hex, want);
	assert_int_equal(cas_read_object(f->cas, hex, len, &back, &blen), 0);
	assert_int_equal(blen, len);
	assert_memory_equal(back, data, len);
	assert_int_equal(cas_verify_object(f->cas, hex), 0);
	assert_int_equal(tmp_entries(f), 0);
	free(back);
	free(data);
	free(file);
}

/* With a known digest the bytes are copied, not hashed: the object is
 * named by the caller's digest. */
static void put_fd_with_known_digest(void **state)
{
	struct fixture *f = *state;
	char *file = write_work(f, "abc", "abc", 3);
	char hex[DIGEST_HEX_LEN + 1];
	uint8_t known[DIGEST_LEN];
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(hex_decode(SHA256_ABC, known, DIGEST_LEN), 0);
	assert_int_equal(cas_put_fd(f->cas, fd, known, hex), 0);
	assert_string_equal(hex, SHA256_ABC);
	assert_int_equal(cas_verify_object(f->cas, hex), 0);
	/* Known and already present: nothing more to do. */
	assert_int_equal(cas_put_fd(f->cas, fd, known, hex), 0);
	assert_string_equal(hex, SHA256_ABC);
	close(fd);
	assert_int_equal(tmp_entries(f), 0);
	free(file);
}

/* The store trusts a known digest; if the caller lied, the object is
 * corrupt by definition and fsck says so. */
static void put_fd_with_wrong_known_digest_is_caught_by_fsck(void **state)
{
	struct fixture *f = *state;
	char *file = write_work(f, "notabc", "xyz", 3);
	char hex[DIGEST_HEX_LEN + 1];
	uint8_t known[DIGEST_LEN];
	struct reports r = {0};
	uint64_t checked = 0;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(hex_decode(SHA256_ABC, known, DIGEST_LEN), 0);
	assert_int_equal(cas_put_fd(f->cas, fd, known, hex), 0);
	close(fd);
	assert_int_equal(cas_verify_object(f->cas, SHA256_ABC), -EBADMSG);
	assert_int_equal(cas_fsck(f->cas, collect, NULL, &r, &checked), 1);
	assert_int_equal(checked, 1);
	assert_string_equal(r.what[0], "corrupt");
	assert_string_equal(r.path[0], SHA256_ABC);
	free(file);
}

/* A procfs file's st_size is 0 whatever it holds: a copy of st_size
 * bytes would store an empty object under the known digest.  The content
 * read is stored when it is the known one, and refused when not. */
static void put_fd_of_file_longer_than_its_st_size(void **state)
{
	struct fixture *f = *state;
	const char *path = "/proc/sys/kernel/ostype";
	char hex[DIGEST_HEX_LEN + 1], buf[256];
	uint8_t known[DIGEST_LEN], wrong[DIGEST_LEN];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(digest_buffer(buf, (size_t)n, known), 0);
	memcpy(wrong, known, DIGEST_LEN);
	wrong[0] ^= 1;
	assert_int_equal(cas_put_fd(f->cas, fd, wrong, hex), -ESTALE);
	assert_int_equal(tmp_entries(f), 0);
	assert_int_equal(cas_put_fd(f->cas, fd, known, hex), 0);
	assert_int_equal(cas_verify_object(f->cas, hex), 0);
	close(fd);
	assert_int_equal(tmp_entries(f), 0);
}

/* A sparse file: 3 MiB of hole, 5000 bytes of data, then a hole up to
 * 300 MiB.  Its digest is that of the zeros and data it reads as; its
 * object keeps the holes, with or without a known digest. */
#define SPARSE_SIZE (300u << 20)
#define SPARSE_DATA_AT (3u << 20)

static int make_sparse(struct fixture *f, const char *rel, uint8_t want[DIGEST_LEN])
{
	char *path = path_join(f->work, rel);
	char data[5000], *zeros = calloc(1, 1 << 20);
	struct digest_ctx *ctx = digest_new();
	uint64_t at = 0;
	int fd;

	assert_non_null(path);
	assert_non_null(zeros);
	assert_non_null(ctx);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, data, sizeof(data), SPARSE_DATA_AT), (ssize_t)sizeof(data));
	assert_int_equal(ftruncate(fd, SPARSE_SIZE), 0);
	/* The reference digest, from the bytes the file reads as. */
	while (at < SPARSE_SIZE) {
		if (at == SPARSE_DATA_AT) {
			digest_update(ctx, data, sizeof(data));
			at += sizeof(data);
			continue;
		}
		uint64_t stop = at < SPARSE_DATA_AT ? SPARSE_DATA_AT : SPARSE_SIZE;
		size_t n = stop - at < (1u << 20) ? (size_t)(stop - at) : (1u << 20);

		digest_update(ctx, zeros, n);
		at += n;
	}
	assert_int_equal(digest_final(ctx, want), 0);
	free(zeros);
	free(path);
	return fd;
}

static void put_fd_of_sparse_file_keeps_holes(void **state)
{
	struct fixture *f = *state;
	char hex[DIGEST_HEX_LEN + 1], want_hex[DIGEST_HEX_LEN + 1], *obj;
	uint8_t want[DIGEST_LEN], got[DIGEST_LEN];
	uint64_t size = 0;
	struct stat st;
	int fd = make_sparse(f, "sparse", want);

	hex_encode(want, DIGEST_LEN, want_hex);
	assert_int_equal(digest_fd(fd, got, &size), 0);
	assert_memory_equal(got, want, DIGEST_LEN);
	assert_int_equal(size, SPARSE_SIZE);
	for (int known = 0; known < 2; known++) {
		assert_int_equal(cas_put_fd(f->cas, fd, known ? want : NULL, hex), 0);
		assert_string_equal(hex, want_hex);
		obj = cas_object_path(f->cas, hex);
		assert_non_null(obj);
		assert_int_equal(stat(obj, &st), 0);
		assert_int_equal(st.st_size, SPARSE_SIZE);
		/* Holes kept: far fewer blocks than 300 MiB. */
		assert_true((uint64_t)st.st_blocks * 512 < (1u << 20));
		assert_int_equal(cas_verify_object(f->cas, hex), 0);
		assert_int_equal(unlink(obj), 0);
		free(obj);
	}
	close(fd);
	assert_int_equal(tmp_entries(f), 0);
}

static void failed_put_leaves_nothing_in_tmp(void **state)
{
	struct fixture *f = *state;
	char *file = write_work(f, "wo", "data", 4);
	char hex[DIGEST_HEX_LEN + 1];
	struct cas_batch batch = {0};
	int wfd = open(file, O_WRONLY | O_CLOEXEC);
	int dfd = open(f->work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(wfd >= 0 && dfd >= 0);
	/* Unreadable sources: a write-only fd and a directory. */
	assert_int_equal(cas_put_fd(f->cas, wfd, NULL, hex), -EBADF);
	assert_int_equal(cas_put_fd(f->cas, dfd, NULL, hex), -EISDIR);
	assert_int_equal(cas_batch_put_fd(f->cas, &batch, dfd, NULL, hex), -EISDIR);
	assert_int_equal(batch.n, 0);
	assert_int_equal(tmp_entries(f), 0);
	assert_int_equal(count_entries(f->root, "objects/sha256"), 0);
	cas_batch_free(&batch);
	close(wfd);
	close(dfd);
	free(file);
}

/* ---- batches ---- */

/* Writes body to the work file rel and puts it into batch (digest in hex),
 * which must succeed. */
static void batch_put_work(struct fixture *f, struct cas_batch *batch, const char *rel,
			   const char *body, char hex[DIGEST_HEX_LEN + 1])
{
	char *file = write_work(f, rel, body, strlen(body));
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(cas_batch_put_fd(f->cas, batch, fd, NULL, hex), 0);
	close(fd);
	free(file);
}

static void batch_objects_appear_only_at_commit(void **state)
{
	struct fixture *f = *state;
	struct cas_batch batch = {0};
	char hexes[3][DIGEST_HEX_LEN + 1];
	static const char *const contents[] = {"one", "two", "three"};
	int results[3] = {-1, -1, -1};

	for (int i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "b%d", i);
		batch_put_work(f, &batch, name, contents[i], hexes[i]);
		assert_true(hex_is_digest(hexes[i])); /* valid at once */
		assert_false(cas_has(f->cas, hexes[i]));
	}
	assert_int_equal(batch.n, 3);
	assert_int_equal(tmp_entries(f), 3);
	assert_int_equal(cas_batch_commit(f->cas, &batch, results), 0);
	assert_int_equal(batch.n, 0);
	for (int i = 0; i < 3; i++) {
		char *buf = NULL;
		size_t len = 0;

		assert_int_equal(results[i], 0);
		assert_true(cas_has(f->cas, hexes[i]));
		assert_int_equal(cas_read_object(f->cas, hexes[i], 64, &buf, &len), 0);
		assert_int_equal(len, strlen(contents[i]));
		assert_memory_equal(buf, contents[i], len);
		free(buf);
	}
	assert_int_equal(tmp_entries(f), 0);
	/* An empty batch commits trivially. */
	assert_int_equal(cas_batch_commit(f->cas, &batch, NULL), 0);
	cas_batch_free(&batch);
	assert_null(batch.items);
}

static void batch_with_known_digest_skips_present_object(void **state)
{
	struct fixture *f = *state;
	struct cas_batch batch = {0};
	char *file = write_work(f, "abc", "abc", 3);
	char hex[DIGEST_HEX_LEN + 1];
	uint8_t known[DIGEST_LEN];
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(hex_decode(SHA256_ABC, known, DIGEST_LEN), 0);
	assert_int_equal(cas_batch_put_fd(f->cas, &batch, fd, known, hex), 0);
	assert_int_equal(batch.n, 1);
	assert_string_equal(hex, SHA256_ABC);
	assert_int_equal(cas_batch_commit(f->cas, &batch, NULL), 0);
	assert_int_equal(cas_verify_object(f->cas, SHA256_ABC), 0);
	assert_int_equal(cas_batch_put_fd(f->cas, &batch, fd, known, hex), 0);
	assert_int_equal(batch.n, 0); /* already stored: nothing queued */
	close(fd);
	cas_batch_free(&batch);
	free(file);
}

/* A small file of unknown digest is hashed before any copy: once its
 * object is stored, putting it again queues nothing and makes no tmp
 * file (shown with tmp/ gone, where any tmp file would fail), while a
 * large one still streams through tmp/. */
static void small_file_of_stored_content_needs_no_tmp_file(void **state)
{
	struct fixture *f = *state;
	struct cas_batch batch = {0};
	char *abc = write_work(f, "abc", "abc", 3), *empty = write_work(f, "empty", "", 0);
	size_t big_len = 200 * 1024;
	char *big_buf = malloc(big_len), *big, *tmpdir = path_join(f->root, "tmp");
	char hex[DIGEST_HEX_LEN + 1];
	int fd = open(abc, O_RDONLY | O_CLOEXEC), efd = open(empty, O_RDONLY | O_CLOEXEC), bfd;

	assert_non_null(big_buf);
	memset(big_buf, 'b', big_len);
	big = write_work(f, "big", big_buf, big_len);
	bfd = open(big, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0 && efd >= 0 && bfd >= 0);
	assert_int_equal(cas_batch_put_fd(f->cas, &batch, fd, NULL, hex), 0);
	assert_int_equal(batch.n, 1);
	assert_string_equal(hex, SHA256_ABC);
	assert_int_equal(cas_put_fd(f->cas, efd, NULL, hex), 0);
	assert_string_equal(hex, SHA256_EMPTY);
	assert_int_equal(cas_put_fd(f->cas, bfd, NULL, hex), 0);
	assert_int_equal(cas_batch_commit(f->cas, &batch, NULL), 0);
	assert_int_equal(cas_verify_object(f->cas, SHA256_ABC), 0);
	/* A large file found stored once copied and hashed queues nothing
	 * to be made durable, and leaves no tmp file. */
	assert_int_equal(cas_batch_put_fd(f->cas, &batch, bfd, NULL, hex), 0);
	assert_int_equal(batch.n, 0);
	assert_int_equal(tmp_entries(f), 0);

	assert_int_equal(rmdir(tmpdir), 0);
	memset(hex, 0, sizeof(hex));
	assert_int_equal(cas_batch_put_fd(f->cas, &batch, fd, NULL, hex), 0);
	assert_int_equal(batch.n, 0);
	assert_string_equal(hex, SHA256_ABC);
	assert_int_equal(cas_put_fd(f->cas, efd, NULL, hex), 0);
	assert_string_equal(hex, SHA256_EMPTY);
	/* New small content, and a stored large file, need tmp/. */
	free(write_work(f, "empty", "x", 1));
	assert_int_equal(cas_put_fd(f->cas, efd, NULL, hex), -ENOENT);
	assert_int_equal(cas_put_fd(f->cas, bfd, NULL, hex), -ENOENT);
	assert_int_equal(mkdir(tmpdir, 0755), 0);
	close(fd);
	close(efd);
	close(bfd);
	cas_batch_free(&batch);
	free(abc);
	free(empty);
	free(big);
	free(big_buf);
	free(tmpdir);
}

/* Duplicates inside one batch end as one object and no stray tmp file. */
static void batch_duplicates_commit_to_one_object(void **state)
{
	struct fixture *f = *state;
	struct cas_batch batch = {0};
	char *file = write_work(f, "dup", "dup", 3);
	char a[DIGEST_HEX_LEN + 1], b[DIGEST_HEX_LEN + 1];
	int results[2] = {-1, -1};
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(cas_batch_put_fd(f->cas, &batch, fd, NULL, a), 0);
	assert_int_equal(cas_batch_put_fd(f->cas, &batch, fd, NULL, b), 0);
	close(fd);
	assert_string_equal(a, b);
	assert_int_equal(batch.n, 2);
	assert_int_equal(cas_batch_commit(f->cas, &batch, results), 0);
	assert_int_equal(results[0], 0);
	assert_int_equal(results[1], 0);
	assert_int_equal(count_entries(f->root, "objects/sha256"), 1);
	assert_int_equal(tmp_entries(f), 0);
	cas_batch_free(&batch);
	free(file);
}

/* Puts n distinct small objects ("obj-<i>") into batch, their digests
 * into hexes. */
static void put_many(struct fixture *f, struct cas_batch *batch, int n,
		     char hexes[][DIGEST_HEX_LEN + 1])
{
	for (int i = 0; i < n; i++) {
		char name[32], body[32];

		snprintf(name, sizeof(name), "m%d", i);
		snprintf(body, sizeof(body), "obj-%d", i);
		batch_put_work(f, batch, name, body, hexes[i]);
	}
}

/* A batch above the file-by-file sync limit (16) is made durable with
 * syncfs, one at or below it with fdatasync of each file: both commit
 * every object. */
static void large_and_small_batches_commit_every_object(void **state)
{
	struct fixture *f = *state;
	struct cas_batch batch = {0};
	char hexes[40][DIGEST_HEX_LEN + 1];
	int results[40];

	for (int round = 0; round < 2; round++) {
		int n = round ? 5 : 40;

		put_many(f, &batch, n, hexes);
		memset(results, 0xff, sizeof(results));
		assert_int_equal(cas_batch_commit(f->cas, &batch, results), 0);
		for (int i = 0; i < n; i++) {
			assert_int_equal(results[i], 0);
			assert_int_equal(cas_verify_object(f->cas, hexes[i]), 0);
		}
		assert_int_equal(tmp_entries(f), 0);
		/* Removed, so that the next round stores them anew. */
		for (int i = 0; i < n; i++)
			assert_int_equal(cas_remove_object(f->cas, hexes[i], NULL), 0);
	}
	cas_batch_free(&batch);
}

/* A small batch whose temporary file vanished before the commit (its sync
 * cannot be done) fails every item, publishes none, leaves no tmp file. */
static void small_batch_sync_failure_fails_every_item(void **state)
{
	struct fixture *f = *state;
	struct cas_batch batch = {0};
	char hexes[3][DIGEST_HEX_LEN + 1], *gone;
	int results[3] = {1, 1, 1};

	put_many(f, &batch, 3, hexes);
	assert_true(asprintf(&gone, "%s/tmp/%s", f->root, batch.items[1].tmpname) > 0);
	assert_int_equal(unlink(gone), 0);
	free(gone);
	assert_int_equal(cas_batch_commit(f->cas, &batch, results), -ENOENT);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(results[i], -ENOENT);
		assert_false(cas_has(f->cas, hexes[i]));
	}
	assert_int_equal(tmp_entries(f), 0);
	cas_batch_free(&batch);
}

/* A commit that cannot publish an object (its fan-out directory is
 * blocked by a file) reports it per item, publishes the others, and
 * leaves no temporary file. */
static void batch_commit_failure_is_reported_and_cleaned(void **state)
{
	struct fixture *f = *state;
	struct cas_batch batch = {0};
	char *file_abc = write_work(f, "abc", "abc", 3);
	char *file_other = write_work(f, "other", "other", 5);
	char *blocker;
	char a[DIGEST_HEX_LEN + 1], o[DIGEST_HEX_LEN + 1];
	int results[2] = {1, 1};
	int fd;

	/* "abc" fans out to ba/; make ba a plain file. */
	assert_true(asprintf(&blocker, "%s/objects/sha256/ba", f->root) > 0);
	fd = open(blocker, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	fd = open(file_abc, O_RDONLY | O_CLOEXEC);
	assert_int_equal(cas_batch_put_fd(f->cas, &batch, fd, NULL, a), 0);
	close(fd);
	fd = open(file_other, O_RDONLY | O_CLOEXEC);
	assert_int_equal(cas_batch_put_fd(f->cas, &batch, fd, NULL, o), 0);
	close(fd);
	assert_string_equal(a, SHA256_ABC);
	assert_int_equal(cas_batch_commit(f->cas, &batch, results), -ENOTDIR);
	assert_int_equal(results[0], -ENOTDIR);
	assert_int_equal(results[1], 0);
	assert_false(cas_has(f->cas, a));
	assert_true(cas_has(f->cas, o));
	assert_int_equal(tmp_entries(f), 0);
	/* Unblocked, the same content stores fine. */
	assert_int_equal(unlink(blocker), 0);
	assert_int_equal(cas_put_buffer(f->cas, "abc", 3, a), 0);
	assert_int_equal(cas_verify_object(f->cas, a), 0);
	cas_batch_free(&batch);
	free(blocker);
	free(file_abc);
	free(file_other);
}

/* ---- reading and checking ---- */

static void read_object_enforces_max_and_absence(void **state)
{
	struct fixture *f = *state;
	char hex[DIGEST_HEX_LEN + 1];
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(cas_put_buffer(f->cas, "abc", 3, hex), 0);
	assert_int_equal(cas_read_object(f->cas, hex, 2, &buf, &len), -EFBIG);
	assert_null(buf);
	assert_int_equal(cas_read_object(f->cas, SHA256_EMPTY, 10, &buf, &len), -ENOENT);
	assert_int_equal(cas_read_object(f->cas, "../../etc/passwd", 10, &buf, &len), -EINVAL);
	assert_null(buf);
	assert_int_equal(cas_read_object(f->cas, hex, 3, &buf, &len), 0);
	assert_string_equal(buf, "abc");
	free(buf);
}

static void bad_names_are_refused(void **state)
{
	struct fixture *f = *state;
	char upper[DIGEST_HEX_LEN + 1];

	memcpy(upper, SHA256_ABC, sizeof(upper));
	upper[0] = 'B';
	errno = 0;
	assert_null(cas_object_path(f->cas, "abc"));
	assert_int_equal(errno, EINVAL);
	assert_null(cas_object_path(f->cas, upper));
	assert_false(cas_has(f->cas, "../tmp"));
	assert_false(cas_has(f->cas, SHA256_ABC));
	assert_int_equal(cas_open_object(f->cas, upper), -EINVAL);
	assert_int_equal(cas_open_object(f->cas, SHA256_ABC), -ENOENT);
	assert_int_equal(cas_verify_object(f->cas, SHA256_ABC), -ENOENT);
	assert_int_equal(cas_verify_object(f->cas, "zz"), -EINVAL);
}

static void corrupt_object_is_detected_everywhere(void **state)
{
	struct fixture *f = *state;
	char good[DIGEST_HEX_LEN + 1], bad[DIGEST_HEX_LEN + 1];
	struct reports r = {0};
	uint64_t checked = 0;
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(cas_put_buffer(f->cas, "good object", 11, good), 0);
	assert_int_equal(cas_put_buffer(f->cas, "abc", 3, bad), 0);
	assert_int_equal(cas_fsck(f->cas, collect, NULL, &r, &checked), 0);
	assert_int_equal(checked, 2);
	assert_int_equal(r.n, 0);

	corrupt_object(f, bad, 'X'); /* "Xbc": same size, other bytes */
	assert_int_equal(cas_verify_object(f->cas, bad), -EBADMSG);
	assert_int_equal(cas_verify_object(f->cas, good), 0);
	assert_int_equal(cas_read_object(f->cas, bad, 64, &buf, &len), -EBADMSG);
	assert_null(buf);
	assert_int_equal(cas_fsck(f->cas, collect, NULL, &r, &checked), 1);
	assert_int_equal(checked, 2);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.what[0], "corrupt");
	assert_string_equal(r.path[0], bad);
}

static void truncated_object_is_corrupt(void **state)
{
	struct fixture *f = *state;
	char hex[DIGEST_HEX_LEN + 1];
	char *path;

	assert_int_equal(cas_put_buffer(f->cas, "abc", 3, hex), 0);
	path = cas_object_path(f->cas, hex);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(cas_verify_object(f->cas, hex), -EBADMSG);
	/* Not taken for the object: a put of the content replaces it, from
	 * a buffer and from a file of known digest alike. */
	assert_false(cas_has_size(f->cas, hex, 3));
	assert_true(cas_has_size(f->cas, hex, -1));
	assert_int_equal(cas_put_buffer(f->cas, "abc", 3, hex), 0);
	assert_int_equal(cas_verify_object(f->cas, hex), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0644), 0);
	{
		char *src = path_join(f->work, "abc");
		uint8_t raw[DIGEST_LEN];
		int fd = open(src, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, "abc", 3), 3);
		hex_decode(hex, raw, DIGEST_LEN);
		assert_int_equal(cas_put_fd(f->cas, fd, raw, hex), 0);
		close(fd);
		free(src);
	}
	assert_int_equal(cas_verify_object(f->cas, hex), 0);
	free(path);
}

static void fsck_reports_misplaced_files(void **state)
{
	struct fixture *f = *state;
	char hex[DIGEST_HEX_LEN + 1];
	struct reports r = {0};
	uint64_t checked = 9;
	char *stray1, *stray2;
	int found_top = 0, found_sub = 0;

	assert_int_equal(cas_put_buffer(f->cas, "abc", 3, hex), 0);
	assert_true(asprintf(&stray1, "%s/objects/sha256/zz", f->root) > 0);
	assert_true(asprintf(&stray2, "%s/objects/sha256/ba/short", f->root) > 0);
	close(open(stray1, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	close(open(stray2, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	assert_int_equal(cas_fsck(f->cas, collect, NULL, &r, &checked), 2);
	assert_int_equal(checked, 1);
	assert_int_equal(r.n, 2);
	for (int i = 0; i < 2; i++) {
		assert_string_equal(r.what[i], "misplaced");
		found_top |= !strcmp(r.path[i], "zz");
		found_sub |= !strcmp(r.path[i], "ba/short");
	}
	assert_true(found_top && found_sub);
	free(stray1);
	free(stray2);
}

/* ---- trees ---- */

/* Builds the same small tree under work/name. */
static char *make_tree(struct fixture *f, const char *name)
{
	char *top = path_join(f->work, name);
	char *p;
	int fd;

	assert_int_equal(mkdir(top, 0755), 0);
	p = path_join(top, "src");
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = path_join(top, "src/main.c");
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_int_equal(write_full(fd, "int main(void){return 0;}\n", 26), 0);
	close(fd);
	free(p);
	p = path_join(top, "README");
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_int_equal(write_full(fd, "abc", 3), 0);
	close(fd);
	free(p);
	p = path_join(top, "link");
	assert_int_equal(symlink("src/main.c", p), 0);
	free(p);
	p = path_join(top, "empty");
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	return top;
}

static void snapshot(struct fixture *f, const char *dir, int store_files,
		     char hex[DIGEST_HEX_LEN + 1], struct tree_stats *st)
{
	struct tree_options opt = {.store_files = store_files};

	assert_int_equal(tree_snapshot(f->cas, dir, &opt, hex, st), 0);
	assert_true(hex_is_digest(hex));
}

static void tree_same_content_same_digest(void **state)
{
	struct fixture *f = *state;
	char *a = make_tree(f, "a"), *b;
	char ha[DIGEST_HEX_LEN + 1], hb[DIGEST_HEX_LEN + 1], again[DIGEST_HEX_LEN + 1];
	struct timespec old[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
	struct tree_stats st;

	b = make_tree(f, "b");
	/* Timestamps are not part of a tree. */
	assert_int_equal(utimensat(AT_FDCWD, b, old, 0), 0);
	snapshot(f, a, 0, ha, &st);
	assert_int_equal(st.files, 2);
	assert_int_equal(st.dirs, 2);
	assert_int_equal(st.symlinks, 1);
	assert_int_equal(st.bytes, 29);
	snapshot(f, b, 0, hb, NULL);
	assert_string_equal(ha, hb);
	snapshot(f, a, 1, again, NULL);
	assert_string_equal(ha, again);
	free(a);
	free(b);
}

static void tree_changes_with_mode_content_and_name(void **state)
{
	struct fixture *f = *state;
	char *a = make_tree(f, "a");
	char base[DIGEST_HEX_LEN + 1], h[DIGEST_HEX_LEN + 1];
	char *readme = path_join(a, "README"), *moved = path_join(a, "README.txt");
	char *dir = path_join(a, "empty");
	int fd;

	snapshot(f, a, 0, base, NULL);

	assert_int_equal(chmod(readme, 0755), 0);
	snapshot(f, a, 0, h, NULL);
	assert_string_not_equal(h, base);
	assert_int_equal(chmod(readme, 0644), 0);
	snapshot(f, a, 0, h, NULL);
	assert_string_equal(h, base);

	assert_int_equal(chmod(dir, 0755), 0); /* a directory's mode counts too */
	snapshot(f, a, 0, h, NULL);
	assert_string_not_equal(h, base);
	assert_int_equal(chmod(dir, 0700), 0);

	fd = open(readme, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_int_equal(write_full(fd, "abd", 3), 0); /* same size */
	close(fd);
	snapshot(f, a, 0, h, NULL);
	assert_string_not_equal(h, base);
	fd = open(readme, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_int_equal(write_full(fd, "abc", 3), 0);
	close(fd);
	snapshot(f, a, 0, h, NULL);
	assert_string_equal(h, base);

	assert_int_equal(rename(readme, moved), 0);
	snapshot(f, a, 0, h, NULL);
	assert_string_not_equal(h, base);
	free(readme);
	free(moved);
	free(dir);
	free(a);
}

static void tree_changes_with_symlink_target(void **state)
{
	struct fixture *f = *state;
	char *a = make_tree(f, "a");
	char *link = path_join(a, "link");
	char base[DIGEST_HEX_LEN + 1], h[DIGEST_HEX_LEN + 1];

	snapshot(f, a, 0, base, NULL);
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink("README", link), 0);
	snapshot(f, a, 0, h, NULL);
	assert_string_not_equal(h, base);
	free(link);
	free(a);
}

static int count_entry(void *arg, const struct tree_entry *e)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

/* The tree object is the documented text: a header, then entries
 * sorted by path, files with their digest, symlinks with their target. */
static void tree_object_has_canonical_text(void **state)
{
	struct fixture *f = *state;
	char *a = make_tree(f, "a");
	char hex[DIGEST_HEX_LEN + 1], line[256];
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	uint8_t raw[DIGEST_LEN];
	char main_hex[DIGEST_HEX_LEN + 1];
	int n;

	snapshot(f, a, 1, hex, NULL);
	assert_int_equal(cas_read_object(f->cas, hex, 1 << 16, &text, &len), 0);
	assert_int_equal(strncmp(text, "provfs-tree 1\n", 14), 0);
	n = 0;
	assert_int_equal(tree_parse(text, len, count_entry, &n), 0);
	assert_int_equal(n, 6);
	assert_int_equal(stat(a, &st), 0);
	/* Entries in byte order: ".", "README", "empty", "link", "src", "src/main.c". */
	snprintf(line, sizeof(line), "d 0755 %u %u 0 - .\n", (unsigned)st.st_uid,
		 (unsigned)st.st_gid);
	assert_non_null(strstr(text, line));
	snprintf(line, sizeof(line), "f 0644 %u %u 3 %s README\n", (unsigned)st.st_uid,
		 (unsigned)st.st_gid, SHA256_ABC);
	assert_non_null(strstr(text, line));
	snprintf(line, sizeof(line), "l 0777 %u %u 0 - link src/main.c\n", (unsigned)st.st_uid,
		 (unsigned)st.st_gid);
	assert_non_null(strstr(text, line));
	assert_true(strstr(text, " README\n") < strstr(text, " empty\n"));
	assert_true(strstr(text, " empty\n") < strstr(text, " link "));
	assert_true(strstr(text, " link ") < strstr(text, " src\n"));
	/* store_files put the file contents in the store too. */
	assert_int_equal(digest_buffer("int main(void){return 0;}\n", 26, raw), 0);
	hex_encode(raw, DIGEST_LEN, main_hex);
	snprintf(line, sizeof(line), "f 0644 %u %u 26 %s src/main.c\n", (unsigned)st.st_uid,
		 (unsigned)st.st_gid, main_hex);
	assert_non_null(strstr(text, line));
	assert_true(strstr(text, " src\n") < strstr(text, line));
	assert_ptr_equal(text + len - strlen(line), strstr(text, line)); /* last entry */
	assert_true(cas_has(f->cas, main_hex));
	assert_true(cas_has(f->cas, SHA256_ABC));
	assert_int_equal(tmp_entries(f), 0);
	free(text);
	free(a);
}

static void tree_without_store_files_stores_only_the_tree(void **state)
{
	struct fixture *f = *state;
	char *a = make_tree(f, "a");
	char hex[DIGEST_HEX_LEN + 1];

	snapshot(f, a, 0, hex, NULL);
	assert_true(cas_has(f->cas, hex));
	assert_false(cas_has(f->cas, SHA256_ABC));
	assert_int_equal(count_entries(f->root, "objects/sha256"), 1);
	free(a);
}

static void tree_of_missing_dir_fails_cleanly(void **state)
{
	struct fixture *f = *state;
	char *missing = path_join(f->work, "missing");
	char hex[DIGEST_HEX_LEN + 1];

	assert_int_equal(tree_snapshot(f->cas, missing, NULL, hex, NULL), -ENOENT);
	assert_int_equal(tmp_entries(f), 0);
	assert_int_equal(count_entries(f->root, "objects/sha256"), 0);
	free(missing);
}

/* Awkward names are escaped in the tree text, so one entry is one line. */
static void tree_escapes_awkward_names(void **state)
{
	struct fixture *f = *state;
	char *top = path_join(f->work, "t");
	char *p, *text = NULL;
	char hex[DIGEST_HEX_LEN + 1];
	size_t len = 0;

	assert_int_equal(mkdir(top, 0755), 0);
	p = path_join(top, "a b\nc%d");
	close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	free(p);
	snapshot(f, top, 0, hex, NULL);
	assert_int_equal(cas_read_object(f->cas, hex, 4096, &text, &len), 0);
	assert_non_null(strstr(text, " a%20b%0Ac%25d\n"));
	assert_null(strstr(text, "a b"));
	free(text);
	free(top);
}

static void tree_escape_cases(void **state)
{
	static const char *const cases[][2] = {
		{"plain/path.c", "plain/path.c"},
		{"a b", "a%20b"},
		{"line\nbreak", "line%0Abreak"},
		{"100%", "100%25"},
		{"%20", "%2520"},
		{"tab\there", "tab%09here"},
		{"\x7f" "del", "%7Fdel"},
		{"\x01", "%01"},
		{"caf\xc3\xa9", "caf\xc3\xa9"}, /* bytes >= 0x80 stay */
		{"", ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *e = tree_escape(cases[i][0]);

		assert_non_null(e);
		assert_string_equal(e, cases[i][1]);
		free(e);
	}
}

/* A tree is named by its digest, so the parser takes exactly the text a
 * snapshot writes: another spelling of the same entries is malformed. */
static void tree_parse_takes_only_canonical_text(void **state)
{
	static const char head[] = "provfs-tree 1\nd 0755 0 0 0 - .\n";
	static const char *const good[] = {
		"f 0644 0 0 3 " SHA256_ABC " a\n",
		"f 0644 0 0 3 " SHA256_ABC " a\nd 0755 0 0 0 - b\nl 0777 0 0 0 - b/l ../a\n",
		"c 0666 0 0 1:3 - null\np 0644 1000 1000 0 - p\n",
		"f 0644 0 0 3 " SHA256_ABC " a%20b\n",
	};
	static const char *const bad[] = {
		"f 644 0 0 3 " SHA256_ABC " a\n",      /* mode not 4 digits */
		"f 0644 +0 0 3 " SHA256_ABC " a\n",    /* signed uid */
		"f 0644 0 -1 3 " SHA256_ABC " a\n",    /* negative gid */
		"f 0644 0 0 03 " SHA256_ABC " a\n",    /* size with a leading 0 */
		"d 0755 0 0 5 - a\n",                  /* size on a directory */
		"c 0666 0 0 01:3 - null\n",            /* device spelt otherwise */
		"f 0644 0 0 3 " SHA256_ABC "  a\n",    /* two spaces */
		"f 0644 0 0 3 " SHA256_ABC " a%2fb\n", /* escape of a plain byte */
		"f 0644 0 0 3 " SHA256_ABC " b\nf 0644 0 0 3 " SHA256_ABC " a\n", /* unsorted */
		"f 0644 0 0 3 " SHA256_ABC " a\nf 0644 0 0 3 " SHA256_ABC " a\n", /* twice */
		"d 0755 0 0 0 - .\n",                  /* a second root */
		"l 0777 0 0 0 - l a b\n",              /* extra field */
	};
	char text[1024];
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", head, good[i]);
		n = 0;
		assert_int_equal(tree_parse(text, strlen(text), count_entry, &n), 0);
		assert_true(n >= 2);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", head, bad[i]);
		n = 0;
		assert_int_equal(tree_parse(text, strlen(text), count_entry, &n), -EBADMSG);
	}
	/* No root, or a root that is not a directory. */
	snprintf(text, sizeof(text), "provfs-tree 1\nf 0644 0 0 3 %s a\n", SHA256_ABC);
	assert_int_equal(tree_parse(text, strlen(text), count_entry, &n), -EBADMSG);
	snprintf(text, sizeof(text), "provfs-tree 1\nf 0644 0 0 3 %s .\n", SHA256_ABC);
	assert_int_equal(tree_parse(text, strlen(text), count_entry, &n), -EBADMSG);
}

/* A writer's handle holds the lock shared: gc's exclusive lock is refused
 * until the last writer closes; readers (no create) take none. */
static void lock_shuts_gc_out_while_a_writer_is_open(void **state)
{
	struct fixture *f = *state;
	struct cas *reader;
	int fd;

	assert_int_equal(cas_lock(f->root, 1, 0), -EWOULDBLOCK);
	fd = cas_lock(f->root, 0, 0);
	assert_true(fd >= 0); /* shared beside shared */
	close(fd);
	cas_close(f->cas);
	f->cas = NULL;
	assert_int_equal(cas_open(f->root, 0, &reader), 0);
	fd = cas_lock(f->root, 1, 0);
	assert_true(fd >= 0);
	/* and a writer would now have to wait: its non-blocking try fails */
	assert_int_equal(cas_lock(f->root, 0, 0), -EWOULDBLOCK);
	close(fd);
	cas_close(reader);
	assert_int_equal(cas_open(f->root, 1, &f->cas), 0);
}

/* gc's primitives: removing an object, clearing tmp/ (directories too),
 * and walking only what is an object. */
static void remove_object_and_clear_tmp(void **state)
{
	struct fixture *f = *state;
	char hex[DIGEST_HEX_LEN + 1], *tmp = path_join(f->root, "tmp"), path[512];
	uint64_t bytes = 1;
	size_t removed = 0;

	assert_int_equal(cas_put_buffer(f->cas, "abc", 3, hex), 0);
	assert_int_equal(cas_remove_object(f->cas, hex, &bytes), 0);
	assert_int_equal(cas_has(f->cas, hex), 0);
	assert_int_equal(cas_remove_object(f->cas, hex, &bytes), -ENOENT);
	assert_int_equal(cas_remove_object(f->cas, "../../etc/passwd", &bytes), -EINVAL);
	free(write_work(f, "../store/tmp/obj.1.1", "x", 1)); /* a crashed writer's */
	snprintf(path, sizeof(path), "%s/import.x/sub", tmp);
	assert_int_equal(mkdir_p(path, 0755), 0);
	/* a symlink in tmp/ is removed, never followed */
	snprintf(path, sizeof(path), "%s/import.x/sub/link", tmp);
	assert_int_equal(symlink(f->work, path), 0);
	free(write_work(f, "keep", "k", 1));
	assert_int_equal(cas_clear_tmp(f->cas, &removed), 0);
	assert_int_equal(removed, 2);
	snprintf(path, sizeof(path), "%s/keep", f->work);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/import.x", tmp);
	assert_int_equal(access(path, F_OK), -1);
	free(tmp);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(open_creates_the_layout),
		T(open_missing_store_without_create_is_enoent),
		T(open_store_under_a_file_is_enotdir),
		T(open_unwritable_store_is_eacces),
		T(open_store_on_read_only_mount_is_erofs),
		T(put_buffer_names_object_by_sha256),
		T(put_empty_buffer),
		T(put_same_bytes_twice_dedups),
		T(put_fd_hashes_whole_file_from_offset_zero),
		T(put_fd_with_known_digest),
		T(put_fd_with_wrong_known_digest_is_caught_by_fsck),
		T(put_fd_of_file_longer_than_its_st_size),
		T(put_fd_of_sparse_file_keeps_holes),
		T(failed_put_leaves_nothing_in_tmp),
		T(batch_objects_appear_only_at_commit),
		T(large_and_small_batches_commit_every_object),
		T(small_batch_sync_failure_fails_every_item),
		T(batch_with_known_digest_skips_present_object),
		T(small_file_of_stored_content_needs_no_tmp_file),
		T(batch_duplicates_commit_to_one_object),
		T(batch_commit_failure_is_reported_and_cleaned),
		T(read_object_enforces_max_and_absence),
		T(bad_names_are_refused),
		T(corrupt_object_is_detected_everywhere),
		T(truncated_object_is_corrupt),
		T(fsck_reports_misplaced_files),
		T(lock_shuts_gc_out_while_a_writer_is_open),
		T(remove_object_and_clear_tmp),
		T(tree_same_content_same_digest),
		T(tree_changes_with_mode_content_and_name),
		T(tree_changes_with_symlink_target),
		T(tree_object_has_canonical_text),
		T(tree_without_store_files_stores_only_the_tree),
		T(tree_of_missing_dir_fails_cleanly),
		T(tree_escapes_awkward_names),
		cmocka_unit_test(tree_parse_takes_only_canonical_text),
		cmocka_unit_test(tree_escape_cases),
	};

	return cmocka_run_group_tests_name("cas", tests, NULL, NULL);
}
