# provfs run --capture final keeps in the store only what the manifest
# names: a scratch file the build wrote and deleted is not stored (with
# the default, --capture all, it is), the outputs and the workspace inputs
# are, and the manifest verifies against the store.  An input the build
# overwrote cannot be stored after it: the warning names it as the
# manifest does (workspace-relative), and none is given when the build
# copied its content into an output, which is then stored.
. "$(dirname "$0")/lib.sh"
obj() { store_object "$2" "$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)"; }
build="cat in.txt >/dev/null && printf 'scratch $$\\n' >scratch && sleep 2 && rm scratch && printf 'final output\\n' >out.txt"
for mode in all final; do
	mkdir -p "$T/ws-$mode"
	cd "$T/ws-$mode"
	printf 'input %s\n' "$mode" >in.txt
	"$PROVFS" run --store "$T/st-$mode" --capture $mode --quiet --out "$T/m-$mode.json" \
		-- sh -c "$build" || fail "build with --capture $mode"
	"$PROVFS" verify --key "$T/st-$mode/keys/provfs.pub" --store "$T/st-$mode" \
		"$T/m-$mode.json" out.txt >/dev/null || fail "verify with --capture $mode"
	[ -f "$(obj "final output
" "$T/st-$mode")" ] || fail "the output is not stored with --capture $mode"
	[ -f "$(obj "input $mode
" "$T/st-$mode")" ] || fail "the input is not stored with --capture $mode"
done
[ -f "$(obj "scratch $$
" "$T/st-all")" ] || fail "--capture all did not store the scratch file"
[ ! -e "$(obj "scratch $$
" "$T/st-final")" ] || fail "--capture final stored the scratch file"

mkdir -p "$T/ws-over" && cd "$T/ws-over"
printf 'overwritten %s\n' "$$" >in.txt
"$PROVFS" run --store "$T/st-final" --capture final --quiet --out "$T/m-over.json" \
	-- sh -c 'wc -c in.txt >out.txt && echo new >in.txt' 2>"$T/over.err" ||
	fail "build overwriting its input"
assert_eq "provfs: warning: input 'in.txt' not stored: its content changed since the build read it (the build, or something else, wrote it later); its digest is in the manifest" \
	"$(grep "not stored" "$T/over.err")" "the warning for an overwritten input"
printf 'copied %s\n' "$$" >in.txt
"$PROVFS" run --store "$T/st-final" --capture final --quiet --out "$T/m-copy.json" \
	-- sh -c 'cp in.txt out.txt && echo new >in.txt' 2>"$T/copy.err" ||
	fail "build copying, then overwriting its input"
! grep "not stored" "$T/copy.err" || fail "warned of an input whose content an output holds"
"$PROVFS" verify --key "$T/st-final/keys/provfs.pub" --store "$T/st-final" \
	"$T/m-copy.json" out.txt >/dev/null || fail "verify of the copying build against the store"

# What the build left at an input's name is taken only as a regular file
# beneath the workspace: a FIFO there blocked attest for ever (as root,
# holding the store), a device node (/dev/zero) was hashed without end,
# and a symlink the build made of a directory had a host file hashed.
mkdir -p "$T/hostdir"
echo secret >"$T/hostdir/in"
for how in fifo zero link; do
	rm -rf "$T/cf" && mkdir -p "$T/cf/d" && echo input >"$T/cf/d/in"
	case $how in
	fifo) c='rm d/in; mkfifo d/in' ;;
	zero) c='rm d/in; mknod d/in c 1 5' ;;
	link) c="mv d d2; ln -s $T/hostdir d" ;;
	esac
	(cd "$T/cf" && timeout -k 5 60 "$PROVFS" run -q --store "$T/store" --capture final \
		--out "$T/cf.json" -- sh -c "cat d/in >/dev/null; $c; echo out >o") 2>"$T/cf.err"
	assert_eq 0 "$?" "a build that left a $how at its input's name: $(cat "$T/cf.err")"
	grep -q "input 'd/in' not stored: its content changed" "$T/cf.err" ||
		fail "no warning for the $how: $(cat "$T/cf.err")"
done
exit 0
