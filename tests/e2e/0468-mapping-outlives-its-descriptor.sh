# A program that maps its output MAP_SHARED, closes the descriptor and
# then writes through the map (mold does, writing the build-id last).
# Through passthrough the kernel maps the backing file itself, so the
# release of the FUSE file reached the daemon while the map still wrote:
# the output was logged with what it held at the close (zeros), and a file
# from before the build changed only through the map was no output at all.
# The close is now finished once nothing holds the backing file open for
# writing: each output has its final content's digest, with and without
# passthrough.  And the kernel kept the attributes it had of a file written
# through a map (stat -c %y showed its time from before the build): they
# are dropped when the daemon sees the file changed.
. "$(dirname "$0")/lib.sh"
command -v cc >/dev/null || exit 77
cat >"$T/m.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
/* m NAME new|old|exit|child: map NAME (4 pages), close, write through it */
int main(int argc, char **argv)
{
	int fresh = strcmp(argv[2], "old") != 0;
	int fd = open(argv[1], O_RDWR | (fresh ? O_CREAT | O_TRUNC : 0), 0644);
	char *p;

	if (fd < 0 || (fresh && ftruncate(fd, 16384) < 0))
		return 2;
	p = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 3;
	memset(p, 'a', 8192); /* before the close: pages dirty already */
	if (!strcmp(argv[2], "unmapped")) {
		munmap(p, 16384); /* and closed after: nothing lingers */
		close(fd);
		return 0;
	}
	close(fd);
	usleep(300000);
	if (!strcmp(argv[2], "child")) {
		pid_t pid = fork();

		if (pid == 0) {
			usleep(300000);
			memcpy(p + 100, "the child's", 11);
			_exit(0);
		}
		munmap(p, 16384); /* the child's copy of the map remains */
		waitpid(pid, NULL, 0);
		return 0;
	}
	memcpy(p + 4, "after the close", 15); /* a dirty page again */
	memcpy(p + 12288, argv[1], strlen(argv[1])); /* a clean one */
	if (!strcmp(argv[2], "exit"))
		return 0; /* unmapped by the exit */
	munmap(p, 16384);
	return 0;
}
C
cc -o "$T/m" "$T/m.c" || fail "cc"
check() { # mode...
	rm -rf "$T/b" "$T/log.db"
	mkdir -p "$T/b"
	head -c 16384 /dev/zero >"$T/b/old"
	touch -d 2020-01-01 "$T/b/old"
	mount_ws "$T/b" "$T/mnt" "$@"
	stat -c %y "$T/mnt/old" >/dev/null
	for how in new old exit child unmapped; do
		(cd "$T/mnt" && "$T/m" "$how" "$how") || fail "the program ($how) $*"
	done
	# (the release reaches the daemon after the close returned: a while)
	for how in new old exit child unmapped; do
		i=0
		while [ "$(stat -c %y "$T/mnt/$how")" != "$(stat -c %y "$T/b/$how")" ] && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		assert_eq "$(stat -c %y "$T/b/$how")" "$(stat -c %y "$T/mnt/$how")" "the time of $how $*"
	done
	umount_ws "$T/mnt"
	for how in new old exit child unmapped; do
		assert_eq "$(sha "$T/b/$how")" "$(output_digest "/$how")" "the output $how $*"
	done
	grep -q "the child's" "$T/b/child" || fail "the child's write $*"
}
check
check --no-passthrough

# Where a lease cannot see such a mapping, writers do not pass through:
# on overlayfs (a container's root) the mapping holds the upper file and
# the lease on the overlay's was granted; without CAP_LEASE (a
# container's default set) a lease on another user's file is refused.
# Both logged the zeros of the close.
mapped_new() { # BACKING-PARENT [command prefix...]: a new file by uid 1000
	bp=$1
	shift
	mkdir -p "$bp/mnt"
	chown 1000 "$bp/b"
	"$@" "$PROVFS" mount --store "$T/store" --log "$bp/log.db" "$bp/b" "$bp/mnt" >/dev/null ||
		fail "mount for $bp"
	MOUNTS="$bp/mnt $MOUNTS"
	(cd "$bp/mnt" && setpriv --reuid=1000 --regid=1000 --clear-groups "$T/m" new new) ||
		fail "the program in $bp"
	umount_ws "$bp/mnt"
	"$PROVFS" log --json "$bp/log.db" | python3 -c '
import json, sys
print([o.get("sha256") for o in json.load(sys.stdin)["outputs"] if o["path"] == "/new"][0])'
}
if command -v capsh >/dev/null && command -v setpriv >/dev/null; then
	mkdir -p "$T/nl/b"
	got=$(mapped_new "$T/nl" capsh --drop=cap_lease -- -c 'exec "$0" "$@"') ||
		fail "without CAP_LEASE"
	assert_eq "$(sha "$T/nl/b/new")" "$got" "the output of a mapping without CAP_LEASE"
fi
mkdir -p "$T/ov/l" "$T/ov/u" "$T/ov/w" "$T/ov/b"
if command -v setpriv >/dev/null &&
	mount -t overlay overlay -o "lowerdir=$T/ov/l,upperdir=$T/ov/u,workdir=$T/ov/w" "$T/ov/b" 2>/dev/null; then
	got=$(mapped_new "$T/ov") || { umount "$T/ov/b"; fail "on overlayfs"; }
	want=$(sha "$T/ov/b/new")
	umount "$T/ov/b"
	assert_eq "$want" "$got" "the output of a mapping on overlayfs"
fi
