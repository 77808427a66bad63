# POSIX ACLs behave as on the backing filesystem: the kernel enforces an
# ACL entry that grants a user what the mode bits do not (and a mask that
# takes it away), new files and directories get their parent's default ACL
# instead of the creator's umask, and elsewhere the umask applies.  Each
# step is done on a plain directory of the backing filesystem and through
# the mount, and must give the same result.  Found by the test suites of
# acl 2.3.1 (4 tests failed only under provfs) and rsync 3.2.7
# (acls-default).
. "$(dirname "$0")/lib.sh"
command -v setfacl >/dev/null && command -v getfacl >/dev/null && command -v setpriv >/dev/null ||
	exit 77
mkdir -p "$T/b/native" "$T/b/via"
setfacl -m u:nobody:r "$T/b/native" 2>/dev/null || exit 77 # no ACLs on this filesystem
setfacl -b "$T/b/native"
chmod 755 "$T" "$T/b" "$T/b/native" "$T/b/via" # nobody must reach them
mount_ws "$T/b" "$T/m"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# steps DIR: prints what each step gave
steps() {
	d=$1
	mkdir "$d/dd" && setfacl -d -m u:nobody:rwx "$d/dd"
	(umask 022 && touch "$d/dd/f" && mkdir "$d/dd/sub")
	echo "inherited: $(getfacl -cp "$d/dd/f" | tr '\n' ' ') $(stat -c %A "$d/dd/f" "$d/dd/sub" | tr '\n' ' ')"
	echo "sub default: $(getfacl -cpd "$d/dd/sub" | tr '\n' ' ')"
	(umask 027 && touch "$d/plain" && mkdir "$d/pd")
	echo "umask: $(stat -c %A "$d/plain" "$d/pd" | tr '\n' ' ')"
	echo secret >"$d/s" && chmod 600 "$d/s"
	as_nobody cat "$d/s" >/dev/null 2>&1 && echo "0600: nobody reads" || echo "0600: nobody may not read"
	setfacl -m u:nobody:r "$d/s"
	as_nobody cat "$d/s" >/dev/null 2>&1 && echo "acl: nobody reads" || echo "acl: nobody may not read"
	chmod g-r "$d/s" # the mask now hides nobody's entry
	as_nobody cat "$d/s" >/dev/null 2>&1 && echo "mask: nobody reads" || echo "mask: nobody may not read"
	echo "after chmod: $(getfacl -cp "$d/s" | tr '\n' ' ')"
	as_nobody sh -c "echo x >'$d/dd/by-nobody'" 2>/dev/null && echo "default acl: nobody creates" ||
		echo "default acl: nobody may not create"
}
steps "$T/b/native" >"$T/native.out" 2>&1
steps "$T/m/via" >"$T/via.out" 2>&1
diff "$T/native.out" "$T/via.out" >"$T/diff" || fail "through the mount: $(cat "$T/diff")"
grep -q "^acl: nobody reads" "$T/via.out" || fail "the ACL entry did not grant: $(cat "$T/via.out")"
grep -q "^mask: nobody may not read" "$T/via.out" || fail "the mask did not take it away"
grep -q "^umask: -rw-r----- drwxr-x---" "$T/via.out" || fail "umask: $(grep umask "$T/via.out")"
grep -q "user:nobody:rwx" "$T/via.out" || fail "no default ACL inherited"
umount_ws "$T/m"
exit 0
