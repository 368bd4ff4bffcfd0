// SPDX-License-Identifier: MIT
/*
 * Receive: plain ESP (IP protocol 50) and ESP in UDP on a socket secgw-iked
 * hands over, the two ways Linux XFRM receives.
 *
 * Plain ESP: a handler in the xfrm4/xfrm6 protocol chains, ahead of esp4
 * and esp6 (higher priority). It takes a packet only when its SPI is in the
 * SAD of the packet's namespace; anything else returns -EINVAL, which makes
 * the chain go on to the kernel's own ESP: we chain, we never steal.
 *
 * ESP in UDP: the socket's encap_rcv hook, as the UDP_ENCAP socket option
 * sets for XFRM. A NAT-T keepalive is eaten; a datagram starting with the
 * non-ESP marker (IKE) goes on to the socket untouched, marker included,
 * exactly as with XFRM; the rest is ESP for kmod/core. The socket holds a
 * reference on the module until it is closed (encap_destroy), so the hook
 * can never point at unloaded code.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/udp.h>
#include <net/sock.h>
#include <net/udp.h>
#include <net/xfrm.h>

#include "compat.h"
#include "state.h"

enum {
	SECGW_XFRM_PRIORITY = 10,	/* esp4/esp6 register at 0: we are asked first */
	UDP_ENCAP_TYPE = 2,		/* UDP_ENCAP_ESPINUDP (linux/udp.h uapi) */
};

static DEFINE_MUTEX(encap_lock);

/* Is the SPI at off (from skb->data) one of this namespace's inbound SAs? */
static bool ours(struct secgw_net *sn, struct sk_buff *skb, unsigned off)
{
	struct secgw_tables *t = rcu_dereference(sn->tab);
	__be32 spi;

	if (!t || !t->sad.n || skb_copy_bits(skb, off, &spi, sizeof(spi)))
		return false;
	return esp_sad_lookup(&t->sad, ntohl(spi), NULL) != NULL;
}

/* A packet that is ours, skb->data at the network header. */
static void take(struct secgw_net *sn, struct sk_buff *skb, enum secgw_job job, u16 port)
{
	struct secgw_tables *t = rcu_dereference(sn->tab);

	if (t && t->any_async)
		secgw_defer(sn, skb, job, port);
	else
		secgw_rx_one(sn, skb, port);
}

static int esp_rcv(struct sk_buff *skb)
{
	struct secgw_net *sn = secgw_net(dev_net(skb->dev));

	/* A namespace on its way out still has devices after our state is
	 * torn down (state.c): it is not ours any more. */
	if (!sn || READ_ONCE(sn->dying))
		return -EINVAL;
	if (!ours(sn, skb, 0)) {
		secgw_ctr(sn, SECGW_ESP_CTR_PASSED_ON);
		return -EINVAL;	/* on to esp4/esp6 */
	}
	__skb_push(skb, skb->data - skb_network_header(skb));
	take(sn, skb, SECGW_JOB_RX, 0);
	return 0;
}

/* Called by xfrm for packets its own UDP sockets decapsulated: never ours. */
static int not_ours_input(struct sk_buff *skb, int nexthdr, __be32 spi, int encap_type)
{
	return -EINVAL;
}

/* After xfrm's own processing: 1 = not ours, ask the next handler. */
static int not_ours_cb(struct sk_buff *skb, int err)
{
	return 1;
}

static int err4(struct sk_buff *skb, u32 info)
{
	return -ENOENT;
}

static int err6(struct sk_buff *skb, struct inet6_skb_parm *opt, u8 type, u8 code,
		int offset, __be32 info)
{
	return -ENOENT;
}

static struct xfrm4_protocol esp4_handler = {
	.handler = esp_rcv,
	.input_handler = not_ours_input,
	.cb_handler = not_ours_cb,
	.err_handler = err4,
	.priority = SECGW_XFRM_PRIORITY,
};

static struct xfrm6_protocol esp6_handler = {
	.handler = esp_rcv,
	.input_handler = not_ours_input,
	.cb_handler = not_ours_cb,
	.err_handler = err6,
	.priority = SECGW_XFRM_PRIORITY,
};

/* skb->data at the UDP header. >0: to the socket; 0: consumed. */
static int encap_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct secgw_net *sn = secgw_net(sock_net(sk));
	unsigned ulen = skb->len > sizeof(struct udphdr) ? skb->len - sizeof(struct udphdr) : 0;
	u8 first[ESP_NON_ESP_MARKER_LEN];

	if (ulen == 1 && !skb_copy_bits(skb, sizeof(struct udphdr), first, 1) &&
	    first[0] == ESP_NAT_KEEPALIVE) {
		secgw_ctr(sn, SECGW_ESP_CTR_KEEPALIVES);
		kfree_skb(skb);
		return 0;
	}
	if (ulen >= ESP_NON_ESP_MARKER_LEN &&
	    !skb_copy_bits(skb, sizeof(struct udphdr), first, sizeof(first)) &&
	    !(first[0] | first[1] | first[2] | first[3])) {
		secgw_ctr(sn, SECGW_ESP_CTR_IKE);
		return 1;
	}
	/* ESP or garbage: kmod/core sorts it out and counts the drops. */
	__skb_push(skb, skb->data - skb_network_header(skb));
	take(sn, skb, SECGW_JOB_RX_UDP, ntohs(inet_sk(sk)->inet_sport));
	return 0;
}

static void encap_destroy(struct sock *sk)
{
	struct secgw_net *sn = secgw_net(sock_net(sk));
	struct secgw_encap *e, *n;

	mutex_lock(&encap_lock);
	list_for_each_entry_safe(e, n, &sn->encaps, node) {
		if (e->sk != sk)
			continue;
		list_del(&e->node);
		sn->n_encaps--;
		atomic_dec(&secgw_obj_sockets);
		kfree(e);
		module_put(THIS_MODULE);
		break;
	}
	mutex_unlock(&encap_lock);
}

int secgw_encap_attach(struct secgw_net *sn, int fd)
{
	struct secgw_encap *e;
	struct socket *sock;
	struct udp_sock *up;
	struct sock *sk;
	int err;

	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	sk = sock->sk;
	err = -EINVAL;
	if (!sk || sk->sk_type != SOCK_DGRAM || sk->sk_protocol != IPPROTO_UDP ||
	    (sk->sk_family != AF_INET && sk->sk_family != AF_INET6) ||
	    !net_eq(sock_net(sk), sn->net) || !inet_sk(sk)->inet_sport)
		goto out;
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	err = -ENOMEM;
	if (!e)
		goto out;
	mutex_lock(&encap_lock);
	lock_sock(sk);
	up = udp_sk(sk);
	err = -EBUSY;	/* already an encapsulation socket (ours or XFRM's) */
	if (up->encap_type || sn->n_encaps >= SECGW_ENCAP_MAX || !try_module_get(THIS_MODULE)) {
		release_sock(sk);
		mutex_unlock(&encap_lock);
		kfree(e);
		goto out;
	}
	e->sk = sk;
	e->net = sn->net;
	list_add(&e->node, &sn->encaps);
	sn->n_encaps++;
	atomic_inc(&secgw_obj_sockets);
	WRITE_ONCE(up->encap_destroy, encap_destroy);
	WRITE_ONCE(up->encap_rcv, encap_rcv);
	up->encap_type = UDP_ENCAP_TYPE;
	if (sk->sk_family == AF_INET6)
		udpv6_encap_enable();
	udp_encap_enable();
	release_sock(sk);
	mutex_unlock(&encap_lock);
	err = 0;
out:
	sockfd_put(sock);
	return err;
}

/* Sockets keep their namespace and the module alive, so by the time a
 * namespace goes, its list is empty; this only guards that belief. */
void secgw_encap_detach_all(struct secgw_net *sn)
{
	mutex_lock(&encap_lock);
	WARN_ON(!list_empty(&sn->encaps));
	mutex_unlock(&encap_lock);
}

int secgw_rx_init(void)
{
	int err = xfrm4_protocol_register(&esp4_handler, IPPROTO_ESP);

	if (err)
		return err;
	err = xfrm6_protocol_register(&esp6_handler, IPPROTO_ESP);
	if (err)
		xfrm4_protocol_deregister(&esp4_handler, IPPROTO_ESP);
	return err;
}

void secgw_rx_exit(void)
{
	xfrm6_protocol_deregister(&esp6_handler, IPPROTO_ESP);
	xfrm4_protocol_deregister(&esp4_handler, IPPROTO_ESP);
	synchronize_net();
}
