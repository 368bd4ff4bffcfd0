/* SPDX-License-Identifier: MIT */
/*
 * The event loop of secgw-iked: one thread, epoll for file descriptors, a
 * min-heap of timers, signals through signalfd. Everything iked does on its
 * control side runs from here — the control socket, datapath events, and
 * (issue 5) the IKE engine's sockets and retransmission timers.
 *
 * Timers are embedded in their owner (no allocation to arm one):
 *
 *	struct loop_timer t;
 *	loop_timer_init(&t, on_timeout, sa);
 *	loop_timer_arm(loop, &t, 500);     // fires once in 500 ms; re-arm moves it
 *	loop_timer_cancel(loop, &t);       // safe when not armed
 */
#ifndef SECGW_LOOP_H
#define SECGW_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;

enum loop_events {
	LOOP_IN = 1u << 0,
	LOOP_OUT = 1u << 1,
	LOOP_ERR = 1u << 2,	/* error or hang-up, always reported */
};

/* Called with the events that are ready (enum loop_events bits). */
typedef void (*loop_fd_fn)(void *arg, int fd, unsigned events);
typedef void (*loop_timer_fn)(void *arg);
typedef void (*loop_signal_fn)(void *arg, int signo);

struct loop_timer {
	loop_timer_fn fn;
	void *arg;
	uint64_t due_ms;	/* monotonic */
	unsigned slot;		/* heap index + 1; 0 when not armed */
};

struct loop *loop_new(void);
void loop_free(struct loop *l);

/* Watch fd (level-triggered). One registration per fd. 0 or -errno. */
int loop_fd_add(struct loop *l, int fd, unsigned events, loop_fd_fn fn, void *arg);
int loop_fd_mod(struct loop *l, int fd, unsigned events);
/* Stop watching; safe to call from the fd's own callback (then close fd). */
void loop_fd_del(struct loop *l, int fd);

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *arg);
/* (Re)arm to fire once after ms milliseconds. 0 or -ENOMEM. */
int loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t ms);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);
static inline bool loop_timer_armed(const struct loop_timer *t)
{
	return t->slot != 0;
}

/* Deliver signo to fn from the loop (the signal is blocked for the whole
 * process; call before starting threads so they inherit the mask). */
int loop_signal_add(struct loop *l, int signo, loop_signal_fn fn, void *arg);

/* Run until loop_stop. Returns 0, or -errno when epoll fails. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);
uint64_t loop_now_ms(void);

#endif
