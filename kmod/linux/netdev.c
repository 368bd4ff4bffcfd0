// SPDX-License-Identifier: MIT
/*
 * ipsec0, the BITS form: what is routed into it meets the SPD, is sealed by
 * kmod/core and leaves through the IP stack (ip_local_out/ip6_local_out) on
 * the route to the SA's peer; decapsulated packets (rx.c) enter the stack
 * here as if ipsec0 had received them. Also the crypto worker, which runs
 * the packets of SAs whose AEAD completes asynchronously.
 *
 * Each namespace gets its own ipsec0 (pernet, state.c). The device has no
 * link layer, no queue and no offloads: the stack hands it whole, linear,
 * checksummed IP packets, which is what kmod/core takes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/if_arp.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/route.h>

#include "compat.h"
#include "state.h"

extern struct task_struct *secgw_worker_task;

enum {
	/* Room kept in front of a packet: ESP's and the outer device's. */
	SECGW_HEADROOM = ESP_HEADROOM + LL_MAX_HEADER,
	SECGW_MTU_MIN = 68,
	SECGW_MTU_MAX = 0xffff - ESP_OUTER_MAX - ESP_OVERHEAD_MAX,
};

struct secgw_dev {
	struct secgw_net *sn;
};

/* What a deferred packet carries in its control block. */
struct secgw_job_cb {
	u8 job;		/* enum secgw_job */
	u16 port;	/* RX_UDP: the encapsulation socket's port */
};

static struct secgw_job_cb *job_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct secgw_job_cb) > sizeof(skb->cb));
	return (struct secgw_job_cb *)skb->cb;
}

static struct secgw_tables *tables(struct secgw_net *sn)
{
	return rcu_dereference_check(sn->tab, rcu_read_lock_bh_held() ||
				     lockdep_is_held(&sn->lock));
}

static void drop(struct secgw_net *sn, struct sk_buff *skb, enum esp_drop why)
{
	if (why)
		esp_count(&secgw_core_stats(sn)->drops[why], 1);
	kfree_skb(skb);
}

/* Make skb->data..len the window b ended with (b started as that skb). */
static void skb_follow(struct sk_buff *skb, const struct esp_buf *b)
{
	skb->data = skb->head + b->off;
	skb->len = b->len;
	skb_set_tail_pointer(skb, b->len);
}

static void buf_of(struct esp_buf *b, struct sk_buff *skb)
{
	b->base = skb->head;
	b->cap = skb_end_offset(skb);
	b->off = skb->data - skb->head;
	b->len = skb->len;
}

/* Route an outer (or bypassed) IP packet at skb->data and send it. */
static void send_ip(struct secgw_net *sn, struct sk_buff *skb)
{
	struct net *net = sn->net;
	struct dst_entry *dst;
	int err;

	skb_scrub_packet(skb, false);
	skb->mark = sn->out_mark;
	skb->ip_summed = CHECKSUM_NONE;
	skb_reset_network_header(skb);
	if (ip_hdr(skb)->version == 4) {
		const struct iphdr *ip = ip_hdr(skb);
		struct flowi4 fl = {
			.daddr = ip->daddr, .saddr = ip->saddr,
			.flowi4_mark = sn->out_mark, .flowi4_proto = ip->protocol,
		};
		struct rtable *rt = ip_route_output_key(net, &fl);

		if (IS_ERR(rt))
			goto no_route;
		dst = &rt->dst;
		skb->protocol = htons(ETH_P_IP);
		memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
	} else {
		const struct ipv6hdr *ip6 = ipv6_hdr(skb);
		struct flowi6 fl = {
			.daddr = ip6->daddr, .saddr = ip6->saddr,
			.flowi6_mark = sn->out_mark, .flowi6_proto = ip6->nexthdr,
		};

		dst = ip6_route_output(net, NULL, &fl);
		if (dst->error) {
			dst_release(dst);
			goto no_route;
		}
		skb->protocol = htons(ETH_P_IPV6);
		memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
	}
	/* The route to the peer must not be ipsec0 itself. */
	if (dst->dev == sn->dev) {
		dst_release(dst);
		secgw_ctr(sn, SECGW_ESP_CTR_LOOP);
		kfree_skb(skb);
		return;
	}
	skb_dst_set(skb, dst);
	/* From the crypto worker too: the stack is entered as from a softirq. */
	local_bh_disable();
	err = skb->protocol == htons(ETH_P_IP) ? ip_local_out(net, NULL, skb) :
						 ip6_local_out(net, NULL, skb);
	local_bh_enable();
	if (net_xmit_eval(err))
		secgw_ctr(sn, SECGW_ESP_CTR_TX_ERRORS);
	else
		secgw_ctr(sn, SECGW_ESP_CTR_PACKETS_OUT);
	return;
no_route:
	secgw_ctr(sn, SECGW_ESP_CTR_NO_ROUTE);
	kfree_skb(skb);
}

void secgw_defer(struct secgw_net *sn, struct sk_buff *skb, enum secgw_job job, u16 port)
{
	if (READ_ONCE(sn->dying) || skb_queue_len(&sn->queue) >= SECGW_QUEUE_MAX) {
		drop(sn, skb, ESP_DROP_QUEUE);
		return;
	}
	skb_dst_drop(skb);
	job_cb(skb)->job = job;
	job_cb(skb)->port = port;
	atomic_inc(&secgw_obj_queued);
	skb_queue_tail(&sn->queue, skb);
	secgw_ctr(sn, SECGW_ESP_CTR_DEFERRED);
	queue_work(secgw_wq, &sn->work);
}

static void acquire(struct secgw_net *sn, struct secgw_tables *t, const struct esp_policy *p)
{
	unsigned long *last = &t->acquired[p - t->spd.v];
	unsigned long now = jiffies, was = READ_ONCE(*last);

	/* One per policy per gap: a flood of packets is not a flood of events. */
	if (was && time_before(now, was + msecs_to_jiffies(SECGW_ACQUIRE_GAP_MS)))
		return;
	if (cmpxchg(last, was, now ? now : 1) != was)
		return;
	secgw_event_acquire(sn, p->id);
}

netdev_tx_t secgw_xmit_one(struct secgw_net *sn, struct sk_buff *skb)
{
	unsigned head, tail;
	const struct esp_policy *pol;
	struct secgw_tables *t;
	struct esp_tuple tu;
	struct secgw_sa *sa;
	struct esp_buf b;
	enum esp_drop why;
	u32 ev = 0, len;

	t = tables(sn);
	if (!t || skb_linearize(skb))
		goto drop_room;
	why = esp_tuple_parse(skb->data, skb->len, &tu);
	if (why) {
		drop(sn, skb, ESP_DROP_INNER);
		return NETDEV_TX_OK;
	}
	pol = esp_spd_lookup(&t->spd, &tu);
	if (!pol) {
		drop(sn, skb, ESP_DROP_NO_POLICY);
		return NETDEV_TX_OK;
	}
	if (pol->action == ESP_POLICY_DISCARD) {
		drop(sn, skb, ESP_DROP_POLICY);
		return NETDEV_TX_OK;
	}
	if (pol->action == ESP_POLICY_BYPASS) {
		secgw_ctr(sn, SECGW_ESP_CTR_BYPASSED);
		send_ip(sn, skb);
		return NETDEV_TX_OK;
	}
	if (!pol->sa) {
		acquire(sn, t, pol);
		drop(sn, skb, ESP_DROP_NO_SA);
		return NETDEV_TX_OK;
	}
	sa = container_of(pol->sa, struct secgw_sa, core);
	if (secgw_aead_async(sa->aead) && !secgw_in_worker()) {
		secgw_defer(sn, skb, SECGW_JOB_TX, 0);
		return NETDEV_TX_OK;
	}
	/* Room for ESP and the outer headers, and the data our own: TCP
	 * transmits clones of what it keeps for retransmission. */
	head = skb_headroom(skb) < SECGW_HEADROOM ? SECGW_HEADROOM - skb_headroom(skb) : 0;
	len = ESP_TAILROOM + sa->core.p.tfc_pad;
	tail = skb_tailroom(skb) < len ? len - skb_tailroom(skb) : 0;
	if ((head || tail || skb_cloned(skb)) && pskb_expand_head(skb, head, tail, GFP_ATOMIC))
		goto drop_room;
	len = skb->len;
	buf_of(&b, skb);
	why = esp_output(&sa->core, &b, secgw_core_stats(sn), &ev);
	secgw_events(sn, sa, ev);
	if (why) {
		kfree_skb(skb);	/* counted by kmod/core */
		return NETDEV_TX_OK;
	}
	why = esp_push_outer(&sa->core, &b, 0);
	if (why)
		goto drop_room;
	skb_follow(skb, &b);
	dev_sw_netstats_tx_add(sn->dev, 1, len);
	send_ip(sn, skb);
	return NETDEV_TX_OK;
drop_room:
	drop(sn, skb, ESP_DROP_NO_ROOM);
	return NETDEV_TX_OK;
}

static netdev_tx_t dev_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct secgw_dev *d = netdev_priv(dev);

	return secgw_xmit_one(d->sn, skb);
}

/* Hand a decapsulated inner packet (b's window of skb) to the stack. */
static void deliver(struct secgw_net *sn, struct sk_buff *skb, const struct esp_buf *b)
{
	struct net_device *dev = sn->dev;

	if (!dev) {
		drop(sn, skb, 0);
		return;
	}
	skb_follow(skb, b);
	skb_scrub_packet(skb, false);
	skb->dev = dev;
	skb->protocol = skb->data[0] >> 4 == 4 ? htons(ETH_P_IP) : htons(ETH_P_IPV6);
	skb->pkt_type = PACKET_HOST;
	skb->ip_summed = CHECKSUM_NONE;
	skb_reset_mac_header(skb);
	skb_reset_network_header(skb);
	skb->mac_len = 0;
	memset(skb->cb, 0, sizeof(skb->cb));
	dev_sw_netstats_rx_add(dev, skb->len);
	local_bh_disable();
	compat_netif_rx_any(skb);
	local_bh_enable();
}

void secgw_rx_one(struct secgw_net *sn, struct sk_buff *skb, u16 udp_port)
{
	struct secgw_tables *t = tables(sn);
	struct esp_rx rx;
	struct esp_buf b;

	if (!t || skb_linearize_cow(skb)) {
		drop(sn, skb, ESP_DROP_NO_ROOM);
		return;
	}
	buf_of(&b, skb);
	switch (esp_input_ip(&t->sad, &b, udp_port, secgw_core_stats(sn), &rx)) {
	case ESP_RX_PACKET:
		secgw_events(sn, container_of(rx.sa, struct secgw_sa, core), rx.events);
		deliver(sn, skb, &b);
		return;
	case ESP_RX_DROP:
		if (rx.sa)
			secgw_events(sn, container_of(rx.sa, struct secgw_sa, core), rx.events);
		kfree_skb(skb);	/* counted by kmod/core */
		return;
	default:	/* keepalives and IKE are sorted out before (rx.c) */
		kfree_skb(skb);
		return;
	}
}

void secgw_worker(struct work_struct *w)
{
	struct secgw_net *sn = container_of(w, struct secgw_net, work);
	struct sk_buff *skb;

	mutex_lock(&sn->lock);
	WRITE_ONCE(secgw_worker_task, current);
	while ((skb = skb_dequeue(&sn->queue))) {
		struct secgw_job_cb job = *job_cb(skb);

		atomic_dec(&secgw_obj_queued);
		/* Only the crypto, which runs first, may sleep; the stack is
		 * entered with bottom halves off (send_ip, deliver). */
		if (job.job == SECGW_JOB_TX)
			secgw_xmit_one(sn, skb);
		else
			secgw_rx_one(sn, skb, job.job == SECGW_JOB_RX_UDP ? job.port : 0);
		cond_resched();
	}
	WRITE_ONCE(secgw_worker_task, NULL);
	mutex_unlock(&sn->lock);
}

static int dev_init(struct net_device *dev)
{
	dev->tstats = netdev_alloc_pcpu_stats(struct pcpu_sw_netstats);
	return dev->tstats ? 0 : -ENOMEM;
}

static void dev_uninit(struct net_device *dev)
{
	free_percpu(dev->tstats);
}

static const struct net_device_ops secgw_dev_ops = {
	.ndo_init = dev_init,
	.ndo_uninit = dev_uninit,
	.ndo_start_xmit = dev_xmit,
	.ndo_get_stats64 = COMPAT_GET_TSTATS64,
};

static void dev_setup(struct net_device *dev)
{
	dev->netdev_ops = &secgw_dev_ops;
	dev->type = ARPHRD_NONE;
	dev->flags = IFF_POINTOPOINT | IFF_NOARP;
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->hard_header_len = 0;
	dev->addr_len = 0;
	dev->mtu = SECGW_MTU;
	dev->min_mtu = SECGW_MTU_MIN;
	dev->max_mtu = SECGW_MTU_MAX;
	dev->needed_headroom = SECGW_HEADROOM;
	dev->needed_tailroom = ESP_TAILROOM;
	dev->features |= NETIF_F_LLTX | NETIF_F_NETNS_LOCAL;
	dev->needs_free_netdev = true;
}

int secgw_netdev_create(struct secgw_net *sn)
{
	struct net_device *dev;
	int err;

	dev = alloc_netdev(sizeof(struct secgw_dev), SECGW_ESP_IFNAME, NET_NAME_PREDICTABLE,
			   dev_setup);
	if (!dev)
		return -ENOMEM;
	((struct secgw_dev *)netdev_priv(dev))->sn = sn;
	dev_net_set(dev, sn->net);
	rtnl_lock();
	err = register_netdevice(dev);
	rtnl_unlock();
	if (err) {
		free_netdev(dev);
		return err;
	}
	sn->dev = dev;
	return 0;
}

void secgw_netdev_destroy(struct secgw_net *sn)
{
	if (!sn->dev)
		return;
	rtnl_lock();
	unregister_netdevice(sn->dev);
	rtnl_unlock();
	sn->dev = NULL;
}
