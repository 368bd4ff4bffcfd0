// SPDX-License-Identifier: MIT
/*
 * Per-namespace state (state.h): creation and teardown with the namespace,
 * and the immutable tables the packet paths read under RCU.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/slab.h>
#include <net/netns/generic.h>

#include "compat.h"
#include "state.h"

atomic_t secgw_obj_sas, secgw_obj_tables, secgw_obj_sockets, secgw_obj_queued;
struct workqueue_struct *secgw_wq;
static unsigned int secgw_net_id;

struct secgw_net *secgw_net(const struct net *net)
{
	return net_generic(net, secgw_net_id);
}

void secgw_tables_free(struct secgw_tables *t)
{
	if (!t)
		return;
	kvfree(t->sa);
	kvfree(t->sad.slot);
	kvfree(t->spd.v);
	kvfree(t->acquired);
	kfree(t);
	atomic_dec(&secgw_obj_tables);
}

struct secgw_tables *secgw_tables_build(struct secgw_sa **sas, u32 n_sa,
					const struct esp_policy *pol, u32 n_pol)
{
	struct secgw_tables *t = kzalloc(sizeof(*t), GFP_KERNEL);
	struct esp_sa **slots;
	u32 i, n_in = 0, cap = SECGW_SAD_MIN;

	if (!t)
		return NULL;
	atomic_inc(&secgw_obj_tables);
	for (i = 0; i < n_sa; i++)
		n_in += sas[i]->core.p.dir == ESP_DIR_IN;
	while (cap < 2 * (n_in + 1))
		cap <<= 1;
	t->sa = kvmalloc_array(max(n_sa, 1u), sizeof(*t->sa), GFP_KERNEL);
	slots = kvmalloc_array(cap, sizeof(*slots), GFP_KERNEL);
	t->spd.v = kvmalloc_array(max(n_pol, 1u), sizeof(*pol), GFP_KERNEL);
	t->acquired = kvcalloc(max(n_pol, 1u), sizeof(*t->acquired), GFP_KERNEL);
	if (!t->sa || !slots || !t->spd.v || !t->acquired) {
		t->sad.slot = slots;
		secgw_tables_free(t);
		return NULL;
	}
	t->n_sa = n_sa;
	memcpy(t->sa, sas, n_sa * sizeof(*sas));
	esp_sad_init(&t->sad, slots, cap);
	for (i = 0; i < n_sa; i++) {
		if (sas[i]->core.p.dir != ESP_DIR_IN)
			continue;
		/* Names are unique (genl.c checks before), so this fits. */
		esp_sad_insert(&t->sad, &sas[i]->core);
		t->any_async |= secgw_aead_async(sas[i]->aead);
	}
	esp_spd_init(&t->spd, t->spd.v, max(n_pol, 1u));
	for (i = 0; i < n_pol; i++)
		esp_spd_add(&t->spd, &pol[i]);
	return t;
}

/* Publish t; once this returns no reader sees the old table, so whatever
 * only it referenced may be freed. */
void secgw_tables_publish(struct secgw_net *sn, struct secgw_tables *t)
{
	struct secgw_tables *old = secgw_tables_locked(sn);

	rcu_assign_pointer(sn->tab, t);
	synchronize_net();
	secgw_tables_free(old);
}

void secgw_sa_free(struct secgw_sa *sa)
{
	if (!sa)
		return;
	secgw_aead_free(sa->aead);
	kfree_sensitive(sa);
	atomic_dec(&secgw_obj_sas);
}

static int __net_init net_init(struct net *net)
{
	struct secgw_net *sn = secgw_net(net);
	struct secgw_tables *t;

	sn->net = net;
	mutex_init(&sn->lock);
	INIT_LIST_HEAD(&sn->encaps);
	skb_queue_head_init(&sn->queue);
	INIT_WORK(&sn->work, secgw_worker);
	sn->pcpu = alloc_percpu(struct secgw_pcpu);
	if (!sn->pcpu)
		return -ENOMEM;
	t = secgw_tables_build(NULL, 0, NULL, 0);
	if (!t) {
		free_percpu(sn->pcpu);
		return -ENOMEM;
	}
	RCU_INIT_POINTER(sn->tab, t);
	/* A namespace that already has an "ipsec0" still works for the rest
	 * (GET_INFO then reports ifindex 0); it must not fail to be created. */
	if (secgw_netdev_create(sn))
		pr_warn("no %s in a namespace: the name is taken\n", SECGW_ESP_IFNAME);
	return 0;
}

static void __net_exit net_exit(struct net *net)
{
	struct secgw_net *sn = secgw_net(net);
	struct secgw_tables *t;
	u32 i;

	/* The namespace's other devices go after us (pernet device ops run
	 * in reverse): packets may still arrive. Receive checks dying under
	 * RCU, so after this grace period nothing reaches what we free. */
	WRITE_ONCE(sn->dying, true);
	synchronize_net();
	secgw_netdev_destroy(sn);
	secgw_encap_detach_all(sn);
	cancel_work_sync(&sn->work);
	atomic_sub(skb_queue_len(&sn->queue), &secgw_obj_queued);
	skb_queue_purge(&sn->queue);
	mutex_lock(&sn->lock);
	t = secgw_tables_locked(sn);
	RCU_INIT_POINTER(sn->tab, NULL);
	mutex_unlock(&sn->lock);
	synchronize_net();
	if (t) {
		for (i = 0; i < t->n_sa; i++)
			secgw_sa_free(t->sa[i]);
		secgw_tables_free(t);
	}
	free_percpu(sn->pcpu);
}

static struct pernet_operations secgw_net_ops = {
	.init = net_init,
	.exit = net_exit,
	.id = &secgw_net_id,
	.size = sizeof(struct secgw_net),
};

int secgw_state_init(void)
{
	int err;

	secgw_wq = alloc_ordered_workqueue("secgw_crypto", 0);
	if (!secgw_wq)
		return -ENOMEM;
	/* A device op: our exit runs before the core tears the namespace's
	 * devices down, so ipsec0 is ours to unregister. */
	err = register_pernet_device(&secgw_net_ops);
	if (err)
		destroy_workqueue(secgw_wq);
	return err;
}

void secgw_state_exit(void)
{
	unregister_pernet_device(&secgw_net_ops);
	destroy_workqueue(secgw_wq);
}
