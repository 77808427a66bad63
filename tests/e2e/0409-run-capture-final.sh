# provfs run --capture final keeps in the store only what the manifest
# names: a scratch file the build wrote and deleted is not stored (with
# the default, --capture all, it is), the outputs and the workspace inputs
# are, and the manifest verifies against the store.
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
exit 0
