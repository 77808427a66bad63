# Shared by the benchmarks (sourced, with ROOT, CACHE and ONLY set):
# helpers, the Debian sources they build, and how each is built.

want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }

log() { echo "# $*" >&2; }

now() { date +%s.%N; }

# calc EXPR: floating-point arithmetic (awk, so no bc needed); prints 1/0 for comparisons.
calc() { awk "BEGIN { print ($1) }"; }

# The script's opening comment, as its --help.
usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

install_deps() { # PACKAGE...: apt-get install the ones missing
	local missing="" p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	log "installing dependencies:$missing"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# add_sample ROW MODE SECONDS: into the caller's associative array SAMPLES.
add_sample() { SAMPLES["$1 $2"]="${SAMPLES["$1 $2"]:-} $3"; }

# median N...: of the numbers given ("nan" for none), three decimals.
median() {
	[ $# -gt 0 ] || { echo nan; return; }
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR == 0) print "nan"; else if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2];
		      else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ---- inputs, fetched once into bench/.cache (private deb-src list) ----

APT_DIR=$CACHE/apt
apt_src() { # apt-get with a private deb-src list: the machine's sources stay as they are
	apt-get -o Dir::Etc::SourceList="$APT_DIR/sources.list" \
		-o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists="$APT_DIR/lists" \
		-o APT::Get::List-Cleanup=0 "$@"
}

apt_src_setup() { # write the private deb-src list and fetch its package lists
	mkdir -p "$APT_DIR/lists/partial" "$CACHE/src"
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
		"http://deb.debian.org/debian bookworm main" >"$APT_DIR/sources.list"
	apt_src update -qq
}

fetch_sources() {
	[ -d "$CACHE/src/zlib" ] && [ -d "$CACHE/src/lua" ] && return 0
	log "fetching zlib and lua5.4 sources with apt-get source"
	apt_src_setup
	(cd "$CACHE/src" && apt_src source --download-only -qq zlib lua5.4 2>/dev/null)
	(cd "$CACHE/src" && rm -rf zlib lua &&
		dpkg-source -x zlib_*.dsc zlib >/dev/null &&
		dpkg-source -x lua5.4_*.dsc lua >/dev/null)
}

# libfuse's own example filesystem passthrough_ll (no logging, no hashing):
# the FUSE floor.  Only example/passthrough_ll.c from the fuse3 source
# package, compiled against the installed libfuse3 (needs gcc, pkg-config,
# libfuse3-dev and dpkg-dev).
PASSTHROUGH_LL=$CACHE/passthrough_ll
build_passthrough_ll() {
	[ -x "$PASSTHROUGH_LL" ] && return 0
	if [ ! -d "$CACHE/src/fuse3" ]; then
		log "fetching fuse3 sources with apt-get source"
		apt_src_setup
		(cd "$CACHE/src" && apt_src source --download-only -qq fuse3 2>/dev/null)
		(cd "$CACHE/src" && rm -rf fuse3 && dpkg-source -x fuse3_*.dsc fuse3 >/dev/null)
	fi
	local have src
	have=$(pkg-config --modversion fuse3)
	src=$(sed -n 's/^Version: \([^-]*\).*/\1/p' "$CACHE"/src/fuse3_*.dsc | head -1)
	[ "$have" = "$src" ] ||
		log "warning: fuse3 source $src, installed libfuse3 $have"
	log "building passthrough_ll against libfuse3 $have"
	# shellcheck disable=SC2046
	gcc -O2 -Wall -o "$PASSTHROUGH_LL.tmp" "$CACHE/src/fuse3/example/passthrough_ll.c" \
		$(pkg-config --cflags --libs fuse3) &&
		mv "$PASSTHROUGH_LL.tmp" "$PASSTHROUGH_LL"
}

# ---- the builds: one shell command each, run in the source directory ----

BUILD_zlib='./configure >/dev/null && make -j2 >/dev/null'
# What lua5.4's debian/rules does, without the packaging,
# with only the objects made in parallel: src/Makefile's rule
# "$(LUA_A): $(BASE_O)" names two targets, so make -j2 runs its recipe (both
# libtool links) twice at once, and one link's "rm .libs/liblua5.4-c++.a"
# races the other's ranlib ("file truncated"), under any of the four modes.
# shellcheck disable=SC2016
BUILD_lua='mkdir debian/libtool && cp debian/configure.ac debian/libtool/ &&
(cd debian/libtool && LIBTOOLIZE="libtoolize -i" autoreconf -f -i && ./configure) >/dev/null 2>&1 &&
printf "#ifndef _LUA_DEB_MULTIARCH_\n#define _LUA_DEB_MULTIARCH_\n#define DEB_HOST_MULTIARCH \"%s\"\n#endif\n" \
	"$(gcc -print-multiarch)" >src/lua5.4-deb-multiarch.h &&
make -j2 linux-readline ALL=o LIBTOOL="$PWD/debian/libtool/libtool" CC="gcc -std=gnu99" >/dev/null 2>&1 &&
make linux-readline LIBTOOL="$PWD/debian/libtool/libtool" CC="gcc -std=gnu99" >/dev/null 2>&1 &&
test -x src/lua5.4'
