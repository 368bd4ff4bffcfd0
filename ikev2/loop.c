// SPDX-License-Identifier: MIT
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

enum {
	LOOP_EVENTS_MAX = 64,
	LOOP_SIGNALS_MAX = 8,
};

struct watch {
	int fd;
	loop_fd_fn fn;
	void *arg;
	struct watch *next;
};

struct sigwatch {
	int signo;
	loop_signal_fn fn;
	void *arg;
};

struct loop {
	int ep;
	bool stop;
	struct watch *watches;
	struct loop_timer **heap;
	unsigned n_timers, cap_timers;
	int sfd;
	sigset_t sigs;
	struct sigwatch sw[LOOP_SIGNALS_MAX];
	unsigned n_sw;
};

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	l->sfd = -1;
	sigemptyset(&l->sigs);
	if (l->ep < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	while (l->watches) {
		struct watch *w = l->watches;

		l->watches = w->next;
		free(w);
	}
	if (l->sfd >= 0)
		close(l->sfd);
	close(l->ep);
	free(l->heap);
	free(l);
}

static uint32_t to_epoll(unsigned ev)
{
	return (ev & LOOP_IN ? EPOLLIN : 0) | (ev & LOOP_OUT ? EPOLLOUT : 0);
}

int loop_fd_add(struct loop *l, int fd, unsigned events, loop_fd_fn fn, void *arg)
{
	struct watch *w = calloc(1, sizeof(*w));
	struct epoll_event e = { .events = to_epoll(events) };

	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->fn = fn;
	w->arg = arg;
	e.data.ptr = w;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &e) < 0) {
		int rc = -errno;

		free(w);
		return rc;
	}
	w->next = l->watches;
	l->watches = w;
	return 0;
}

static struct watch *find(struct loop *l, int fd)
{
	for (struct watch *w = l->watches; w; w = w->next)
		if (w->fd == fd)
			return w;
	return NULL;
}

int loop_fd_mod(struct loop *l, int fd, unsigned events)
{
	struct watch *w = find(l, fd);
	struct epoll_event e = { .events = to_epoll(events) };

	if (!w)
		return -ENOENT;
	e.data.ptr = w;
	return epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &e) < 0 ? -errno : 0;
}

void loop_fd_del(struct loop *l, int fd)
{
	struct watch **pp;

	for (pp = &l->watches; *pp; pp = &(*pp)->next)
		if ((*pp)->fd == fd) {
			struct watch *w = *pp;

			epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
			*pp = w->next;
			/* Events already fetched for it in this round are
			 * skipped: run() looks the watch up again. */
			free(w);
			return;
		}
}

/* ---- timers: a binary min-heap on due_ms ----------------------------------- */

static void heap_set(struct loop *l, unsigned i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->slot = i + 1;
}

static void sift_up(struct loop *l, unsigned i)
{
	struct loop_timer *t = l->heap[i];

	while (i > 0) {
		unsigned p = (i - 1) / 2;

		if (l->heap[p]->due_ms <= t->due_ms)
			break;
		heap_set(l, i, l->heap[p]);
		i = p;
	}
	heap_set(l, i, t);
}

static void sift_down(struct loop *l, unsigned i)
{
	struct loop_timer *t = l->heap[i];

	for (;;) {
		unsigned c = 2 * i + 1;

		if (c >= l->n_timers)
			break;
		if (c + 1 < l->n_timers && l->heap[c + 1]->due_ms < l->heap[c]->due_ms)
			c++;
		if (t->due_ms <= l->heap[c]->due_ms)
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->arg = arg;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	unsigned i;

	if (!t->slot)
		return;
	i = t->slot - 1;
	t->slot = 0;
	l->n_timers--;
	if (i == l->n_timers)
		return;
	{
		struct loop_timer *m = l->heap[l->n_timers];

		heap_set(l, i, m);
		sift_up(l, i);
		sift_down(l, m->slot - 1);
	}
}

int loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t ms)
{
	loop_timer_cancel(l, t);
	if (l->n_timers == l->cap_timers) {
		unsigned nc = l->cap_timers ? 2 * l->cap_timers : 64;
		struct loop_timer **h = realloc(l->heap, nc * sizeof(*h));

		if (!h)
			return -ENOMEM;
		l->heap = h;
		l->cap_timers = nc;
	}
	t->due_ms = loop_now_ms() + ms;
	l->heap[l->n_timers] = t;
	t->slot = ++l->n_timers;
	sift_up(l, l->n_timers - 1);
	return 0;
}

/* ---- signals ---------------------------------------------------------------- */

static void on_signal(void *arg, int fd, unsigned events)
{
	struct loop *l = arg;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		for (unsigned i = 0; i < l->n_sw; i++)
			if (l->sw[i].signo == (int)si.ssi_signo)
				l->sw[i].fn(l->sw[i].arg, (int)si.ssi_signo);
}

int loop_signal_add(struct loop *l, int signo, loop_signal_fn fn, void *arg)
{
	int fd;

	if (l->n_sw == LOOP_SIGNALS_MAX)
		return -ENOSPC;
	sigaddset(&l->sigs, signo);
	if (sigprocmask(SIG_BLOCK, &l->sigs, NULL) < 0)
		return -errno;
	fd = signalfd(l->sfd, &l->sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (l->sfd < 0) {
		int rc = loop_fd_add(l, fd, LOOP_IN, on_signal, l);

		if (rc < 0) {
			close(fd);
			return rc;
		}
		l->sfd = fd;
	}
	l->sw[l->n_sw++] = (struct sigwatch){ signo, fn, arg };
	return 0;
}

/* ---- running ------------------------------------------------------------------ */

void loop_stop(struct loop *l)
{
	l->stop = true;
}

static bool watch_alive(struct loop *l, struct watch *w)
{
	for (struct watch *x = l->watches; x; x = x->next)
		if (x == w)
			return true;
	return false;
}

int loop_run(struct loop *l)
{
	struct epoll_event ev[LOOP_EVENTS_MAX];

	l->stop = false;
	while (!l->stop) {
		int timeout = -1, n;
		uint64_t now = loop_now_ms();

		while (l->n_timers && l->heap[0]->due_ms <= now) {
			struct loop_timer *t = l->heap[0];

			loop_timer_cancel(l, t);
			t->fn(t->arg);
			if (l->stop)
				return 0;
		}
		if (l->n_timers) {
			uint64_t d = l->heap[0]->due_ms - now;

			timeout = d > 60000 ? 60000 : (int)d;
		}
		n = epoll_wait(l->ep, ev, LOOP_EVENTS_MAX, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !l->stop; i++) {
			struct watch *w = ev[i].data.ptr;
			unsigned e = 0;

			/* A callback earlier in this round may have removed it. */
			if (!watch_alive(l, w))
				continue;
			if (ev[i].events & EPOLLIN)
				e |= LOOP_IN;
			if (ev[i].events & EPOLLOUT)
				e |= LOOP_OUT;
			if (ev[i].events & (EPOLLERR | EPOLLHUP))
				e |= LOOP_ERR | LOOP_IN;
			w->fn(w->arg, w->fd, e);
		}
	}
	return 0;
}
