# A real multi-file C build with make inside the mount: the log lists every
# source and header read and every object written, with correct digests.
. "$(dirname "$0")/lib.sh"
command -v make >/dev/null && command -v cc >/dev/null || exit 77
B=$T/b
mkdir -p "$B/src" "$B/include"
for i in 1 2 3 4 5; do
	cat >"$B/include/mod$i.h" <<EOT
#ifndef MOD${i}_H
#define MOD${i}_H
int mod$i(int x);
#endif
EOT
	cat >"$B/src/mod$i.c" <<EOT
#include "mod$i.h"
int mod$i(int x) { return x * $i; }
EOT
done
cat >"$B/src/main.c" <<'EOT'
#include <stdio.h>
#include "mod1.h"
#include "mod2.h"
#include "mod3.h"
#include "mod4.h"
#include "mod5.h"
int main(void) { printf("%d\n", mod1(1) + mod2(1) + mod3(1) + mod4(1) + mod5(1)); return 0; }
EOT
cat >"$B/Makefile" <<'EOT'
OBJS = src/main.o src/mod1.o src/mod2.o src/mod3.o src/mod4.o src/mod5.o
prog: $(OBJS)
	$(CC) -o $@ $(OBJS)
src/%.o: src/%.c
	$(CC) -Iinclude -O1 -c $< -o $@
EOT
mount_ws "$B" "$T/m"
make -C "$T/m" -j2 >/dev/null || fail "make failed inside the mount"
assert_eq 15 "$("$T/m/prog")" "program output"
umount_ws "$T/m"
for f in src/main.c src/mod1.c src/mod5.c include/mod1.h include/mod5.h Makefile; do
	assert_eq "$(sha "$B/$f")" "$(input_digest "/$f")" "input $f"
done
for f in src/main.o src/mod1.o src/mod2.o src/mod3.o src/mod4.o src/mod5.o prog; do
	assert_eq "$(sha "$B/$f")" "$(output_digest "/$f")" "output $f"
done
# the compiler is among the processes, with its argv
n=$(sql "select count(*) from process where argv like '%mod3.c%'")
[ "$n" -ge 1 ] || fail "no process with mod3.c in its argv"
exit 0
