/*
 * util: the few helpers every layer needs, kept here once (fs/ is the
 * lowest layer).  Nothing here prints or exits; functions return 0 or
 * -errno, or NULL with errno set.
 */
#ifndef PROVFS_UTIL_H
#define PROVFS_UTIL_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Length of a SHA-256 digest in bytes and as lowercase hex (without NUL). */
#define DIGEST_LEN 32
#define DIGEST_HEX_LEN 64

/* Writes 2*len lowercase hex chars plus a NUL into out. */
void hex_encode(const uint8_t *in, size_t len, char *out);

/* s[0..len) with '%' and every byte from 0x80 up as %XX (upper-case hex):
 * text that may not be UTF-8, made JSON-safe and reversible.  malloc'd;
 * NULL on ENOMEM. */
char *percent_encode(const char *s, size_t len);

/* What percent_encode made of a text, back (each %XX of two hex digits
 * as its byte; anything else as it is).  malloc'd; NULL on ENOMEM. */
char *percent_decode(const char *s);

/* Writes len bytes as the file path (relative to dirfd): into a new file
 * beside it (".NAME.PID.N", made with O_EXCL|O_NOFOLLOW and durable)
 * renamed over it, so a reader finds the old content or the new, never a
 * mix of two writers', and what was at the name (a symlink) is replaced,
 * not followed.  0 or -errno.  file_write_replace: dirfd AT_FDCWD. */
int file_write_replace_at(int dirfd, const char *path, const void *data, size_t len,
			  mode_t mode);
int file_write_replace(const char *path, const void *data, size_t len, mode_t mode);

/* Parses exactly 2*len hex chars (either case).  Returns 0 or -EINVAL. */
int hex_decode(const char *in, uint8_t *out, size_t len);

/* True if s is exactly 64 lowercase hex chars: a well-formed digest name. */
int hex_is_digest(const char *s);

/* Nanoseconds since the Unix epoch, from CLOCK_REALTIME. */
int64_t time_now_ns(void);
/* Nanoseconds from CLOCK_MONOTONIC (the kernel's process events'
 * clock). */
int64_t mono_ns(void);

/* Formats ns-since-epoch as RFC 3339 UTC with second precision
 * ("2026-01-02T03:04:05Z") into out (at least 21 bytes). */
void time_format_rfc3339(int64_t ns, char *out, size_t outlen);

/* write(2)/read(2) until all len bytes are done; 0 or -errno.
 * read_full returns the number of bytes read (short only at EOF) or -errno. */
int write_full(int fd, const void *buf, size_t len);
ssize_t read_full(int fd, void *buf, size_t len);

struct stat;
/* Whether st is a regular file with holes: fewer blocks than its size
 * needs.  Such a file is worth walking extent by extent (fd_next_data). */
int stat_is_sparse(const struct stat *st);

/* The data of fd at or after off: its start in *data and the start of
 * the hole after it in *end (-1 if unknown).  Returns 0, 1 if only a
 * hole is left up to the end of the file, or -1 if fd cannot tell
 * (SEEK_DATA unsupported: treat it all as data). */
int fd_next_data(int fd, off_t off, off_t *data, off_t *end);

/* mkdir -p with mode for each created component; 0 or -errno. */
int mkdir_p(const char *path, mode_t mode);

/* mkdir_p of the directory holding file (nothing for a bare name or one
 * directly under /); 0 or -errno. */
int mkdir_parent(const char *file, mode_t mode);

/* Appends a zeroed element of elem bytes to the array *(void **)arr_ptr
 * of *n elements, growing it as needed; returns the new element, or NULL
 * on ENOMEM (the array is then unchanged).  The capacity is implicit (16,
 * then doubled each time n reaches a power of two), so the array must
 * start NULL with *n 0 and grow only through array_push; *n may shrink. */
void *array_push(void *arr_ptr, size_t *n, size_t elem);

/* Joins a and b with exactly one '/', malloc'd; NULL on ENOMEM. */
char *path_join(const char *a, const char *b);

/* True if a relative path is "safe": not absolute, no "..", no empty or
 * "." component, no NUL.  Used before trusting a path read from a manifest. */
int path_is_safe_relative(const char *path);

/* True if the absolute path lies in dir: is dir or below it ("/" holds
 * everything).  Compares the strings only: no symlink is followed. */
int path_is_under(const char *path, const char *dir);

/* Looks the absolute path mountpoint up in /proc/self/mountinfo, without
 * touching the mount (a FUSE mount whose daemon is stopped would block a
 * stat): 1 if something is mounted there, with the device of the topmost
 * mount in *major:*minor and its filesystem type ("fuse.provfs") in
 * fstype (len bytes, if not NULL); 0 if nothing is; -errno. */
struct open_how;
/* openat2(2), again while it fails with EAGAIN: a scoped look-up
 * (RESOLVE_IN_ROOT, RESOLVE_BENEATH) that goes through ".." fails so when
 * anything on the system renamed or mounted meanwhile.  Up to 100 tries;
 * -1 with errno as openat2. */
int openat2_retry(int dirfd, const char *path, const struct open_how *how);
/* A new open file description of what fd names, through /proc/self/fd
 * (an O_PATH fd made readable, a writable one made O_PATH; a file with no
 * name left too), with flags | O_CLOEXEC: as open(2). */
int fd_reopen(int fd, int flags);
/* Whether capability cap is in this process's effective set
 * (/proc/self/status CapEff): 1, 0, or -1 if that cannot be read. */
int cap_effective(int cap);

int mountinfo_find(const char *mountpoint, unsigned int *major, unsigned int *minor,
		   char *fstype, size_t len);

/* Reads a whole (small) file into a NUL-terminated malloc'd buffer; *len
 * gets its length.  Refuses files over max bytes with -EFBIG.
 * Returns 0 or -errno. */
int file_read_all(const char *path, size_t max, char **out, size_t *len);

/* The same for an open file (read from its current position). */
int fd_read_all(int fd, size_t max, char **out, size_t *len);

/* Opens the directory name (relative to dirfd; "." for dirfd itself, on
 * a descriptor of its own) for readdir with O_CLOEXEC and extra_flags
 * (O_NOFOLLOW, say) into *out: 0 or -errno, nothing left open. */
int opendir_at(int dirfd, const char *name, int extra_flags, DIR **out);

/* Deletes name (relative to dirfd) and, if it is a directory, everything
 * below it, like rm -r --one-file-system: symlinks are removed, never
 * followed, and nothing on another filesystem is entered (a mount point
 * below makes it fail with -EBUSY, its contents untouched).  0 or the
 * first -errno; it goes on past errors and removes what it can. */
int remove_tree_at(int dirfd, const char *name);

/* The same for everything in the directory name, which stays; *removed
 * (if non-NULL) gets how many of its entries went. */
int remove_contents_at(int dirfd, const char *name, size_t *removed);

/* Deletes, as remove_tree_at, each entry of the directory parent whose name
 * begins with prefix ("": every one) unless someone holds an flock on it
 * (a directory its maker still uses holds it from when it is made: see
 * envstore_staging_make); the lock taken to find out is kept until the
 * entry is gone, so a maker that took it meanwhile finds its entry gone.
 * *removed (if non-NULL) gets how many went.  0 or the first -errno. */
int remove_unheld_at(int parent, const char *prefix, size_t *removed);

/* qsort(3), which must not be given a NULL base even for no elements
 * (an empty array is often NULL here). */
void sort_items(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

#endif
