#include "slavetty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

void slavetty_probe(struct slavetty *t, unsigned closed_std)
{
	pid_t fg;

	memset(t, 0, sizeof(*t));
	t->sock[0] = t->sock[1] = -1;
	for (int fd = 0; fd <= 2; fd++)
		if (!(closed_std & (1u << fd)) && isatty(fd))
			t->mask |= 1u << fd;
	fg = t->mask & 1 ? tcgetpgrp(0) : -1;
	/* A background job of the caller's shell (`provfs run ... &`): its
	 * reads of the terminal stopped it (SIGTTIN); out of the terminal's
	 * session, they would take the shell's input. */
	t->background = fg > 0 && fg != getpgrp();
	if ((t->mask & 3) != 3 || fg != getpgrp() || tcgetattr(0, &t->saved) < 0)
		return;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, t->sock) < 0)
		return;
	t->want = 1;
}

/* Sends fd (or, with fd < 0, a message without one) over sock. */
static void send_fd(int sock, int fd)
{
	char byte = fd >= 0;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

/* The descriptor send_fd sent, or -1. */
static int recv_fd(int sock)
{
	char byte, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	ssize_t n;
	int fd = -1;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

int slavetty_open(struct slavetty *t, long uid)
{
	struct winsize ws;
	int master, slave = -1, unlock = 0;

	if (!t->want)
		return -1;
	close(t->sock[0]);
	/* The slave's own devpts (mounted with /dev, if it could be): its
	 * terminals' names are the slave's, and the build reaches no other. */
	master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master >= 0 && ioctl(master, TIOCSPTLCK, &unlock) == 0)
		slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave >= 0) {
		tcsetattr(slave, TCSANOW, &t->saved);
		if (ioctl(1, TIOCGWINSZ, &ws) == 0)
			ioctl(slave, TIOCSWINSZ, &ws);
		if (uid >= 0 && fchown(slave, (uid_t)uid, (gid_t)-1) < 0) {
			close(slave);
			slave = -1;
		}
	}
	send_fd(t->sock[1], slave >= 0 ? master : -1);
	close(t->sock[1]);
	if (master >= 0)
		close(master);
	return slave;
}

void slavetty_attach(const struct slavetty *t, int slave)
{
	setsid();
	if (t->background) {
		int null = open("/dev/null", O_RDONLY);

		if (null > 0) {
			dup2(null, 0);
			close(null);
		}
	}
	if (slave < 0)
		return;
	/* Should that fail, the pty serves all the same, without job control:
	 * the relay has set the caller's terminal raw. */
	ioctl(slave, TIOCSCTTY, 0);
	for (int fd = 0; fd <= 2; fd++)
		if (t->mask & (1u << fd))
			dup2(slave, fd);
	if (slave > 2)
		close(slave);
}

/* The caller's terminal as it was.  SIGTTOU blocked: should provfs be in
 * the background by now (stopped with kill -TSTP, then bg), the settings
 * are put back all the same, rather than the process stopped for it. */
static void restore_terminal(const struct termios *saved)
{
	sigset_t ttou, old;

	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	tcsetattr(0, TCSADRAIN, saved);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static volatile sig_atomic_t relay_winch;

static void on_winch(int sig)
{
	(void)sig;
	relay_winch = 1;
}

static void on_child(int sig)
{
	(void)sig; /* only to interrupt poll */
}

static int init_ended(pid_t init)
{
	siginfo_t si = {0};

	return waitid(P_PID, (id_t)init, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == init;
}

/* Copies what the build wrote to its terminal to ours: one read's worth,
 * or with drain, all there is now.  Returns 0 once the master reads EIO
 * or EOF: no process has the terminal open any more. */
static int relay_out(int master, int drain)
{
	char buf[16384];

	for (;;) {
		ssize_t n = read(master, buf, sizeof(buf));

		if (n > 0) {
			write_full(1, buf, (size_t)n);
			if (drain)
				continue;
			return 1;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && errno == EAGAIN;
	}
}

/* What the caller's terminal holds already, read while it is still in
 * canonical mode, into buf: put in raw mode, the kernel would hand a
 * pending end of file on as a NUL byte (script -c ... </dev/null writes
 * ^D into its pty at once), and the build, whose pty is canonical too,
 * would wait for input for ever.  An end of file becomes saved's VEOF
 * character, which the build's pty takes as one. */
static size_t pending_input(const struct termios *saved, char *buf, size_t size)
{
	size_t len = 0;

	if (!(saved->c_lflag & ICANON))
		return 0;
	while (len < size) {
		struct pollfd p = {.fd = 0, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
			break;
		n = read(0, buf + len, size - len);
		if (n < 0)
			break;
		if (n == 0) {
			buf[len++] = (char)saved->c_cc[VEOF];
			break;
		}
		len += (size_t)n;
	}
	return len;
}

void slavetty_relay(struct slavetty *t, pid_t init)
{
	struct sigaction winch = {.sa_handler = on_winch}, chld = {.sa_handler = on_child};
	struct termios raw;
	sigset_t block, unblocked;
	char in[4096];
	size_t in_off = 0, in_len = 0;
	int master, host_open = 1, master_open = 1;

	if (!t->want)
		return;
	close(t->sock[1]);
	master = recv_fd(t->sock[0]);
	close(t->sock[0]);
	if (master < 0)
		return;
	fcntl(master, F_SETFL, O_NONBLOCK);
	/* No SA_RESTART: either interrupts poll. */
	sigemptyset(&winch.sa_mask);
	sigemptyset(&chld.sa_mask);
	sigaction(SIGWINCH, &winch, NULL);
	sigaction(SIGCHLD, &chld, NULL);
	/* Blocked but while in ppoll: init's end cannot slip in between the
	 * check and the wait. */
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGWINCH);
	sigprocmask(SIG_BLOCK, &block, &unblocked);
	in_len = pending_input(&t->saved, in, sizeof(in));
	raw = t->saved;
	cfmakeraw(&raw);
	tcsetattr(0, TCSADRAIN, &raw);
	while (!init_ended(init)) {
		struct pollfd p[2] = {
			{.fd = host_open && !in_len ? 0 : -1, .events = POLLIN},
			{.fd = master_open ? master : -1, .events = POLLIN | (in_len ? POLLOUT : 0)},
		};
		struct winsize ws;

		if (relay_winch) {
			relay_winch = 0;
			if (ioctl(1, TIOCGWINSZ, &ws) == 0)
				ioctl(master, TIOCSWINSZ, &ws);
		}
		if (ppoll(p, 2, NULL, &unblocked) <= 0)
			continue;
		if (p[0].revents) {
			ssize_t n = read(0, in, sizeof(in));

			if (n > 0) {
				in_off = 0;
				in_len = (size_t)n;
			} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
				host_open = 0;
			}
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
			master_open = relay_out(master, 0);
		if (in_len && master_open && (p[1].revents & POLLOUT)) {
			ssize_t n = write(master, in + in_off, in_len);

			if (n > 0) {
				in_off += (size_t)n;
				in_len -= (size_t)n;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				in_len = 0;
			}
		}
		if (!master_open)
			in_len = 0;
	}
	if (master_open)
		relay_out(master, 1);
	close(master);
	restore_terminal(&t->saved);
	signal(SIGWINCH, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigprocmask(SIG_SETMASK, &unblocked, NULL);
}

void slavetty_close(struct slavetty *t)
{
	if (t->sock[0] >= 0)
		close(t->sock[0]);
	if (t->sock[1] >= 0)
		close(t->sock[1]);
	t->sock[0] = t->sock[1] = -1;
}

void slavetty_restore(const struct slavetty *t)
{
	if (t->want)
		restore_terminal(&t->saved);
}
