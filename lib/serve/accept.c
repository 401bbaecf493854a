/* The server's acceptor: takes connections off the listening socket,
 * waits for each one's first bytes, and hands it on with the length of
 * the body its first request announces (internal.h says why). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* How much of a first request is looked at for its Content-Length: the
 * headers of any usual request. */
#define PEEK_BYTES 2048

/* A connection accepted whose first bytes have not come: in the epoll
 * set, and in a list by age, the oldest first (they expire in order). */
struct pending {
	int fd;
	socklen_t len;
	struct sockaddr_storage ss;
	double since;
	struct pending *prev, *next;
};

struct sv_acceptor {
	int lfd;
	int ep;
	int wake[2];		/* a byte on wake[1]: stop */
	unsigned timeout_s;	/* 0: wait for first bytes for ever */
	sv_hand_fn *hand;
	void *ud;
	struct pending *head, *tail;
	pthread_t thread;
	int running;
};

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The value of the Content-Length header among the n bytes of a
 * request's beginning at p, or 0 (none, or not among them). Only a
 * hint: libmicrohttpd reads the request itself. */
size_t
sv_peek_body_length(const char *p, size_t n)
{
	static const char name[] = "\ncontent-length:";
	const size_t k = sizeof(name) - 1;

	for (size_t i = 0; i + k <= n; i++) {
		size_t j = 0, v = 0;

		if (p[i] != '\n')
			continue;
		/* the end of the headers */
		if (i + 1 < n && (p[i + 1] == '\r' || p[i + 1] == '\n'))
			return 0;
		while (j < k && (p[i + j] | (p[i + j] >= 'A' &&
		    p[i + j] <= 'Z' ? 0x20 : 0)) == name[j])
			j++;
		if (j < k)
			continue;
		for (i += k; i < n && (p[i] == ' ' || p[i] == '\t'); i++)
			;
		for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
			if (v > ((size_t)-1 - 9) / 10)
				return (size_t)-1;
			v = v * 10 + (size_t)(p[i] - '0');
		}
		return v;
	}
	return 0;
}

static void
unlink_pending(struct sv_acceptor *a, struct pending *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		a->head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		a->tail = p->prev;
}

/* Hands p's connection on when its first bytes are there: 1 when it is
 * gone (handed on, or closed at its end or an error), 0 to wait. */
static int
try_hand(struct sv_acceptor *a, int fd, const struct sockaddr_storage *ss,
    socklen_t len)
{
	char buf[PEEK_BYTES];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return 0;
	if (n <= 0) {
		close(fd);
		return 1;
	}
	a->hand(a->ud, fd, (const struct sockaddr *)ss, len,
	    sv_peek_body_length(buf, (size_t)n));
	return 1;
}

static void
drop_pending(struct sv_acceptor *a, struct pending *p)
{
	(void)epoll_ctl(a->ep, EPOLL_CTL_DEL, p->fd, NULL);
	unlink_pending(a, p);
	free(p);
}

static void
accept_some(struct sv_acceptor *a)
{
	/* what the backlog holds, a bounded number at a time */
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
		struct pending *p;
		int fd = accept4(a->lfd, (struct sockaddr *)&ss, &len,
		    SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0) {
			/* out of descriptors or memory: wait for
			 * connections to close rather than spin */
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				struct pollfd w = { .fd = a->wake[0],
				    .events = POLLIN };

				(void)poll(&w, 1, 100);
			}
			return;
		}
		/* a client that wrote its request with the connect */
		if (try_hand(a, fd, &ss, len))
			continue;
		p = malloc(sizeof(*p));
		if (p) {
			p->fd = fd;
			p->ss = ss;
			p->len = len;
			ev.data.ptr = p;
			if (epoll_ctl(a->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
				free(p);
				p = NULL;
			}
		}
		if (!p) {
			/* no memory to wait with it: on as it is */
			a->hand(a->ud, fd, (struct sockaddr *)&ss, len, 0);
			continue;
		}
		p->since = mono_s();
		p->next = NULL;
		p->prev = a->tail;
		if (a->tail)
			a->tail->next = p;
		else
			a->head = p;
		a->tail = p;
	}
}

static void *
accept_loop(void *arg)
{
	struct sv_acceptor *a = arg;
	struct epoll_event evs[64];

	for (;;) {
		int n, wait = -1;

		/* those that never spoke close after --timeout, as
		 * libmicrohttpd closes an idle connection */
		if (a->head && a->timeout_s) {
			double now = mono_s();

			while (a->head && now - a->head->since >=
			    a->timeout_s) {
				int fd = a->head->fd;

				drop_pending(a, a->head);
				close(fd);
			}
			if (a->head)
				wait = 1000;
		}
		n = epoll_wait(a->ep, evs, 64, wait);
		if (n < 0) {
			/* out of memory for the wait: wait, never give up
			 * accepting while the server runs */
			if (errno != EINTR)
				usleep(100000);
			continue;
		}
		for (int i = 0; i < n; i++) {
			struct pending *p = evs[i].data.ptr;

			if (p == (void *)&a->wake)
				return NULL;
			if (!p) {
				accept_some(a);
				continue;
			}
			(void)epoll_ctl(a->ep, EPOLL_CTL_DEL, p->fd, NULL);
			if (try_hand(a, p->fd, &p->ss, p->len)) {
				unlink_pending(a, p);
				free(p);
			} else {
				struct epoll_event ev = { .events = EPOLLIN |
				    EPOLLRDHUP, .data.ptr = p };

				(void)epoll_ctl(a->ep, EPOLL_CTL_ADD, p->fd,
				    &ev);
			}
		}
	}
}

int
sv_accept_start(struct sv_acceptor **out, int lfd, unsigned timeout_s,
    sv_hand_fn *hand, void *ud, struct mlp_err *err)
{
	struct sv_acceptor *a = xcalloc(1, sizeof(*a));
	struct epoll_event ev = { .events = EPOLLIN };

	a->lfd = lfd;
	a->timeout_s = timeout_s;
	a->hand = hand;
	a->ud = ud;
	a->wake[0] = a->wake[1] = -1;
	a->ep = -1;
	if ((a->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    pipe2(a->wake, O_CLOEXEC | O_NONBLOCK) < 0 ||
	    epoll_ctl(a->ep, EPOLL_CTL_ADD, lfd, &ev) < 0 ||
	    (ev.data.ptr = &a->wake, epoll_ctl(a->ep, EPOLL_CTL_ADD,
	    a->wake[0], &ev)) < 0) {
		int e = errno;

		sv_accept_stop(a);
		return mlp_err_set(err, MLP_EFAIL, "cannot wait for "
		    "connections: %s", strerror(e));
	}
	if ((errno = pthread_create(&a->thread, NULL, accept_loop, a)) != 0) {
		int e = errno;

		sv_accept_stop(a);
		return mlp_err_set(err, MLP_EFAIL, "cannot start a thread: %s",
		    strerror(e));
	}
	a->running = 1;
	*out = a;
	return 0;
}

void
sv_accept_stop(struct sv_acceptor *a)
{
	if (!a)
		return;
	if (a->running) {
		(void)!write(a->wake[1], "x", 1);
		pthread_join(a->thread, NULL);
	}
	/* a request that has come goes on to be answered in the drain;
	 * a connection that has said nothing is closed */
	while (a->head) {
		struct pending *p = a->head;
		struct sockaddr_storage ss = p->ss;
		socklen_t len = p->len;
		int fd = p->fd;

		drop_pending(a, p);
		if (!try_hand(a, fd, &ss, len))
			close(fd);
	}
	if (a->ep >= 0)
		close(a->ep);
	if (a->wake[0] >= 0) {
		close(a->wake[0]);
		close(a->wake[1]);
	}
	free(a);
}
