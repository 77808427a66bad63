# An environment built by 'provfs env build' from a debootstrap definition
# (minbase + build-essential, and make/bookworm: a pinned package, which
# debootstrap's --include does not take, is installed with apt-get once
# the root is made) gives the same digest when built twice, and a
# Debian source package (zlib, from apt-get source) builds inside it: both
# runs' manifests name the same environment digest.  Needs Debian's mirror;
# slow (a few minutes), so it runs on the normal build only.
. "$(dirname "$0")/lib.sh"
[ "${VARIANT:-build}" = build ] || exit 77
command -v debootstrap >/dev/null || exit 77
S=$T/store
CACHE=${PROVFS_TEST_CACHE:-/var/cache/provfs-tests}
mkdir -p "$CACHE/debootstrap" "$S/cache"
ln -s "$CACHE/debootstrap" "$S/cache/debootstrap"
cat >"$T/env.def" <<'EOT'
# a Debian build slave
name = bookworm-build
base = debootstrap bookworm
variant = minbase
packages = build-essential make/bookworm
EOT
D1=$("$PROVFS" env --store "$S" --quiet build "$T/env.def") || fail "env build 1"
D2=$("$PROVFS" env --store "$S" --quiet build "$T/env.def") || fail "env build 2"
assert_eq "$D1" "$D2" "digest of the same definition built twice"
"$PROVFS" env --store "$S" show "$D1" | grep -q "build-essential" || fail "packages"
# zlib's Debian source
APT=$CACHE/apt
mkdir -p "$APT/lists/partial" "$T/ws"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main" >"$APT/sources.list"
apt_src() {
	apt-get -o Dir::Etc::SourceList="$APT/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
		-o Dir::State::Lists="$APT/lists" -o APT::Get::List-Cleanup=0 "$@"
}
apt_src update -qq >/dev/null 2>&1 || exit 77
(cd "$T/ws" && apt_src source -qq zlib >/dev/null 2>&1) || fail "apt-get source zlib"
src=$(cd "$T/ws" && ls -d zlib-*/ | head -1)
[ -n "$src" ] || fail "no zlib source tree"
for i in 1 2; do
	rm -rf "$T/ws/build$i" && cp -a "$T/ws/$src" "$T/ws/build$i"
	(cd "$T/ws/build$i" && "$PROVFS" run --store "$S" --env "$D1" --quiet \
		--out "$T/m$i.json" -- sh -c './configure && make -j2 libz.a example') ||
		fail "zlib build $i in the environment"
	"$PROVFS" verify --key "$S/keys/provfs.pub" "$T/m$i.json" "$T/ws/build$i/libz.a" ||
		fail "manifest $i"
done
for i in 1 2; do
	python3 - "$T/m$i.json" "$D1" <<'PY' || fail "manifest $i environment"
import base64, json, sys
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
deps = json.dumps(st["predicate"]["buildDefinition"]["resolvedDependencies"])
assert sys.argv[2] in deps, "environment digest"
assert "gcc-12" in deps, "gcc's package"
PY
done
exit 0
