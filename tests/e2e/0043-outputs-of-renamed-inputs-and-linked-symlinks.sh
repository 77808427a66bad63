# Outputs after renames and hard links of files the build did not write:
# - an input renamed (autoconf's configure -> configure~) is an output at
#   its new name, with the content it had when renamed, even though a new
#   file is written at the old name afterwards;
# - a hard link to a symlink (ln, cp -a, rsync -H of a tree with linked
#   symlinks) is no output, like the symlink, so no output lacks a digest;
# - a hard link to a file never read becomes an output once written
#   through either name.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/b"
echo orig >"$T/b/configure"
echo old >"$T/b/never-read"
mount_ws "$T/b" "$T/m"
M=$T/m
cat "$M/configure" >/dev/null
mv "$M/configure" "$M/configure~"
echo new >"$M/configure"
echo x >"$M/f"
ln -s f "$M/rel"
ln "$M/rel" "$M/rel_hard"
ln "$M/never-read" "$M/other-name"
echo written >"$M/other-name"
umount_ws "$M"
"$PROVFS" log --json "$T/log.db" | python3 -c '
import json, sys
outs = {o["path"]: o.get("sha256") for o in json.load(sys.stdin)["outputs"]}
print(" ".join("%s:%s" % (p, (d or "none")[:12]) for p, d in sorted(outs.items())))' >"$T/outs"
w=$(echo written | sha256sum | cut -c1-12)
assert_eq "/configure:$(echo new | sha256sum | cut -c1-12) /configure~:$(echo orig | sha256sum | cut -c1-12) /f:$(echo x | sha256sum | cut -c1-12) /never-read:$w /other-name:$w" \
	"$(cat "$T/outs")" "outputs"
exit 0
