/*
 * slavetty: the slave's terminal.  COMMAND always runs in a session of
 * its own, so the caller's terminal is never its controlling terminal
 * (sandbox.c's init_forward passes its signals on): it cannot open
 * it as /dev/tty, nor push input into it (TIOCSTI) for the caller's shell
 * to run once provfs has ended.  Where provfs runs in the foreground of a
 * terminal (its stdin and stdout one), COMMAND gets a terminal of its own
 * instead, as `podman run -t` does: a pseudo-terminal of the slave's
 * devpts, its controlling terminal, on each of its descriptors 0 to 2 that
 * was the caller's terminal; the sandbox's outer process copies between
 * the two, the caller's terminal in raw mode meanwhile (Ctrl-C reaches
 * the build through its own terminal), and passes on size changes.
 * Then `tty` in the slave names /dev/pts/N, and job control works.  In
 * the background of a terminal, COMMAND reads /dev/null, not the
 * terminal, whose input is the caller's shell's. */
#ifndef PROVFS_SLAVETTY_H
#define PROVFS_SLAVETTY_H

#include <sys/types.h>
#include <termios.h>

struct slavetty {
	int want;              /* a pseudo-terminal for COMMAND */
	unsigned mask;         /* bit N: descriptor N is the caller's terminal */
	int background;        /* stdin is the terminal, provfs not in its
				* foreground: COMMAND's stdin is /dev/null */
	struct termios saved;  /* the caller's terminal's settings */
	int sock[2];           /* init sends the master to the outer process */
};

/* In provfs, before the sandbox forks: fills *t.  closed_std as in
 * struct sandbox_config.  Never fails: at worst, no pseudo-terminal. */
void slavetty_probe(struct slavetty *t, unsigned closed_std);

/* In the sandbox's init, in the slave's root: makes the pseudo-terminal
 * (settings and size as the caller's), sends its master to the outer
 * process and returns the other end (-1: none, COMMAND keeps the caller's
 * descriptors).  uid >= 0: the terminal becomes that user's. */
int slavetty_open(struct slavetty *t, long uid);

/* In COMMAND's process: a new session, and with slave >= 0, that on the
 * descriptors of t->mask and, where the kernel allows, as its controlling
 * terminal.  In the background, stdin becomes /dev/null. */
void slavetty_attach(const struct slavetty *t, int slave);

/* In the outer process, once init is forked: copies between the caller's
 * terminal and the master until init has ended (not reaped), then puts
 * the caller's terminal back as it was.  Returns at once without a
 * pseudo-terminal. */
void slavetty_relay(struct slavetty *t, pid_t init);

/* In provfs, once the sandbox has forked: its ends of t->sock closed. */
void slavetty_close(struct slavetty *t);

/* In provfs, after the outer process has ended (even if killed): the
 * caller's terminal as it was before. */
void slavetty_restore(const struct slavetty *t);

#endif
