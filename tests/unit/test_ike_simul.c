// SPDX-License-Identifier: MIT
/*
 * Two engines that both want the tunnel (start_action start on both ends),
 * one loaded at every stage of the other's handshake, many times over
 * (the SPIs, and so the survivor of a duplicate pair, differ every run);
 * and the new attempts of a connection whose peer does not answer: their
 * back-off, the tunnel they bring up once the peer appears, and their end
 * on removal and on terminate.
 */
#include "ike_pair.h"

static const char *PSK = "simul-test-psk-0123456789";
static const char *SUITE = "chacha20poly1305-prfsha256-x25519";
static struct ike_child_cfg ca, cb;

static void load_as(struct pair *pr, int i, const char *name, uint8_t start)
{
	struct ike_conn_cfg c;

	if (i == 0) {
		conn_default(&c, name, "192.0.2.1", "192.0.2.2", "@a.example", "@b.example", PSK, SUITE);
		child_default(&ca, "net", "10.1.0.0/24", "10.2.0.0/24", "chacha20poly1305");
		ca.start_action = start;
		c.children = &ca;
	} else {
		conn_default(&c, name, "192.0.2.2", "192.0.2.1", "@b.example", "@a.example", PSK, SUITE);
		child_default(&cb, "net", "10.2.0.0/24", "10.1.0.0/24", "chacha20poly1305");
		cb.start_action = start;
		c.children = &cb;
	}
	c.n_children = 1;
	ok(ike_conn_add(pr->p[i].e, &c, pr->now) == NULL, "%s loads %s", pr->p[i].name, name);
}

static void load(struct pair *pr, int i, uint8_t start)
{
	load_as(pr, i, "net", start);
}

static int established(const struct ike_engine *e, uint64_t *spi_i)
{
	int n = 0;

	for (const struct ike_sa *sa = e->sas; sa; sa = sa->next)
		if (sa->state == IKE_ST_ESTABLISHED) {
			n++;
			*spi_i = sa->spi_i;
		}
	return n;
}

/* B loads after `k` datagrams of A's handshake have been delivered: 0 is
 * two initiations crossing, larger ones B's start while it answers A. */
static void simultaneous(void)
{
	int failures = 0, dups = 0, runs = 0;

	for (int round = 0; round < 8; round++)
		for (int k = 0; k < 6; k++) {
			static struct pair pr;
			uint64_t sa0 = 0, sa1 = 1;
			int n0, n1;
			bool good;

			pair_init(&pr, NULL, NULL);
			load(&pr, 0, IKE_START_START);
			pair_deliver(&pr, k);
			load(&pr, 1, IKE_START_START);
			pair_run(&pr, pr.now + 30000);
			n0 = established(pr.p[0].e, &sa0);
			n1 = established(pr.p[1].e, &sa1);
			good = n0 == 1 && n1 == 1 && sa0 == sa1 && live_children(&pr.p[0]) == 1 &&
			       children_match(&pr) && ev_find(&pr.p[0], "ike-down") < 0 &&
			       ev_find(&pr.p[1], "ike-down") < 0 && pr.p[0].e->n_sas == 1 &&
			       pr.p[1].e->n_sas == 1;
			if (!good) {
				if (!failures)
					dump_log(&pr);
				printf("# round %d, B loaded after %d datagrams: %d and %d IKE SAs up, %d children\n",
				       round, k, n0, n1, live_children(&pr.p[0]));
				failures++;
			}
			dups += log_find(&pr, 0, "INFORMATIONAL request") >= 0 &&
				log_find(&pr, 0, "{ D }") >= 0;
			runs++;
			pair_free(&pr);
		}
	ok(failures == 0, "%d runs of both ends starting: each ends with one IKE SA and one CHILD SA pair both agree on, no ike-down", runs);
	ok(dups > 0, "the crossing runs made duplicates, deleted by one side (%d runs)", dups);
}

static void retries(void)
{
	static struct pair pr;
	uint64_t t0, spi = 0;
	int64_t in1, in2;

	pair_init(&pr, NULL, NULL);
	pr.dead[1] = true;		/* B's host is down */
	load(&pr, 0, IKE_START_START);
	load(&pr, 1, IKE_START_NONE);
	t0 = pr.now;
	/* 1+2+4+8+16+32 s of retransmissions (the defaults), then a new
	 * attempt 1 s (+ up to 20 %) later. */
	pair_run(&pr, t0 + 63500);
	in1 = ike_conn_reinit_in(pr.p[0].e, "net", pr.now);
	ok(in1 > 0 && in1 <= 700, "after the first unanswered attempt, the next is due in ~1 s (%lld ms)",
	   (long long)in1);
	/* The second attempt starts at 64-64.2 s and gives up 63 s later. */
	pair_run(&pr, t0 + 127500);
	in2 = ike_conn_reinit_in(pr.p[0].e, "net", pr.now);
	ok(in2 > 1200 && in2 <= 2400, "then in ~2 s (%lld ms)", (long long)in2);
	ok(ev_find(&pr.p[0], "ike-up") < 0, "nothing came up meanwhile");
	pr.dead[1] = false;
	pair_run(&pr, pr.now + 30000);
	ok(established(pr.p[0].e, &spi) == 1 && children_match(&pr),
	   "B's host back: the next attempt brings the tunnel up unasked");
	ok(ike_conn_reinit_in(pr.p[0].e, "net", pr.now) < 0, "no attempt pending once up");
	pair_free(&pr);

	/* Removal and terminate end the attempts: no timer left at all. */
	for (int how = 0; how < 2; how++) {
		pair_init(&pr, NULL, NULL);
		pr.dead[1] = true;
		load(&pr, 0, IKE_START_START);
		pair_run(&pr, pr.now + 63500);
		ok(ike_conn_reinit_in(pr.p[0].e, "net", pr.now) > 0, "retrying before the %s",
		   how ? "terminate" : "removal");
		if (how)
			ok(ike_terminate(pr.p[0].e, "net", NULL, pr.now) == 0, "terminate accepted");
		else
			ok(ike_conn_remove(pr.p[0].e, "net", pr.now) == 0, "removal accepted");
		ok(ike_next_timer(pr.p[0].e) == UINT64_MAX, "%s: no timer left",
		   how ? "terminated" : "removed");
		pr.n_log = 0;
		pair_run(&pr, pr.now + 600000);
		ok(pr.n_log == 0, "%s: nothing sent in the next 10 minutes", how ? "terminated" : "removed");
		pair_free(&pr);
	}
}

/* B answers A's IKE_SA_INIT under connection "old", then a new revision
 * replaces "old" by "new" with the same peer before A's IKE_AUTH arrives.
 * Nothing is authenticated yet, so the half-open SA is no SA of "old":
 * IKE_AUTH picks whichever connection accepts the peer then. */
static void reload_while_half_open(void)
{
	static struct pair pr;
	uint64_t s0 = 0, s1 = 1;

	for (int has_new = 1; has_new >= 0; has_new--) {
		pair_init(&pr, NULL, NULL);
		load_as(&pr, 1, "old", IKE_START_NONE);
		load_as(&pr, 0, "new", IKE_START_START);
		pair_deliver(&pr, 1);		/* A's IKE_SA_INIT request, B answers it */
		ok(pr.p[1].e->n_half_open == 1, "B holds a half-open SA");
		ok(ike_conn_remove(pr.p[1].e, "old", pr.now) == 0, "B removes old");
		if (has_new)
			load_as(&pr, 1, "new", IKE_START_NONE);
		pair_run(&pr, pr.now + 5000);
		if (has_new) {
			ok(established(pr.p[0].e, &s0) == 1 && established(pr.p[1].e, &s1) == 1 &&
			   s0 == s1 && children_match(&pr),
			   "the handshake completes under B's new connection within 5 s");
		} else {
			ok(established(pr.p[0].e, &s0) == 0 && ev_find(&pr.p[0], "auth-failed") >= 0,
			   "with no connection left, A's IKE_AUTH is refused at once, not left unanswered");
			ok(pr.p[1].e->n_half_open == 0 && pr.p[1].e->n_sas == 0, "and B keeps nothing");
		}
		pair_free(&pr);
	}
}

int main(void)
{
	reload_while_half_open();
	simultaneous();
	retries();
	return tap_done();
}
