/*
 * File data: read/write/offsets, sparse files and SEEK_DATA/SEEK_HOLE,
 * fallocate, copy_file_range, sendfile, O_DIRECT, shared writable mmap.
 */
#include "fsconform.h"

#include <linux/falloc.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/uio.h>

#define KiB 1024
#define MiB (1024 * 1024)

static off_t size_of_fd(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -1 : st.st_size;
}

static blkcnt_t blocks_of_fd(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -1 : st.st_blocks;
}

/* 1 when len bytes at off read back as zeros. */
static int reads_zero(int fd, off_t off, size_t len)
{
	char buf[4096];

	while (len > 0) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);
		if (pread(fd, buf, n, off) != (ssize_t)n)
			return 0;
		for (size_t i = 0; i < n; i++) {
			if (buf[i])
				return 0;
		}
		off += (off_t)n;
		len -= n;
	}
	return 1;
}

/* ---- read / write ---- */

static int io_pread_pwrite_keep_offset(void)
{
	int fd;
	char buf[8] = {0};

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_EQ(write(fd, "abcdef", 6), 6);
	CHECK_EQ(pwrite(fd, "XY", 2, 1), 2);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6);
	CHECK_EQ(pread(fd, buf, 4, 0), 4);
	CHECK(strcmp(buf, "aXYd") == 0);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	return 0;
}

static int io_write_past_eof_hole(void)
{
	int fd;

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_EQ(pwrite(fd, "end", 3, 10000), 3);
	CHECK_EQ(size_of_fd(fd), 10003);
	CHECK(reads_zero(fd, 0, 10000));
	close(fd);
	return 0;
}

static int io_lseek(void)
{
	int fd;

	CHECK_OK(fsc_write_file("f", "0123456789", 0644));
	CHECK_SET(fd, open("f", O_RDONLY));
	CHECK_EQ(lseek(fd, -3, SEEK_END), 7);
	CHECK_EQ(lseek(fd, 2, SEEK_CUR), 9);
	CHECK_EQ(lseek(fd, 100, SEEK_SET), 100);
	CHECK_ERR(lseek(fd, -1, SEEK_SET), EINVAL);
	CHECK_ERR(lseek(fd, 0, 42), EINVAL);
	close(fd);
	CHECK_OK(mkfifo("p", 0644));
	CHECK_SET(fd, open("p", O_RDONLY | O_NONBLOCK));
	CHECK_ERR(lseek(fd, 0, SEEK_SET), ESPIPE);
	close(fd);
	return 0;
}

static int io_offsets_shared_by_dup(void)
{
	int a, b, c;
	char ch;

	CHECK_OK(fsc_write_file("f", "abc", 0644));
	CHECK_SET(a, open("f", O_RDONLY));
	CHECK_SET(b, dup(a));
	CHECK_SET(c, open("f", O_RDONLY));
	CHECK_EQ(read(a, &ch, 1), 1);
	CHECK_EQ(read(b, &ch, 1), 1);
	CHECK(ch == 'b');
	CHECK_EQ(read(c, &ch, 1), 1);
	CHECK(ch == 'a');
	close(a);
	close(b);
	close(c);
	return 0;
}

static int io_readv_writev(void)
{
	int fd;
	char a[4], b[8];
	struct iovec out[3] = {{"one", 3}, {"", 0}, {"-two", 4}};
	struct iovec in[2] = {{a, 3}, {b, 4}};

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_EQ(writev(fd, out, 3), 7);
	CHECK_EQ(preadv(fd, in, 2, 0), 7);
	CHECK(memcmp(a, "one", 3) == 0 && memcmp(b, "-two", 4) == 0);
	close(fd);
	return 0;
}

static int io_random_writes(void)
{
	enum { SIZE = 4 * MiB, WRITES = 400 };
	unsigned char *model = calloc(SIZE, 1);
	unsigned char *back = malloc(SIZE);
	unsigned seed = 12345;
	int fd;

	CHECK(model && back);
	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	for (int i = 0; i < WRITES; i++) {
		seed = seed * 1103515245 + 12345;
		size_t off = (seed >> 4) % SIZE;
		seed = seed * 1103515245 + 12345;
		size_t len = 1 + (seed >> 8) % 20000;
		if (off + len > SIZE)
			len = SIZE - off;
		for (size_t j = 0; j < len; j++)
			model[off + j] = (unsigned char)(i + j);
		CHECK_EQ(pwrite(fd, model + off, len, (off_t)off), len);
	}
	off_t size = size_of_fd(fd);
	CHECK(size > 0 && size <= SIZE);
	CHECK_EQ(pread(fd, back, (size_t)size, 0), size);
	CHECK(memcmp(model, back, (size_t)size) == 0);
	close(fd);
	/* And through a fresh descriptor after closing. */
	CHECK_SET(fd, open("f", O_RDONLY));
	CHECK_EQ(pread(fd, back, (size_t)size, 0), size);
	close(fd);
	CHECK(memcmp(model, back, (size_t)size) == 0);
	free(model);
	free(back);
	return 0;
}

static int io_large_offset(void)
{
	int fd;
	off_t off = 5LL * 1024 * MiB + 3;
	char buf[4] = {0};

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_EQ(pwrite(fd, "big", 3, off), 3);
	CHECK_EQ(size_of_fd(fd), off + 3);
	CHECK_EQ(pread(fd, buf, 3, off), 3);
	CHECK(strcmp(buf, "big") == 0);
	CHECK(reads_zero(fd, 4LL * 1024 * MiB, 8192));
	CHECK_OK(fsync(fd));
	CHECK(blocks_of_fd(fd) < 1024);
	close(fd);
	return 0;
}

static int io_many_open_files(void)
{
	enum { N = 1000 };
	static int fds[N];
	char name[16];

	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		CHECK_SET(fds[i], open(name, O_CREAT | O_RDWR, 0644));
	}
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "%d", i);
		CHECK_EQ(write(fds[i], name, strlen(name)), strlen(name));
	}
	for (int i = 0; i < N; i++) {
		char buf[16] = {0};
		snprintf(name, sizeof(name), "%d", i);
		CHECK_EQ(pread(fds[i], buf, sizeof(buf), 0), strlen(name));
		CHECK(strcmp(buf, name) == 0);
		close(fds[i]);
	}
	return 0;
}

static int io_o_direct(void)
{
	int fd;
	void *buf;

	CHECK(posix_memalign(&buf, 4096, 64 * KiB) == 0);
	CHECK_SET(fd, open("f", O_CREAT | O_RDWR | O_DIRECT, 0644));
	memset(buf, 'd', 64 * KiB);
	CHECK_EQ(pwrite(fd, buf, 64 * KiB, 0), 64 * KiB);
	memset(buf, 0, 64 * KiB);
	CHECK_EQ(pread(fd, buf, 64 * KiB, 0), 64 * KiB);
	CHECK(((char *)buf)[0] == 'd' && ((char *)buf)[64 * KiB - 1] == 'd');
	close(fd);
	free(buf);
	return 0;
}

/* ---- sparse files ---- */

static int sparse_seek_data_hole(void)
{
	int fd;

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_OK(fsc_fill(fd, 1 * MiB, 4 * KiB, 3));
	CHECK_EQ(lseek(fd, 0, SEEK_DATA), 1 * MiB);
	CHECK_EQ(lseek(fd, 0, SEEK_HOLE), 0);
	CHECK_EQ(lseek(fd, 1 * MiB, SEEK_HOLE), 1 * MiB + 4 * KiB);
	CHECK_EQ(lseek(fd, 1 * MiB + 100, SEEK_DATA), 1 * MiB + 100);
	CHECK_ERR(lseek(fd, 1 * MiB + 4 * KiB, SEEK_DATA), ENXIO);
	CHECK_ERR(lseek(fd, 2 * MiB, SEEK_HOLE), ENXIO);
	CHECK_ERR(lseek(fd, -1, SEEK_DATA), ENXIO);
	close(fd);
	return 0;
}

static int sparse_seek_after_fsync(void)
{
	int fd;

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_OK(fsc_fill(fd, 0, 64 * KiB, 1));
	CHECK_OK(fsc_fill(fd, 1 * MiB, 64 * KiB, 2));
	CHECK_OK(ftruncate(fd, 2 * MiB));
	CHECK_OK(fsync(fd));
	CHECK_EQ(lseek(fd, 0, SEEK_DATA), 0);
	CHECK_EQ(lseek(fd, 0, SEEK_HOLE), 64 * KiB);
	CHECK_EQ(lseek(fd, 64 * KiB, SEEK_DATA), 1 * MiB);
	CHECK_EQ(lseek(fd, 1 * MiB, SEEK_HOLE), 1 * MiB + 64 * KiB);
	CHECK_ERR(lseek(fd, 1 * MiB + 64 * KiB, SEEK_DATA), ENXIO);
	close(fd);
	/* Seen the same way through a new descriptor. */
	CHECK_SET(fd, open("f", O_RDONLY));
	CHECK_EQ(lseek(fd, 64 * KiB, SEEK_DATA), 1 * MiB);
	close(fd);
	return 0;
}

static int sparse_blocks(void)
{
	int fd;

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_OK(ftruncate(fd, 100 * MiB));
	CHECK_EQ(size_of_fd(fd), 100 * MiB);
	CHECK_EQ(blocks_of_fd(fd), 0);
	CHECK_EQ(pwrite(fd, "x", 1, 100 * MiB - 1), 1);
	CHECK_OK(fsync(fd));
	CHECK(blocks_of_fd(fd) > 0 && blocks_of_fd(fd) <= 64);
	CHECK(reads_zero(fd, 50 * MiB, 64 * KiB));
	close(fd);
	struct stat st;
	CHECK_OK(stat("f", &st));
	CHECK(st.st_blocks * 512 < st.st_size);
	return 0;
}

/* ---- fallocate ---- */

static int fallocate_extends(void)
{
	int fd;

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_OK(fallocate(fd, 0, 0, 1 * MiB));
	CHECK_EQ(size_of_fd(fd), 1 * MiB);
	CHECK(blocks_of_fd(fd) >= 2048);
	CHECK(reads_zero(fd, 0, 1 * MiB));
	/* Within the existing size: size unchanged. */
	CHECK_OK(fallocate(fd, 0, 4 * KiB, 8 * KiB));
	CHECK_EQ(size_of_fd(fd), 1 * MiB);
	close(fd);
	return 0;
}

static int fallocate_keep_size(void)
{
	int fd;

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_EQ(write(fd, "abc", 3), 3);
	CHECK_OK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1 * MiB));
	CHECK_EQ(size_of_fd(fd), 3);
	CHECK(blocks_of_fd(fd) >= 2048);
	close(fd);
	CHECK(fsc_file_is("f", "abc"));
	return 0;
}

static int fallocate_punch_hole(void)
{
	int fd;
	blkcnt_t before;

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_OK(fsc_fill(fd, 0, 192 * KiB, 9));
	CHECK_OK(fsync(fd));
	before = blocks_of_fd(fd);
	CHECK_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 64 * KiB, 64 * KiB));
	CHECK_EQ(size_of_fd(fd), 192 * KiB);
	CHECK_OK(fsc_verify(fd, 0, 64 * KiB, 9));
	CHECK(reads_zero(fd, 64 * KiB, 64 * KiB));
	CHECK_OK(fsc_verify(fd, 128 * KiB, 64 * KiB, 9));
	CHECK(blocks_of_fd(fd) <= before - 128);
	CHECK_EQ(lseek(fd, 0, SEEK_HOLE), 64 * KiB);
	CHECK_EQ(lseek(fd, 64 * KiB, SEEK_DATA), 128 * KiB);
	/* Unaligned punch zeroes the partial blocks. */
	CHECK_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 10, 100));
	CHECK(reads_zero(fd, 10, 100));
	CHECK_OK(fsc_verify(fd, 0, 10, 9));
	CHECK_OK(fsc_verify(fd, 110, 1000, 9));
	/* Punching past the end does not grow the file. */
	CHECK_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 180 * KiB, 1 * MiB));
	CHECK_EQ(size_of_fd(fd), 192 * KiB);
	close(fd);
	return 0;
}

static int fallocate_punch_needs_keep_size(void)
{
	int fd;

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_OK(fsc_fill(fd, 0, 8 * KiB, 1));
	CHECK_ERR(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4 * KiB), EOPNOTSUPP);
	close(fd);
	return 0;
}

static int fallocate_zero_range(void)
{
	int fd;

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_OK(fsc_fill(fd, 0, 64 * KiB, 4));
	CHECK_OK(fallocate(fd, FALLOC_FL_ZERO_RANGE, 1000, 20000));
	CHECK_OK(fsc_verify(fd, 0, 1000, 4));
	CHECK(reads_zero(fd, 1000, 20000));
	CHECK_OK(fsc_verify(fd, 21000, 64 * KiB - 21000, 4));
	CHECK_OK(fallocate(fd, FALLOC_FL_ZERO_RANGE, 60 * KiB, 8 * KiB));
	CHECK_EQ(size_of_fd(fd), 68 * KiB);
	close(fd);
	return 0;
}

static int fallocate_errors(void)
{
	int fd;

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_ERR(fallocate(fd, 0, 0, 0), EINVAL);
	CHECK_ERR(fallocate(fd, 0, -1, 10), EINVAL);
	CHECK_ERR(fallocate(fd, 0, 0, -10), EINVAL);
	close(fd);
	CHECK_SET(fd, open("f", O_RDONLY));
	CHECK_ERR(fallocate(fd, 0, 0, 4096), EBADF);
	close(fd);
	return 0;
}

/* ---- copy_file_range / sendfile ---- */

static int copy_file_range_basic(void)
{
	int in, out;
	size_t size = 1 * MiB + 123, done = 0;
	ssize_t n;

	CHECK_SET(in, open("src", O_CREAT | O_RDWR, 0644));
	CHECK_OK(fsc_fill(in, 0, size, 5));
	CHECK_EQ(lseek(in, 0, SEEK_SET), 0);
	CHECK_SET(out, open("dst", O_CREAT | O_RDWR, 0644));
	while ((n = copy_file_range(in, NULL, out, NULL, size - done, 0)) > 0)
		done += (size_t)n;
	CHECK_OK(n);
	CHECK_EQ(done, size);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), size);
	CHECK_EQ(lseek(out, 0, SEEK_CUR), size);
	CHECK_EQ(size_of_fd(out), size);
	CHECK_OK(fsc_verify(out, 0, size, 5));
	close(in);
	close(out);
	CHECK_SET(out, open("dst", O_RDONLY));
	CHECK_OK(fsc_verify(out, 0, size, 5));
	close(out);
	return 0;
}

static int copy_file_range_offsets(void)
{
	int in, out;
	loff_t off_in = 100, off_out = 5000;

	CHECK_SET(in, open("src", O_CREAT | O_RDWR, 0644));
	CHECK_OK(fsc_fill(in, 0, 64 * KiB, 6));
	CHECK_SET(out, open("dst", O_CREAT | O_RDWR, 0644));
	CHECK_EQ(copy_file_range(in, &off_in, out, &off_out, 1000, 0), 1000);
	CHECK_EQ(off_in, 1100);
	CHECK_EQ(off_out, 6000);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 0);
	CHECK_EQ(lseek(out, 0, SEEK_CUR), 0);
	CHECK_EQ(size_of_fd(out), 6000);
	CHECK(reads_zero(out, 0, 5000));
	char a[1000], b[1000];
	CHECK_EQ(pread(in, a, 1000, 100), 1000);
	CHECK_EQ(pread(out, b, 1000, 5000), 1000);
	CHECK(memcmp(a, b, 1000) == 0);
	/* At or past the end of the input: nothing copied. */
	off_in = 64 * KiB;
	CHECK_EQ(copy_file_range(in, &off_in, out, NULL, 100, 0), 0);
	off_in = 1 * MiB;
	CHECK_EQ(copy_file_range(in, &off_in, out, NULL, 100, 0), 0);
	close(in);
	close(out);
	return 0;
}

static int copy_file_range_errors(void)
{
	int rw, ro, wo, dir;
	loff_t a = 0, b = 100;

	CHECK_SET(rw, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_OK(fsc_fill(rw, 0, 4 * KiB, 1));
	CHECK_SET(ro, open("f", O_RDONLY));
	CHECK_SET(wo, open("g", O_CREAT | O_WRONLY, 0644));
	CHECK_ERR(copy_file_range(rw, &a, rw, &b, 1000, 0), EINVAL);
	a = 0;
	b = 2000;
	CHECK_EQ(copy_file_range(rw, &a, rw, &b, 1000, 0), 1000);
	CHECK_ERR(copy_file_range(rw, NULL, ro, NULL, 10, 0), EBADF);
	CHECK_ERR(copy_file_range(wo, NULL, rw, NULL, 10, 0), EBADF);
	CHECK_ERR(copy_file_range(rw, NULL, wo, NULL, 10, 1), EINVAL);
	CHECK_OK(mkdir("d", 0755));
	CHECK_SET(dir, open("d", O_RDONLY));
	CHECK_ERR(copy_file_range(dir, NULL, wo, NULL, 10, 0), EISDIR);
	close(dir);
	close(rw);
	close(ro);
	close(wo);
	return 0;
}

static int copy_file_range_append_out(void)
{
	int in, out;

	CHECK_OK(fsc_write_file("src", "data", 0644));
	CHECK_SET(in, open("src", O_RDONLY));
	CHECK_SET(out, open("dst", O_CREAT | O_WRONLY | O_APPEND, 0644));
	CHECK_ERR(copy_file_range(in, NULL, out, NULL, 4, 0), EBADF);
	close(in);
	close(out);
	return 0;
}

static int sendfile_file_to_file(void)
{
	int in, out;
	off_t off = 10;

	CHECK_SET(in, open("src", O_CREAT | O_RDWR, 0644));
	CHECK_OK(fsc_fill(in, 0, 256 * KiB, 8));
	CHECK_SET(out, open("dst", O_CREAT | O_RDWR, 0644));
	size_t done = 0;
	while (done < 256 * KiB - 10) {
		ssize_t n = sendfile(out, in, &off, 256 * KiB - 10 - done);
		CHECK_OK(n);
		CHECK(n > 0);
		done += (size_t)n;
	}
	CHECK_EQ(off, 256 * KiB);
	char a[4096], b[4096];
	for (off_t o = 0; o + 4096 <= 256 * KiB - 10; o += 4096) {
		CHECK_EQ(pread(in, a, 4096, o + 10), 4096);
		CHECK_EQ(pread(out, b, 4096, o), 4096);
		CHECKF(memcmp(a, b, 4096) == 0, "differs at %lld", (long long)o);
	}
	close(in);
	close(out);
	return 0;
}

/* ---- mmap ---- */

static int mmap_shared_write_read_back(void)
{
	int fd, fd2;
	size_t len = 256 * KiB;
	unsigned char *map;

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_OK(ftruncate(fd, (off_t)len));
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED);
	for (size_t i = 0; i < len; i++)
		map[i] = (unsigned char)(i * 7 + 3);
	CHECK_OK(msync(map, len, MS_SYNC));
	CHECK_OK(munmap(map, len));
	close(fd);
	CHECK_SET(fd2, open("f", O_RDONLY));
	unsigned char buf[4096];
	for (size_t off = 0; off < len; off += sizeof(buf)) {
		CHECK_EQ(read(fd2, buf, sizeof(buf)), sizeof(buf));
		for (size_t i = 0; i < sizeof(buf); i++)
			CHECKF(buf[i] == (unsigned char)((off + i) * 7 + 3), "byte %zu", off + i);
	}
	close(fd2);
	return 0;
}

static int mmap_coherent_with_read(void)
{
	int fd, fd2;
	char *map;
	char buf[16] = {0};

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_OK(ftruncate(fd, 8192));
	map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED);
	CHECK_SET(fd2, open("f", O_RDWR));
	/* No msync: the page cache is shared. */
	memcpy(map + 4096, "via-mmap", 8);
	CHECK_EQ(pread(fd2, buf, 8, 4096), 8);
	CHECK(strcmp(buf, "via-mmap") == 0);
	CHECK_EQ(pwrite(fd2, "via-write", 9, 100), 9);
	CHECK(memcmp(map + 100, "via-write", 9) == 0);
	CHECK_OK(munmap(map, 8192));
	close(fd);
	close(fd2);
	return 0;
}

static int mmap_private_cow(void)
{
	int fd;
	char *map;

	CHECK_OK(fsc_write_file("f", "original", 0644));
	CHECK_SET(fd, open("f", O_RDONLY));
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(map != MAP_FAILED);
	CHECK(memcmp(map, "original", 8) == 0);
	memcpy(map, "modified", 8);
	CHECK_OK(munmap(map, 4096));
	close(fd);
	CHECK(fsc_file_is("f", "original"));
	return 0;
}

static int mmap_shared_needs_writable_fd(void)
{
	int fd;

	CHECK_OK(fsc_write_file("f", "x", 0644));
	CHECK_SET(fd, open("f", O_RDONLY));
	CHECK_ERR(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED ? -1 : 0,
		  EACCES);
	close(fd);
	CHECK_SET(fd, open("f", O_WRONLY));
	CHECK_ERR(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED ? -1 : 0, EACCES);
	close(fd);
	return 0;
}

static sigjmp_buf sigbus_jump;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(sigbus_jump, 1);
}

/* 1 when reading *p raises SIGBUS. */
static int faults_sigbus(volatile char *p)
{
	struct sigaction sa = {.sa_handler = on_sigbus}, old;
	int faulted = 0;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(sigbus_jump, 1) == 0)
		(void)*p;
	else
		faulted = 1;
	sigaction(SIGBUS, &old, NULL);
	return faulted;
}

static int mmap_sigbus_beyond_eof(void)
{
	int fd;
	char *map;

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_OK(ftruncate(fd, 8192));
	map = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED);
	CHECK(!faults_sigbus(map + 4096));
	CHECK(faults_sigbus(map + 2 * 4096));
	CHECK_OK(ftruncate(fd, 4096));
	CHECK(faults_sigbus(map + 4096));
	CHECK(!faults_sigbus(map));
	CHECK_OK(munmap(map, 3 * 4096));
	close(fd);
	return 0;
}

static int mmap_two_processes(void)
{
	int fd;
	char *map;
	pid_t pid;

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_OK(ftruncate(fd, 4096));
	pid = fsc_fork();
	if (pid == 0) {
		int cfd;
		char *cmap;
		CHECK_SET(cfd, open("f", O_RDWR));
		cmap = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
		CHECK(cmap != MAP_FAILED);
		memcpy(cmap, "from child", 10);
		_exit(0);
	}
	CHECK_CHILD(pid);
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED);
	CHECK(memcmp(map, "from child", 10) == 0);
	CHECK_OK(munmap(map, 4096));
	close(fd);
	return 0;
}

static int mmap_write_updates_mtime(void)
{
	struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
	struct stat st;
	int fd;
	char *map;

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_OK(ftruncate(fd, 4096));
	CHECK_OK(futimens(fd, old));
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED);
	map[0] = 'm';
	CHECK_OK(msync(map, 4096, MS_SYNC));
	CHECK_OK(munmap(map, 4096));
	close(fd);
	CHECK_OK(stat("f", &st));
	CHECK(st.st_mtim.tv_sec > 1000000000);
	CHECK(st.st_ctim.tv_sec > 1000000000);
	return 0;
}

static int mmap_after_unlink(void)
{
	int fd;
	char *map;

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_OK(ftruncate(fd, 4096));
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED);
	close(fd);
	CHECK_OK(unlink("f"));
	memcpy(map, "orphan", 6);
	CHECK_OK(msync(map, 4096, MS_SYNC));
	CHECK(memcmp(map, "orphan", 6) == 0);
	CHECK_OK(munmap(map, 4096));
	return 0;
}

const struct fsc_check fsc_checks_io[] = {
	{"io/pread-pwrite-keep-offset", io_pread_pwrite_keep_offset},
	{"io/write-past-eof-zero-fill", io_write_past_eof_hole},
	{"io/lseek", io_lseek},
	{"io/dup-shares-offset", io_offsets_shared_by_dup},
	{"io/readv-writev", io_readv_writev},
	{"io/random-writes-match-model", io_random_writes},
	{"io/offset-beyond-4g", io_large_offset},
	{"io/1000-open-files", io_many_open_files},
	{"io/o-direct", io_o_direct},
	{"sparse/seek-data-hole", sparse_seek_data_hole},
	{"sparse/seek-after-fsync", sparse_seek_after_fsync},
	{"sparse/st-blocks-below-size", sparse_blocks},
	{"fallocate/extends", fallocate_extends},
	{"fallocate/keep-size", fallocate_keep_size},
	{"fallocate/punch-hole", fallocate_punch_hole},
	{"fallocate/punch-needs-keep-size", fallocate_punch_needs_keep_size},
	{"fallocate/zero-range", fallocate_zero_range},
	{"fallocate/errors", fallocate_errors},
	{"copy_file_range/basic", copy_file_range_basic},
	{"copy_file_range/offsets-and-eof", copy_file_range_offsets},
	{"copy_file_range/errors", copy_file_range_errors},
	{"copy_file_range/append-output-ebadf", copy_file_range_append_out},
	{"sendfile/file-to-file", sendfile_file_to_file},
	{"mmap/shared-write-msync-read-back", mmap_shared_write_read_back},
	{"mmap/coherent-with-read-write", mmap_coherent_with_read},
	{"mmap/private-copy-on-write", mmap_private_cow},
	{"mmap/shared-needs-rw-fd", mmap_shared_needs_writable_fd},
	{"mmap/sigbus-beyond-eof", mmap_sigbus_beyond_eof},
	{"mmap/two-processes", mmap_two_processes},
	{"mmap/write-updates-mtime", mmap_write_updates_mtime},
	{"mmap/after-unlink", mmap_after_unlink},
	{NULL, NULL},
};
