// SPDX-License-Identifier: MIT
/* ikev2/loop.c: timers fire in order, cancel and re-arm work, fds are
 * dispatched, and a callback may remove its own fd. */
#include <unistd.h>

#include "ikev2/loop.h"
#include "tap.h"

static struct loop *L;
static char order[16];
static int n_order;

static void tick(void *arg)
{
	order[n_order++] = *(const char *)arg;
	if (n_order == 4)
		loop_stop(L);
}

static int reads;

static void on_read(void *arg, int fd, unsigned ev)
{
	char b[8];

	if (read(fd, b, sizeof(b)) > 0)
		reads++;
	loop_fd_del(L, fd);	/* removing itself from inside its callback */
}

int main(void)
{
	static const char a = 'a', b = 'b', c = 'c', d = 'd', x = 'x';
	struct loop_timer ta, tb, tc, td, tx;
	int p[2];

	L = loop_new();
	ok(L != NULL, "loop created");
	loop_timer_init(&ta, tick, (void *)&a);
	loop_timer_init(&tb, tick, (void *)&b);
	loop_timer_init(&tc, tick, (void *)&c);
	loop_timer_init(&td, tick, (void *)&d);
	loop_timer_init(&tx, tick, (void *)&x);
	loop_timer_arm(L, &tc, 30);
	loop_timer_arm(L, &ta, 10);
	loop_timer_arm(L, &tx, 5);
	loop_timer_arm(L, &td, 40);
	loop_timer_arm(L, &tb, 100);
	loop_timer_arm(L, &tb, 20);	/* re-arm moves it */
	loop_timer_cancel(L, &tx);
	ok(!loop_timer_armed(&tx) && loop_timer_armed(&ta), "cancel disarms only that timer");
	if (pipe(p) == 0) {
		ok(write(p[1], "z", 1) == 1, "pipe written");
		is_int(loop_fd_add(L, p[0], LOOP_IN, on_read, NULL), 0, "fd watched");
	}
	is_int(loop_run(L), 0, "loop ran until stopped");
	order[n_order] = 0;
	is_str(order, "abcd", "timers fired in due order, the cancelled one never");
	is_int(reads, 1, "the readable fd was dispatched once and removed itself");
	loop_free(L);
	close(p[0]);
	close(p[1]);
	return tap_done();
}
