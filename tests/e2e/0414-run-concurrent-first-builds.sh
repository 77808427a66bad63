# Several provfs runs started at once on a new store (a CI machine's first
# jobs) share one signing key: the store's key is made once, and every
# build signs with it.  Before, each made its own, and all but the first
# failed ("provfs.key already exists", exit 2).  Repeated, since a race
# may not show on every try.
. "$(dirname "$0")/lib.sh"
for try in 1 2 3 4; do
	S=$T/store$try
	pids=""
	for w in 1 2 3 4; do
		mkdir -p "$T/ws$try-$w"
		(cd "$T/ws$try-$w" && "$PROVFS" run --store "$S" --quiet --out "$T/m$try-$w.json" -- \
			sh -c "echo $w >out" 2>"$T/err$try-$w"
		echo $? >"$T/rc$try-$w") &
		pids="$pids $!"
	done
	# The builds only: a plain wait would also wait for the watchdog.
	# shellcheck disable=SC2086
	wait $pids
	for w in 1 2 3 4; do
		assert_eq 0 "$(cat "$T/rc$try-$w")" "try $try, build $w: $(cat "$T/err$try-$w")"
		"$PROVFS" verify --key "$S/keys/provfs.pub" "$T/m$try-$w.json" >/dev/null 2>&1 ||
			fail "try $try, build $w: manifest not signed by the store's one key"
	done
	assert_eq "provfs.key provfs.pub" "$(ls "$S/keys" | tr '\n' ' ' | sed 's/ $//')" \
		"try $try: the keys directory holds one key pair and nothing else"
done
