# The log reader's account of what each name held, where directories moved
# around the name (single process, so the log's order is the operations'):
# a: a file written and removed while held open, then a symlink made at its
#    name and renamed: the symlink is no output (it got the file's digest);
# b: the name's directory renamed away and another put in its place, then
#    the file at that name renamed: the new name is no output of the build
#    (it got the digest of the file that had moved away with the directory);
# c: a file from before the build moved over a name in a directory the
#    build had made and renamed: it is an input (the walk back followed the
#    directory's move and took it for the build's own file);
# e: a name the build wrote, then a file from before the build moved over
#    it, then read: an input (the earlier write hid it);
# d: 14 nested directories each renamed away and back 4 times, then a file
#    in the deepest read: the log is read in seconds (27 s, growing
#    sevenfold with every two more levels) and the file is an input.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || exit 77
mkdir -p "$T/b/s" "$T/b/B" "$T/b/C"
echo old >"$T/b/s/f"
echo "from before the build" >"$T/b/B/f"
echo "from before too" >"$T/b/C/f"
p="$T/b"
for j in $(seq 14); do p=$p/a$j; done
mkdir -p "$p"
echo deep >"$p/f"
mount_ws "$T/b" "$T/m"
(
	cd "$T/m" || exit 1
	# a
	exec 3>f
	echo data >&3
	rm f
	ln -s target f
	exec 3>&-
	mv f g
	# b
	mkdir d && echo new >d/f && mv d e && mv s d && mv d/f h || exit 1
	# c
	mkdir X && echo build >X/f && mv X A && mv B/f A/f && cat A/f >/dev/null || exit 1
	# e
	echo build >E && mv C/f E && cat E >/dev/null || exit 1
	# d
	for i in 1 2 3 4; do
		p=.
		for j in $(seq 14); do
			mv $p/a$j $p/b$j && mv $p/b$j $p/a$j || exit 1
			p=$p/a$j
		done
	done
	cat "$p/f" >/dev/null
) || fail "the operations"
umount_ws "$T/m"
timeout 20 "$PROVFS" log --json "$T/log.db" >"$T/log.json" 2>"$T/err"
assert_eq 0 "$?" "provfs log (124: over 20 s): $(cat "$T/err")"
deep=$(cd "$T/b" && find a1 -name f)
python3 - "$T/log.json" "/$deep" "$(sha "$T/b/A/f")" "$(sha "$T/b/E")" "$(sha "$T/b/$deep")" <<'PY' || fail "the summary: $(head -c 3000 "$T/log.json")"
import json, sys
log = json.load(open(sys.argv[1]))
deep, a_f, e, d_f = sys.argv[2:6]
outputs = {o["path"]: o.get("sha256") for o in log["outputs"]}
inputs = {i["path"]: i.get("sha256") for i in log["inputs"]}
assert "/g" not in outputs, ("a: the symlink is an output", outputs)
assert "/h" not in outputs, ("b: a file the build did not write is an output", outputs)
assert inputs.get("/A/f") == a_f, ("c: the moved file is no input", inputs)
assert inputs.get("/E") == e, ("e: the moved file is no input", inputs)
assert inputs.get(deep) == d_f, ("d: the deep file is no input", inputs)
PY
exit 0
