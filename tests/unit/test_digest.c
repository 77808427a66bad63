/*
 * Unit tests for fs/digest (SHA-256 through OpenSSL) and the fs/util
 * helpers it and every other layer lean on: hex, paths, whole-file reads.
 * Known vectors are FIPS 180-2's; files live in a mkdtemp directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "digest.h"
#include "util.h"

#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA256_MILLION_A "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
/* FIPS 180-2 two-block message. */
#define TWO_BLOCK_MSG "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define SHA256_TWO_BLOCK "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"

/* ---- fixtures ---- */

struct tmpdir {
	char path[64];
};

static int tmpdir_setup(void **state)
{
	struct tmpdir *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->path, sizeof(t->path), "/tmp/provfs-test-digest.XXXXXX");
	if (!mkdtemp(t->path)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int tmpdir_teardown(void **state)
{
	struct tmpdir *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->path);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

/* Writes len bytes into dir/name (all 'a', or a non-repeating pattern);
 * returns its malloc'd path. */
static char *make_file(const char *dir, const char *name, size_t len, int pattern)
{
	char *path = path_join(dir, name);
	char *buf = malloc(len ? len : 1);
	int fd;

	assert_non_null(path);
	assert_non_null(buf);
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern ? (char)(i * 31 + i / 4099) : 'a';
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write_full(fd, buf, len), 0);
	assert_int_equal(close(fd), 0);
	free(buf);
	return path;
}

static void hex_of(const uint8_t raw[DIGEST_LEN], char hex[DIGEST_HEX_LEN + 1])
{
	hex_encode(raw, DIGEST_LEN, hex);
}

/* ---- SHA-256 known answers ---- */

static void buffer_empty_string_vector(void **state)
{
	uint8_t raw[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1];

	(void)state;
	assert_int_equal(digest_buffer("", 0, raw), 0);
	hex_of(raw, hex);
	assert_string_equal(hex, SHA256_EMPTY);
}

static void buffer_abc_vector(void **state)
{
	uint8_t raw[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1];

	(void)state;
	assert_int_equal(digest_buffer("abc", 3, raw), 0);
	hex_of(raw, hex);
	assert_string_equal(hex, SHA256_ABC);
}

static void buffer_two_block_vector(void **state)
{
	uint8_t raw[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1];

	(void)state;
	assert_int_equal(digest_buffer(TWO_BLOCK_MSG, strlen(TWO_BLOCK_MSG), raw), 0);
	hex_of(raw, hex);
	assert_string_equal(hex, SHA256_TWO_BLOCK);
}

static void buffer_million_a_vector(void **state)
{
	size_t len = 1000000;
	char *buf = malloc(len);
	uint8_t raw[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1];

	(void)state;
	assert_non_null(buf);
	memset(buf, 'a', len);
	assert_int_equal(digest_buffer(buf, len, raw), 0);
	hex_of(raw, hex);
	assert_string_equal(hex, SHA256_MILLION_A);
	free(buf);
}

/* The million-'a' vector fed in uneven pieces, as a sequential writer
 * through the mount would feed it. */
static void incremental_million_a_in_odd_pieces(void **state)
{
	struct digest_ctx *ctx = digest_new();
	char piece[4099];
	size_t left = 1000000;
	uint8_t raw[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1];

	(void)state;
	assert_non_null(ctx);
	memset(piece, 'a', sizeof(piece));
	for (size_t step = 1; left > 0; step = step * 7 % sizeof(piece) + 1) {
		size_t n = step < left ? step : left;

		assert_int_equal(digest_update(ctx, piece, n), 0);
		left -= n;
	}
	assert_int_equal(digest_final(ctx, raw), 0);
	hex_of(raw, hex);
	assert_string_equal(hex, SHA256_MILLION_A);
}

static void incremental_equals_one_shot(void **state)
{
	static const size_t splits[] = {0, 1, 55, 56, 63, 64, 65, 127, 1000, 4095};
	size_t len = 4096;
	char *buf = malloc(len);
	uint8_t whole[DIGEST_LEN];

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(i ^ (i >> 3));
	assert_int_equal(digest_buffer(buf, len, whole), 0);
	for (size_t s = 0; s < sizeof(splits) / sizeof(splits[0]); s++) {
		struct digest_ctx *ctx = digest_new();
		uint8_t parts[DIGEST_LEN];

		assert_non_null(ctx);
		assert_int_equal(digest_update(ctx, buf, splits[s]), 0);
		assert_int_equal(digest_update(ctx, buf + splits[s], 0), 0);
		assert_int_equal(digest_update(ctx, buf + splits[s], len - splits[s]), 0);
		assert_int_equal(digest_final(ctx, parts), 0);
		assert_memory_equal(parts, whole, DIGEST_LEN);
	}
	free(buf);
}

static void incremental_with_no_input_is_empty_vector(void **state)
{
	struct digest_ctx *ctx = digest_new();
	uint8_t raw[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1];

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(digest_final(ctx, raw), 0);
	hex_of(raw, hex);
	assert_string_equal(hex, SHA256_EMPTY);
}

static void free_of_null_and_unfinished_context_is_safe(void **state)
{
	struct digest_ctx *ctx = digest_new();

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(digest_update(ctx, "abc", 3), 0);
	digest_free(ctx);
	digest_free(NULL);
}

/* ---- digest_fd / digest_file_at ---- */

static void fd_of_million_a_file(void **state)
{
	struct tmpdir *t = *state;
	char *path = make_file(t->path, "million", 1000000, 0);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t raw[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1];
	uint64_t size = 0;

	assert_true(fd >= 0);
	assert_int_equal(digest_fd(fd, raw, &size), 0);
	hex_of(raw, hex);
	assert_string_equal(hex, SHA256_MILLION_A);
	assert_int_equal(size, 1000000);
	close(fd);
	free(path);
}

/* A file spanning several 1 MiB chunks and ending mid-chunk hashes like
 * the same bytes in memory, and the file position is left alone. */
static void fd_larger_than_chunk_matches_buffer(void **state)
{
	struct tmpdir *t = *state;
	size_t len = 3 * (1u << 20) + 12345;
	char *path = make_file(t->path, "big", len, 1);
	char *buf = malloc(len);
	uint8_t from_fd[DIGEST_LEN], from_buf[DIGEST_LEN];
	uint64_t size = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_non_null(buf);
	assert_int_equal(lseek(fd, 777, SEEK_SET), 777);
	assert_int_equal(digest_fd(fd, from_fd, &size), 0);
	assert_int_equal(size, len);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 777);
	assert_int_equal(pread(fd, buf, len, 0), (ssize_t)len);
	assert_int_equal(digest_buffer(buf, len, from_buf), 0);
	assert_memory_equal(from_fd, from_buf, DIGEST_LEN);
	close(fd);
	free(buf);
	free(path);
}

static void fd_exactly_one_chunk_and_empty_file(void **state)
{
	struct tmpdir *t = *state;
	size_t len = 1u << 20;
	char *path = make_file(t->path, "onechunk", len, 1);
	char *empty = make_file(t->path, "empty", 0, 0);
	char *buf = malloc(len);
	uint8_t a[DIGEST_LEN], b[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1];
	uint64_t size = 1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_non_null(buf);
	assert_int_equal(digest_fd(fd, a, NULL), 0);
	assert_int_equal(pread(fd, buf, len, 0), (ssize_t)len);
	assert_int_equal(digest_buffer(buf, len, b), 0);
	assert_memory_equal(a, b, DIGEST_LEN);
	close(fd);

	fd = open(empty, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(digest_fd(fd, a, &size), 0);
	assert_int_equal(size, 0);
	hex_of(a, hex);
	assert_string_equal(hex, SHA256_EMPTY);
	close(fd);
	free(buf);
	free(path);
	free(empty);
}

static void fd_on_bad_fd_and_directory_fails(void **state)
{
	struct tmpdir *t = *state;
	uint8_t raw[DIGEST_LEN];
	int dfd = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_int_equal(digest_fd(-1, raw, NULL), -EBADF);
	assert_true(dfd >= 0);
	assert_int_equal(digest_fd(dfd, raw, NULL), -EISDIR);
	close(dfd);
}

static void file_at_hashes_and_refuses_symlinks(void **state)
{
	struct tmpdir *t = *state;
	char *path = make_file(t->path, "abc", 0, 0);
	char *link = path_join(t->path, "link");
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	int dfd = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint8_t raw[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1];
	uint64_t size = 0;

	assert_true(fd >= 0 && dfd >= 0);
	assert_int_equal(write_full(fd, "abc", 3), 0);
	close(fd);
	assert_int_equal(digest_file_at(dfd, "abc", raw, &size), 0);
	hex_of(raw, hex);
	assert_string_equal(hex, SHA256_ABC);
	assert_int_equal(size, 3);
	assert_int_equal(digest_file_at(AT_FDCWD, path, raw, NULL), 0);
	assert_int_equal(digest_file_at(dfd, "missing", raw, NULL), -ENOENT);
	assert_int_equal(symlink("abc", link), 0);
	assert_int_equal(digest_file_at(dfd, "link", raw, NULL), -ELOOP);
	close(dfd);
	free(link);
	free(path);
}

/* ---- hex ---- */

static void hex_encode_decode_round_trip(void **state)
{
	uint8_t in[256], back[256];
	char hex[2 * 256 + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	hex_encode(in, sizeof(in), hex);
	assert_int_equal(strlen(hex), 512);
	assert_memory_equal(hex, "000102030405060708090a0b0c0d0e0f", 32);
	assert_string_equal(hex + 480, "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
	assert_int_equal(hex_decode(hex, back, sizeof(back)), 0);
	assert_memory_equal(in, back, sizeof(in));
}

static void hex_encode_of_nothing_is_empty_string(void **state)
{
	char hex[4] = "xyz";

	(void)state;
	hex_encode((const uint8_t *)"", 0, hex);
	assert_string_equal(hex, "");
}

static void hex_decode_accepts_upper_case(void **state)
{
	uint8_t out[4];

	(void)state;
	assert_int_equal(hex_decode("DEADbeef", out, 4), 0);
	assert_int_equal(out[0], 0xde);
	assert_int_equal(out[1], 0xad);
	assert_int_equal(out[2], 0xbe);
	assert_int_equal(out[3], 0xef);
}

static void hex_decode_rejects_bad_input(void **state)
{
	static const char *const bad[] = {
		"0g", "g0", "zz", " 1", "1 ", "-1", "0x", "\xff" "0", "+f",
	};
	uint8_t out[2];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hex_decode(bad[i], out, 1), -EINVAL);
	/* Too short: the NUL is not a hex digit, and nothing past it is read. */
	assert_int_equal(hex_decode("abc", out, 2), -EINVAL);
	assert_int_equal(hex_decode("a", out, 1), -EINVAL);
	assert_int_equal(hex_decode("", out, 1), -EINVAL);
}

static void hex_is_digest_accepts_only_64_lowercase(void **state)
{
	char upper[DIGEST_HEX_LEN + 1];
	char longer[DIGEST_HEX_LEN + 2];

	(void)state;
	assert_true(hex_is_digest(SHA256_ABC));
	assert_true(hex_is_digest(SHA256_EMPTY));
	assert_false(hex_is_digest(NULL));
	assert_false(hex_is_digest(""));
	assert_false(hex_is_digest(SHA256_ABC + 1)); /* 63 chars */
	snprintf(longer, sizeof(longer), "%s0", SHA256_ABC);
	assert_false(hex_is_digest(longer));
	memcpy(upper, SHA256_ABC, sizeof(upper));
	upper[10] = 'F';
	assert_false(hex_is_digest(upper));
	assert_false(hex_is_digest("../../../../../../../../../../../../../../../../../../etc/passwd"));
}

/* ---- paths ---- */

static void safe_relative_accepts_plain_paths(void **state)
{
	static const char *const good[] = {
		"ok/dir/file", "file", "a/b", ".hidden", "a/.b", "..a", "a..", "a/...", "x y/z",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (!path_is_safe_relative(good[i]))
			fail_msg("'%s' should be safe", good[i]);
	}
}

static void safe_relative_rejects_hostile_paths(void **state)
{
	static const char *const bad[] = {
		"../../etc/passwd", "..", ".", "/abs", "/", "a//b", "a/./b", "a/../b", "a/..",
		"./a", "a/", "a/.", "//a", "ok/dir/../../..", "",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (path_is_safe_relative(bad[i]))
			fail_msg("'%s' should be rejected", bad[i]);
	}
	assert_false(path_is_safe_relative(NULL));
}

/* Every element pushed keeps its value across the array's growth (at 16,
 * then each power of two), comes back zeroed, and survives a shrink of n
 * followed by more pushes. */
static void array_push_keeps_every_element(void **state)
{
	struct item {
		size_t value;
		char pad[13];
	} *arr = NULL, *it;
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < 5000; i++) {
		it = array_push(&arr, &n, sizeof(*arr));
		assert_non_null(it);
		assert_int_equal(n, i + 1);
		assert_ptr_equal(it, &arr[i]);
		assert_int_equal(it->value, 0);
		it->value = i * 7 + 1;
	}
	for (size_t i = 0; i < n; i++)
		assert_int_equal(arr[i].value, i * 7 + 1);
	n = 100;
	for (size_t i = 100; i < 3000; i++) {
		it = array_push(&arr, &n, sizeof(*arr));
		assert_non_null(it);
		it->value = i;
	}
	for (size_t i = 0; i < n; i++)
		assert_int_equal(arr[i].value, i < 100 ? i * 7 + 1 : i);
	free(arr);
}

static void path_join_uses_exactly_one_slash(void **state)
{
	static const char *const cases[][3] = {
		{"a", "b", "a/b"},       {"a/", "b", "a/b"},     {"a//", "/b", "a/b"},
		{"/", "b", "/b"},        {"/", "/b", "/b"},      {"/x/y", "z/w", "/x/y/z/w"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *j = path_join(cases[i][0], cases[i][1]);

		assert_non_null(j);
		assert_string_equal(j, cases[i][2]);
		free(j);
	}
}

static void mkdir_p_creates_nested_and_refuses_files(void **state)
{
	struct tmpdir *t = *state;
	char *deep = path_join(t->path, "m/n/o/p");
	char *file = make_file(t->path, "plain", 1, 0);
	char *under = path_join(file, "sub");
	struct stat st;

	assert_int_equal(mkdir_p(deep, 0755), 0);
	assert_int_equal(stat(deep, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(mkdir_p(deep, 0755), 0); /* idempotent */
	assert_int_equal(mkdir_p(file, 0755), -ENOTDIR);
	assert_int_equal(mkdir_p(under, 0755), -ENOTDIR);
	free(deep);
	free(file);
	free(under);
}

/* ---- whole-file I/O ---- */

static void file_read_all_reads_and_enforces_limits(void **state)
{
	struct tmpdir *t = *state;
	char *path = make_file(t->path, "ten", 10, 0);
	char *missing = path_join(t->path, "missing");
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(file_read_all(path, 10, &buf, &len), 0);
	assert_int_equal(len, 10);
	assert_string_equal(buf, "aaaaaaaaaa"); /* NUL-terminated */
	free(buf);
	buf = NULL;
	assert_int_equal(file_read_all(path, 9, &buf, &len), -EFBIG);
	assert_null(buf);
	assert_int_equal(file_read_all(missing, 100, &buf, &len), -ENOENT);
	assert_int_equal(file_read_all(t->path, 100, &buf, &len), -EISDIR);
	assert_null(buf);
	free(path);
	free(missing);
}

/* A pipe has no size: it is read to its end, up to max (verify --key
 * <(...), show /dev/stdin read nothing). */
static void fd_read_all_reads_a_pipe_to_its_end(void **state)
{
	static char data[10000];
	char *buf = NULL;
	size_t len = 0;
	int p[2];

	(void)state;
	memset(data, 'p', sizeof(data));
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write_full(p[1], data, sizeof(data)), 0);
	close(p[1]);
	assert_int_equal(fd_read_all(p[0], sizeof(data), &buf, &len), 0);
	assert_int_equal(len, sizeof(data));
	assert_memory_equal(buf, data, sizeof(data));
	assert_int_equal(buf[len], '\0');
	free(buf);
	close(p[0]);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write_full(p[1], data, sizeof(data)), 0);
	close(p[1]);
	buf = NULL;
	assert_int_equal(fd_read_all(p[0], sizeof(data) - 1, &buf, &len), -EFBIG);
	assert_null(buf);
	close(p[0]);
	assert_int_equal(file_read_all("/proc/self/status", 1 << 20, &buf, &len), 0);
	assert_non_null(strstr(buf, "Pid:"));
	free(buf);
}

static void write_full_and_read_full_move_everything(void **state)
{
	int p[2];
	char out[100], in[120];

	(void)state;
	memset(out, 'q', sizeof(out));
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write_full(p[1], out, sizeof(out)), 0);
	close(p[1]);
	/* Short only at EOF. */
	assert_int_equal(read_full(p[0], in, sizeof(in)), (ssize_t)sizeof(out));
	assert_memory_equal(in, out, sizeof(out));
	assert_int_equal(read_full(p[0], in, sizeof(in)), 0);
	close(p[0]);
	assert_int_equal(write_full(-1, out, 1), -EBADF);
	assert_int_equal(read_full(-1, in, 1), -EBADF);
}

static void time_format_is_rfc3339_utc(void **state)
{
	char out[32];

	(void)state;
	time_format_rfc3339(0, out, sizeof(out));
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	time_format_rfc3339(1700000000LL * 1000000000LL + 999999999LL, out, sizeof(out));
	assert_string_equal(out, "2023-11-14T22:13:20Z");
	assert_true(time_now_ns() > 1700000000LL * 1000000000LL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buffer_empty_string_vector),
		cmocka_unit_test(buffer_abc_vector),
		cmocka_unit_test(buffer_two_block_vector),
		cmocka_unit_test(buffer_million_a_vector),
		cmocka_unit_test(incremental_million_a_in_odd_pieces),
		cmocka_unit_test(incremental_equals_one_shot),
		cmocka_unit_test(incremental_with_no_input_is_empty_vector),
		cmocka_unit_test(free_of_null_and_unfinished_context_is_safe),
		cmocka_unit_test_setup_teardown(fd_of_million_a_file, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(fd_larger_than_chunk_matches_buffer, tmpdir_setup,
						tmpdir_teardown),
		cmocka_unit_test_setup_teardown(fd_exactly_one_chunk_and_empty_file, tmpdir_setup,
						tmpdir_teardown),
		cmocka_unit_test_setup_teardown(fd_on_bad_fd_and_directory_fails, tmpdir_setup,
						tmpdir_teardown),
		cmocka_unit_test_setup_teardown(file_at_hashes_and_refuses_symlinks, tmpdir_setup,
						tmpdir_teardown),
		cmocka_unit_test(hex_encode_decode_round_trip),
		cmocka_unit_test(hex_encode_of_nothing_is_empty_string),
		cmocka_unit_test(hex_decode_accepts_upper_case),
		cmocka_unit_test(hex_decode_rejects_bad_input),
		cmocka_unit_test(hex_is_digest_accepts_only_64_lowercase),
		cmocka_unit_test(safe_relative_accepts_plain_paths),
		cmocka_unit_test(safe_relative_rejects_hostile_paths),
		cmocka_unit_test(path_join_uses_exactly_one_slash),
		cmocka_unit_test(array_push_keeps_every_element),
		cmocka_unit_test_setup_teardown(mkdir_p_creates_nested_and_refuses_files,
						tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test(fd_read_all_reads_a_pipe_to_its_end),
		cmocka_unit_test_setup_teardown(file_read_all_reads_and_enforces_limits,
						tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test(write_full_and_read_full_move_everything),
		cmocka_unit_test(time_format_is_rfc3339_utc),
	};

	return cmocka_run_group_tests_name("digest", tests, NULL, NULL);
}
