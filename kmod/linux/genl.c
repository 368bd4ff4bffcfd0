// SPDX-License-Identifier: MIT
/*
 * The secgw_esp generic netlink family (secgw_esp.h is the contract): how
 * secgw-iked's kmod backend installs SAs and policies, reads counters,
 * hands over its UDP encapsulation socket and hears acquires and expiries.
 *
 * Everything arriving here is treated as hostile: the generic netlink core
 * checks every attribute against secgw_genl_policy (type, exact length,
 * unknown types refused with -EINVAL on 5.2+) before a handler runs, and
 * the handlers check lengths again where an older kernel would not have
 * (nested selectors are parsed here with their own policy). Every command
 * but GET_INFO carries GENL_UNS_ADMIN_PERM: CAP_NET_ADMIN over the network
 * namespace. Changes are serialised by the namespace's lock and published
 * as a new table (state.c), so the packet paths never see half a change.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/random.h>
#include <linux/slab.h>
#include <net/sock.h>

#include "compat.h"
#include "genl.h"
#include "state.h"

extern atomic64_t secgw_async_completions;

enum {
	ALG_NAME_MAX = 64,
	KEY_MAX = ESP_AEAD_KEY_MAX + ESP_AEAD_SALT_LEN,
	ADDR_LEN = 16,
	MODE_MAX = ESP_MODE_TRANSPORT,
	ACTION_MAX = ESP_POLICY_DISCARD,
	REPLY_SIZE = NLMSG_GOODSIZE,
};

static struct genl_family secgw_genl_family;
static bool events_on;

static const struct nla_policy sel_policy[SECGW_ESP_SEL_MAX + 1] = {
	[SECGW_ESP_SEL_FAMILY] = { .type = NLA_U8 },
	[SECGW_ESP_SEL_PROTO] = { .type = NLA_U8 },
	[SECGW_ESP_SEL_PORT_LO] = { .type = NLA_U16 },
	[SECGW_ESP_SEL_PORT_HI] = { .type = NLA_U16 },
	[SECGW_ESP_SEL_LO] = COMPAT_NLA_EXACT_LEN(ADDR_LEN),
	[SECGW_ESP_SEL_HI] = COMPAT_NLA_EXACT_LEN(ADDR_LEN),
};

static const struct nla_policy secgw_genl_policy[SECGW_ESP_A_MAX + 1] = {
	[SECGW_ESP_A_VERSION] = { .type = NLA_U32 },
	[SECGW_ESP_A_IFINDEX] = { .type = NLA_U32 },
	[SECGW_ESP_A_SA_DIR] = { .type = NLA_U8 },
	[SECGW_ESP_A_SA_SPI] = { .type = NLA_U32 },
	[SECGW_ESP_A_SA_MODE] = { .type = NLA_U8 },
	[SECGW_ESP_A_SA_FAMILY] = { .type = NLA_U8 },
	[SECGW_ESP_A_SA_SRC] = COMPAT_NLA_EXACT_LEN(ADDR_LEN),
	[SECGW_ESP_A_SA_DST] = COMPAT_NLA_EXACT_LEN(ADDR_LEN),
	[SECGW_ESP_A_SA_ENCAP_SPORT] = { .type = NLA_U16 },
	[SECGW_ESP_A_SA_ENCAP_DPORT] = { .type = NLA_U16 },
	[SECGW_ESP_A_SA_ALG] = { .type = NLA_NUL_STRING, .len = ALG_NAME_MAX - 1 },
	[SECGW_ESP_A_SA_KEY] = { .type = NLA_BINARY, .len = KEY_MAX },
	[SECGW_ESP_A_SA_ICV_LEN] = { .type = NLA_U8 },
	[SECGW_ESP_A_SA_REPLAY_WINDOW] = { .type = NLA_U32 },
	[SECGW_ESP_A_SA_ESN] = { .type = NLA_FLAG },
	[SECGW_ESP_A_SA_SOFT_BYTES] = { .type = NLA_U64 },
	[SECGW_ESP_A_SA_HARD_BYTES] = { .type = NLA_U64 },
	[SECGW_ESP_A_SA_SOFT_PACKETS] = { .type = NLA_U64 },
	[SECGW_ESP_A_SA_HARD_PACKETS] = { .type = NLA_U64 },
	[SECGW_ESP_A_SA_TFC_PAD] = { .type = NLA_U16 },
	[SECGW_ESP_A_SA_SEQ_OUT] = { .type = NLA_U64 },
	[SECGW_ESP_A_SA_LOCAL_TS] = { .type = NLA_NESTED },
	[SECGW_ESP_A_SA_REMOTE_TS] = { .type = NLA_NESTED },
	[SECGW_ESP_A_SA_BYTES] = { .type = NLA_U64 },
	[SECGW_ESP_A_SA_PACKETS] = { .type = NLA_U64 },
	[SECGW_ESP_A_DROPS] = { .type = NLA_NESTED },
	[SECGW_ESP_A_POL_ID] = { .type = NLA_U32 },
	[SECGW_ESP_A_POL_ACTION] = { .type = NLA_U8 },
	[SECGW_ESP_A_POL_SRC] = COMPAT_NLA_NESTED(sel_policy),
	[SECGW_ESP_A_POL_DST] = COMPAT_NLA_NESTED(sel_policy),
	[SECGW_ESP_A_FD] = { .type = NLA_U32 },
	[SECGW_ESP_A_OUT_MARK] = { .type = NLA_U32 },
	[SECGW_ESP_A_EXPIRE_HARD] = { .type = NLA_FLAG },
	[SECGW_ESP_A_EXPIRE_SEQ] = { .type = NLA_FLAG },
	[SECGW_ESP_A_COUNTERS] = { .type = NLA_NESTED },
};

static int fail(struct genl_info *info, int err, const char *why)
{
	/* why is always a static string (ours or kmod/core's). */
	if (info->extack)
		info->extack->_msg = why;
	return err;
}

/* An attribute the policy said is there with the right length; checked
 * again for kernels before strict validation. */
static bool has(struct genl_info *info, int type, int len)
{
	struct nlattr *a = info->attrs[type];

	return a && (len < 0 || nla_len(a) == len);
}

static int get_family(u8 f, unsigned *len)
{
	*len = esp_addr_len(f);
	return *len ? 0 : -EINVAL;
}

static int parse_sel(const struct nlattr *nest, struct esp_sel *s)
{
	struct nlattr *tb[SECGW_ESP_SEL_MAX + 1];
	unsigned alen;
	int err;

	err = compat_nla_parse_nested(tb, SECGW_ESP_SEL_MAX, nest, sel_policy);
	if (err)
		return err;
	memset(s, 0, sizeof(*s));
	if (!tb[SECGW_ESP_SEL_FAMILY] || nla_len(tb[SECGW_ESP_SEL_FAMILY]) < 1)
		return -EINVAL;
	s->family = nla_get_u8(tb[SECGW_ESP_SEL_FAMILY]);
	if (get_family(s->family, &alen))
		return -EINVAL;
	if (tb[SECGW_ESP_SEL_PROTO])
		s->proto = nla_get_u8(tb[SECGW_ESP_SEL_PROTO]);
	s->port_hi = 0xffff;
	if (tb[SECGW_ESP_SEL_PORT_LO])
		s->port_lo = nla_get_u16(tb[SECGW_ESP_SEL_PORT_LO]);
	if (tb[SECGW_ESP_SEL_PORT_HI])
		s->port_hi = nla_get_u16(tb[SECGW_ESP_SEL_PORT_HI]);
	memset(s->hi, 0xff, alen);
	if (tb[SECGW_ESP_SEL_LO]) {
		if (nla_len(tb[SECGW_ESP_SEL_LO]) != ADDR_LEN)
			return -EINVAL;
		memcpy(s->lo, nla_data(tb[SECGW_ESP_SEL_LO]), alen);
	}
	if (tb[SECGW_ESP_SEL_HI]) {
		if (nla_len(tb[SECGW_ESP_SEL_HI]) != ADDR_LEN)
			return -EINVAL;
		memcpy(s->hi, nla_data(tb[SECGW_ESP_SEL_HI]), alen);
	}
	if (memcmp(s->lo, s->hi, alen) > 0 || s->port_lo > s->port_hi)
		return -EINVAL;
	return 0;
}

static int parse_ts(const struct nlattr *nest, struct esp_sel *v, u8 *n)
{
	const struct nlattr *a;
	int rem, err;

	*n = 0;
	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) != SECGW_ESP_A_TS_SEL || *n >= ESP_SEL_MAX)
			return -EINVAL;
		err = parse_sel(a, &v[*n]);
		if (err)
			return err;
		(*n)++;
	}
	return rem || !*n ? -EINVAL : 0;
}

/* The SA named by SA_DIR (or dir when given) SA_SPI SA_FAMILY SA_DST. */
static int parse_name(struct genl_info *info, u8 dir, struct esp_sa_params *p)
{
	unsigned alen;

	if (!has(info, SECGW_ESP_A_SA_SPI, 4) || !has(info, SECGW_ESP_A_SA_FAMILY, 1) ||
	    !has(info, SECGW_ESP_A_SA_DST, ADDR_LEN))
		return fail(info, -EINVAL, "SA_SPI, SA_FAMILY and SA_DST name an SA");
	if (!dir) {
		if (!has(info, SECGW_ESP_A_SA_DIR, 1))
			return fail(info, -EINVAL, "SA_DIR missing");
		dir = nla_get_u8(info->attrs[SECGW_ESP_A_SA_DIR]);
	}
	p->dir = dir;
	p->spi = nla_get_u32(info->attrs[SECGW_ESP_A_SA_SPI]);
	p->dst.family = nla_get_u8(info->attrs[SECGW_ESP_A_SA_FAMILY]);
	if (get_family(p->dst.family, &alen))
		return fail(info, -EINVAL, "SA_FAMILY must be 4 or 6");
	memset(p->dst.b, 0, sizeof(p->dst.b));
	memcpy(p->dst.b, nla_data(info->attrs[SECGW_ESP_A_SA_DST]), alen);
	return 0;
}

static int find_sa(const struct secgw_tables *t, const struct esp_sa_params *n)
{
	u32 i;

	for (i = 0; i < t->n_sa; i++) {
		const struct esp_sa_conf *p = &t->sa[i]->core.p;

		if (p->dir == n->dir && p->spi == n->spi && p->dst.family == n->dst.family &&
		    !memcmp(p->dst.b, n->dst.b, esp_addr_len(n->dst.family)))
			return i;
	}
	return -1;
}

static u64 opt_u64(struct genl_info *info, int type)
{
	return info->attrs[type] ? nla_get_u64(info->attrs[type]) : 0;
}

static int parse_sa(struct genl_info *info, struct esp_sa_params *p, const char **alg,
		    const u8 **key, unsigned *key_len)
{
	static const int need[] = {
		SECGW_ESP_A_SA_MODE, SECGW_ESP_A_SA_SRC, SECGW_ESP_A_SA_ALG,
		SECGW_ESP_A_SA_KEY, SECGW_ESP_A_SA_LOCAL_TS, SECGW_ESP_A_SA_REMOTE_TS,
	};
	unsigned i, alen;
	int err;

	err = parse_name(info, 0, p);
	if (err)
		return err;
	for (i = 0; i < ARRAY_SIZE(need); i++)
		if (!info->attrs[need[i]])
			return fail(info, -EINVAL, "SA_ADD needs DIR SPI MODE FAMILY SRC DST ALG KEY LOCAL_TS REMOTE_TS");
	if (!has(info, SECGW_ESP_A_SA_SRC, ADDR_LEN) || !has(info, SECGW_ESP_A_SA_MODE, 1))
		return -EINVAL;
	p->mode = nla_get_u8(info->attrs[SECGW_ESP_A_SA_MODE]);
	p->src.family = p->dst.family;
	alen = esp_addr_len(p->src.family);
	memcpy(p->src.b, nla_data(info->attrs[SECGW_ESP_A_SA_SRC]), alen);
	*alg = nla_data(info->attrs[SECGW_ESP_A_SA_ALG]);
	*key = nla_data(info->attrs[SECGW_ESP_A_SA_KEY]);
	*key_len = nla_len(info->attrs[SECGW_ESP_A_SA_KEY]);
	if (!strcmp(*alg, "rfc4106(gcm(aes))")) {
		p->alg = ESP_ALG_AES_GCM_16;
		if (*key_len != 16 + ESP_AEAD_SALT_LEN && *key_len != 24 + ESP_AEAD_SALT_LEN &&
		    *key_len != 32 + ESP_AEAD_SALT_LEN)
			return fail(info, -EINVAL, "AES-GCM takes 20, 28 or 36 key bytes (salt last)");
	} else if (!strcmp(*alg, "rfc7539esp(chacha20,poly1305)")) {
		p->alg = ESP_ALG_CHACHA20_POLY1305;
		if (*key_len != 32 + ESP_AEAD_SALT_LEN)
			return fail(info, -EINVAL, "ChaCha20-Poly1305 takes 36 key bytes (salt last)");
	} else {
		return fail(info, -EINVAL, "SA_ALG must be rfc4106(gcm(aes)) or rfc7539esp(chacha20,poly1305)");
	}
	memcpy(p->salt, *key + *key_len - ESP_AEAD_SALT_LEN, ESP_AEAD_SALT_LEN);
	if (info->attrs[SECGW_ESP_A_SA_ICV_LEN] &&
	    nla_get_u8(info->attrs[SECGW_ESP_A_SA_ICV_LEN]) != ESP_AEAD_ICV_LEN)
		return fail(info, -EINVAL, "SA_ICV_LEN must be 16");
	if (info->attrs[SECGW_ESP_A_SA_ENCAP_SPORT])
		p->encap_sport = nla_get_u16(info->attrs[SECGW_ESP_A_SA_ENCAP_SPORT]);
	if (info->attrs[SECGW_ESP_A_SA_ENCAP_DPORT])
		p->encap_dport = nla_get_u16(info->attrs[SECGW_ESP_A_SA_ENCAP_DPORT]);
	p->replay_window = info->attrs[SECGW_ESP_A_SA_REPLAY_WINDOW] ?
		nla_get_u32(info->attrs[SECGW_ESP_A_SA_REPLAY_WINDOW]) : ESP_REPLAY_DEFAULT;
	p->esn = nla_get_flag(info->attrs[SECGW_ESP_A_SA_ESN]);
	p->soft_bytes = opt_u64(info, SECGW_ESP_A_SA_SOFT_BYTES);
	p->hard_bytes = opt_u64(info, SECGW_ESP_A_SA_HARD_BYTES);
	p->soft_packets = opt_u64(info, SECGW_ESP_A_SA_SOFT_PACKETS);
	p->hard_packets = opt_u64(info, SECGW_ESP_A_SA_HARD_PACKETS);
	p->seq_out = opt_u64(info, SECGW_ESP_A_SA_SEQ_OUT);
	if (info->attrs[SECGW_ESP_A_SA_TFC_PAD])
		p->tfc_pad = nla_get_u16(info->attrs[SECGW_ESP_A_SA_TFC_PAD]);
	if (parse_ts(info->attrs[SECGW_ESP_A_SA_LOCAL_TS], p->local_ts, &p->n_local_ts) ||
	    parse_ts(info->attrs[SECGW_ESP_A_SA_REMOTE_TS], p->remote_ts, &p->n_remote_ts))
		return fail(info, -EINVAL, "traffic selectors: 1 to 16 valid SECGW_ESP_A_TS_SEL each");
	/* The IV is seq XOR a secret mask: unique per packet, not predictable. */
	get_random_bytes(p->iv_mask, sizeof(p->iv_mask));
	return 0;
}

static struct secgw_net *net_of(struct genl_info *info)
{
	return secgw_net(genl_info_net(info));
}

/* Publish a table of sas + the current policies (pol/n_pol override). */
static int republish(struct secgw_net *sn, struct secgw_sa **sas, u32 n_sa,
		     const struct esp_policy *pol, u32 n_pol)
{
	struct secgw_tables *t = secgw_tables_build(sas, n_sa, pol, n_pol);

	if (!t)
		return -ENOMEM;
	secgw_tables_publish(sn, t);
	return 0;
}

static int sa_add(struct sk_buff *skb, struct genl_info *info)
{
	struct secgw_net *sn = net_of(info);
	struct esp_sa_params *p;
	struct secgw_tables *t;
	struct secgw_sa *sa = NULL, **sas = NULL;
	const char *alg, *why;
	const u8 *key;
	unsigned key_len;
	int err;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	err = parse_sa(info, p, &alg, &key, &key_len);
	if (err)
		goto out;
	err = -ENOMEM;
	/* One block: the SA, then its selectors and replay ring (esp_sa_extra). */
	sa = kzalloc(sizeof(*sa) + esp_sa_extra(p), GFP_KERNEL);
	if (!sa)
		goto out;
	atomic_inc(&secgw_obj_sas);
	strscpy(sa->alg, alg, sizeof(sa->alg));
	sa->key_len = key_len - ESP_AEAD_SALT_LEN;
	sa->aead = secgw_aead_new(alg, key, key_len, ESP_AEAD_ICV_LEN, &why);
	if (!sa->aead) {
		err = fail(info, -EINVAL, why);
		goto out;
	}
	p->aead = sa->aead;
	why = esp_sa_init(&sa->core, p, sa + 1, esp_sa_extra(p));
	if (why) {
		err = fail(info, -EINVAL, why);
		goto out;
	}
	mutex_lock(&sn->lock);
	t = secgw_tables_locked(sn);
	err = -ENOENT;
	if (!t)
		goto unlock;
	err = fail(info, -EEXIST, "an SA with this direction, SPI and destination exists");
	if (find_sa(t, p) >= 0)
		goto unlock;
	err = fail(info, -ENOSPC, "too many SAs");
	if (t->n_sa >= SECGW_SA_MAX)
		goto unlock;
	err = -ENOMEM;
	sas = kvmalloc_array(t->n_sa + 1, sizeof(*sas), GFP_KERNEL);
	if (!sas)
		goto unlock;
	memcpy(sas, t->sa, t->n_sa * sizeof(*sas));
	sas[t->n_sa] = sa;
	err = republish(sn, sas, t->n_sa + 1, t->spd.v, t->spd.n);
	if (!err)
		sa = NULL;	/* the table owns it */
unlock:
	mutex_unlock(&sn->lock);
out:
	kvfree(sas);
	secgw_sa_free(sa);
	kfree_sensitive(p);
	return err;
}

static int sa_del(struct sk_buff *skb, struct genl_info *info)
{
	struct secgw_net *sn = net_of(info);
	struct esp_sa_params n = {};
	struct secgw_tables *t;
	struct secgw_sa *victim = NULL, **sas = NULL;
	struct esp_policy *pol = NULL;
	int err, i;
	u32 k;

	err = parse_name(info, 0, &n);
	if (err)
		return err;
	mutex_lock(&sn->lock);
	t = secgw_tables_locked(sn);
	i = t ? find_sa(t, &n) : -1;
	err = fail(info, -ENOENT, "no such SA");
	if (i < 0)
		goto unlock;
	err = -ENOMEM;
	sas = kvmalloc_array(max(t->n_sa, 1u), sizeof(*sas), GFP_KERNEL);
	pol = kvmalloc_array(max(t->spd.n, 1u), sizeof(*pol), GFP_KERNEL);
	if (!sas || !pol)
		goto unlock;
	victim = t->sa[i];
	memcpy(sas, t->sa, t->n_sa * sizeof(*sas));
	sas[i] = sas[t->n_sa - 1];
	memcpy(pol, t->spd.v, t->spd.n * sizeof(*pol));
	/* Policies keep their place and raise acquires until pointed elsewhere. */
	for (k = 0; k < t->spd.n; k++)
		if (pol[k].sa == &victim->core)
			pol[k].sa = NULL;
	err = republish(sn, sas, t->n_sa - 1, pol, t->spd.n);
	if (err)
		victim = NULL;
unlock:
	mutex_unlock(&sn->lock);
	secgw_sa_free(victim);	/* after publication: no reader has it */
	kvfree(sas);
	kvfree(pol);
	return err;
}

static int put_addr(struct sk_buff *m, int type, const u8 *b, u8 family)
{
	u8 a[ADDR_LEN] = {};

	memcpy(a, b, esp_addr_len(family));
	return nla_put(m, type, ADDR_LEN, a);
}

static int put_sel(struct sk_buff *m, int type, const struct esp_sel *s)
{
	struct nlattr *n = nla_nest_start(m, type);

	if (!n || nla_put_u8(m, SECGW_ESP_SEL_FAMILY, s->family) ||
	    nla_put_u8(m, SECGW_ESP_SEL_PROTO, s->proto) ||
	    nla_put_u16(m, SECGW_ESP_SEL_PORT_LO, s->port_lo) ||
	    nla_put_u16(m, SECGW_ESP_SEL_PORT_HI, s->port_hi) ||
	    put_addr(m, SECGW_ESP_SEL_LO, s->lo, s->family) ||
	    put_addr(m, SECGW_ESP_SEL_HI, s->hi, s->family))
		return -EMSGSIZE;
	nla_nest_end(m, n);
	return 0;
}

static int put_ts(struct sk_buff *m, int type, const struct esp_sel *v, u8 n)
{
	struct nlattr *nest = nla_nest_start(m, type);
	u8 i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < n; i++)
		if (put_sel(m, SECGW_ESP_A_TS_SEL, &v[i]))
			return -EMSGSIZE;
	nla_nest_end(m, nest);
	return 0;
}

static int put_drops(struct sk_buff *m, const esp_atomic64_t *d, bool percpu_sum,
		     struct secgw_net *sn)
{
	struct nlattr *nest = nla_nest_start(m, SECGW_ESP_A_DROPS);
	unsigned r, cpu;

	if (!nest)
		return -EMSGSIZE;
	for (r = 1; r < ESP_DROP__MAX; r++) {
		u64 v = 0;

		if (percpu_sum) {
			for_each_possible_cpu(cpu)
				v += atomic64_read(&per_cpu_ptr(sn->pcpu, cpu)->core.drops[r]);
		} else {
			v = atomic64_read(&d[r]);
		}
		if (nla_put_u64_64bit(m, r, v, 0))
			return -EMSGSIZE;
	}
	nla_nest_end(m, nest);
	return 0;
}

static int put_sa(struct sk_buff *m, const struct secgw_sa *s)
{
	const struct esp_sa_conf *p = &s->core.p;

	if (nla_put_u8(m, SECGW_ESP_A_SA_DIR, p->dir) ||
	    nla_put_u32(m, SECGW_ESP_A_SA_SPI, p->spi) ||
	    nla_put_u8(m, SECGW_ESP_A_SA_MODE, p->mode) ||
	    nla_put_u8(m, SECGW_ESP_A_SA_FAMILY, p->dst.family) ||
	    put_addr(m, SECGW_ESP_A_SA_SRC, p->src.b, p->src.family) ||
	    put_addr(m, SECGW_ESP_A_SA_DST, p->dst.b, p->dst.family) ||
	    nla_put_string(m, SECGW_ESP_A_SA_ALG, s->alg) ||
	    nla_put_u8(m, SECGW_ESP_A_SA_ICV_LEN, ESP_AEAD_ICV_LEN) ||
	    (p->encap_dport && (nla_put_u16(m, SECGW_ESP_A_SA_ENCAP_SPORT, p->encap_sport) ||
				nla_put_u16(m, SECGW_ESP_A_SA_ENCAP_DPORT, p->encap_dport))) ||
	    nla_put_u32(m, SECGW_ESP_A_SA_REPLAY_WINDOW, s->core.replay.window) ||
	    (p->esn && nla_put_flag(m, SECGW_ESP_A_SA_ESN)) ||
	    nla_put_u64_64bit(m, SECGW_ESP_A_SA_SOFT_BYTES, p->soft_bytes, 0) ||
	    nla_put_u64_64bit(m, SECGW_ESP_A_SA_HARD_BYTES, p->hard_bytes, 0) ||
	    nla_put_u64_64bit(m, SECGW_ESP_A_SA_SOFT_PACKETS, p->soft_packets, 0) ||
	    nla_put_u64_64bit(m, SECGW_ESP_A_SA_HARD_PACKETS, p->hard_packets, 0) ||
	    nla_put_u16(m, SECGW_ESP_A_SA_TFC_PAD, p->tfc_pad) ||
	    nla_put_u64_64bit(m, SECGW_ESP_A_SA_SEQ_OUT, esp_atomic64_read(&s->core.seq_out), 0) ||
	    nla_put_u64_64bit(m, SECGW_ESP_A_SA_BYTES, esp_atomic64_read(&s->core.st.bytes), 0) ||
	    nla_put_u64_64bit(m, SECGW_ESP_A_SA_PACKETS, esp_atomic64_read(&s->core.st.packets), 0) ||
	    put_ts(m, SECGW_ESP_A_SA_LOCAL_TS, p->local_ts, p->n_local_ts) ||
	    put_ts(m, SECGW_ESP_A_SA_REMOTE_TS, p->remote_ts, p->n_remote_ts) ||
	    put_drops(m, s->core.st.drops, false, NULL))
		return -EMSGSIZE;
	return 0;
}

static int sa_get(struct sk_buff *skb, struct genl_info *info)
{
	struct secgw_net *sn = net_of(info);
	struct esp_sa_params n = {};
	struct secgw_tables *t;
	struct sk_buff *msg;
	void *hdr;
	int err, i;

	err = parse_name(info, 0, &n);
	if (err)
		return err;
	msg = genlmsg_new(REPLY_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &secgw_genl_family, 0, SECGW_ESP_CMD_SA_GET);
	mutex_lock(&sn->lock);
	t = secgw_tables_locked(sn);
	i = t ? find_sa(t, &n) : -1;
	if (i < 0)
		err = fail(info, -ENOENT, "no such SA");
	else if (!hdr || put_sa(msg, t->sa[i]))
		err = -EMSGSIZE;
	mutex_unlock(&sn->lock);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int sa_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct secgw_net *sn = secgw_net(sock_net(skb->sk));
	struct secgw_tables *t;
	long i;
	void *hdr;

	mutex_lock(&sn->lock);
	t = secgw_tables_locked(sn);
	for (i = cb->args[0]; t && i < t->n_sa; i++) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  &secgw_genl_family, NLM_F_MULTI, SECGW_ESP_CMD_SA_GET);
		if (!hdr)
			break;
		if (put_sa(skb, t->sa[i])) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	mutex_unlock(&sn->lock);
	cb->args[0] = i;
	return skb->len;
}

static int parse_policy(struct genl_info *info, struct secgw_tables *t, struct esp_policy *p)
{
	struct esp_sa_params n = {};
	int i;

	memset(p, 0, sizeof(*p));
	if (!has(info, SECGW_ESP_A_POL_ID, 4) || !has(info, SECGW_ESP_A_POL_ACTION, 1) ||
	    !info->attrs[SECGW_ESP_A_POL_SRC] || !info->attrs[SECGW_ESP_A_POL_DST])
		return fail(info, -EINVAL, "a policy needs POL_ID POL_ACTION POL_SRC POL_DST");
	p->id = nla_get_u32(info->attrs[SECGW_ESP_A_POL_ID]);
	p->action = nla_get_u8(info->attrs[SECGW_ESP_A_POL_ACTION]);
	if (!p->id || p->action < ESP_POLICY_PROTECT || p->action > ACTION_MAX)
		return fail(info, -EINVAL, "POL_ID must be non-zero, POL_ACTION 1 to 3");
	if (parse_sel(info->attrs[SECGW_ESP_A_POL_SRC], &p->src) ||
	    parse_sel(info->attrs[SECGW_ESP_A_POL_DST], &p->dst) ||
	    p->src.family != p->dst.family)
		return fail(info, -EINVAL, "POL_SRC and POL_DST: two valid selectors of one family");
	if (p->action != ESP_POLICY_PROTECT || !info->attrs[SECGW_ESP_A_SA_SPI] ||
	    !nla_get_u32(info->attrs[SECGW_ESP_A_SA_SPI]))
		return 0;
	i = parse_name(info, ESP_DIR_OUT, &n);
	if (i)
		return i;
	i = find_sa(t, &n);
	if (i < 0)
		return fail(info, -ENOENT, "no such outbound SA");
	p->sa = &t->sa[i]->core;
	return 0;
}

static int policy_index(const struct secgw_tables *t, u32 id)
{
	u32 i;

	for (i = 0; i < t->spd.n; i++)
		if (t->spd.v[i].id == id)
			return i;
	return -1;
}

/* ADD (append) or UPDATE (replace in place). */
static int policy_set(struct genl_info *info, bool update)
{
	struct secgw_net *sn = net_of(info);
	struct esp_policy p, *pol = NULL;
	struct secgw_tables *t;
	int err, i;

	mutex_lock(&sn->lock);
	t = secgw_tables_locked(sn);
	err = -ENOENT;
	if (!t)
		goto unlock;
	err = parse_policy(info, t, &p);
	if (err)
		goto unlock;
	i = policy_index(t, p.id);
	if (update && i < 0) {
		err = fail(info, -ENOENT, "no such policy");
		goto unlock;
	}
	if (!update && i >= 0) {
		err = fail(info, -EEXIST, "a policy with this POL_ID exists");
		goto unlock;
	}
	if (!update && t->spd.n >= SECGW_POLICY_MAX) {
		err = fail(info, -ENOSPC, "too many policies");
		goto unlock;
	}
	err = -ENOMEM;
	pol = kvmalloc_array(t->spd.n + 1, sizeof(*pol), GFP_KERNEL);
	if (!pol)
		goto unlock;
	memcpy(pol, t->spd.v, t->spd.n * sizeof(*pol));
	if (update)
		pol[i] = p;
	else
		pol[t->spd.n] = p;
	err = republish(sn, t->sa, t->n_sa, pol, t->spd.n + !update);
unlock:
	mutex_unlock(&sn->lock);
	kvfree(pol);
	return err;
}

static int policy_add(struct sk_buff *skb, struct genl_info *info)
{
	return policy_set(info, false);
}

static int policy_update(struct sk_buff *skb, struct genl_info *info)
{
	return policy_set(info, true);
}

static int policy_del(struct sk_buff *skb, struct genl_info *info)
{
	struct secgw_net *sn = net_of(info);
	struct esp_policy *pol = NULL;
	struct secgw_tables *t;
	int err, i;

	if (!has(info, SECGW_ESP_A_POL_ID, 4))
		return fail(info, -EINVAL, "POL_ID missing");
	mutex_lock(&sn->lock);
	t = secgw_tables_locked(sn);
	i = t ? policy_index(t, nla_get_u32(info->attrs[SECGW_ESP_A_POL_ID])) : -1;
	err = fail(info, -ENOENT, "no such policy");
	if (i < 0)
		goto unlock;
	err = -ENOMEM;
	pol = kvmalloc_array(max(t->spd.n, 1u), sizeof(*pol), GFP_KERNEL);
	if (!pol)
		goto unlock;
	memcpy(pol, t->spd.v, i * sizeof(*pol));
	memcpy(pol + i, t->spd.v + i + 1, (t->spd.n - i - 1) * sizeof(*pol));
	err = republish(sn, t->sa, t->n_sa, pol, t->spd.n - 1);
unlock:
	mutex_unlock(&sn->lock);
	kvfree(pol);
	return err;
}

static int put_policy(struct sk_buff *m, const struct esp_policy *p)
{
	if (nla_put_u32(m, SECGW_ESP_A_POL_ID, p->id) ||
	    nla_put_u8(m, SECGW_ESP_A_POL_ACTION, p->action) ||
	    put_sel(m, SECGW_ESP_A_POL_SRC, &p->src) ||
	    put_sel(m, SECGW_ESP_A_POL_DST, &p->dst))
		return -EMSGSIZE;
	if (p->sa && (nla_put_u32(m, SECGW_ESP_A_SA_SPI, p->sa->p.spi) ||
		      nla_put_u8(m, SECGW_ESP_A_SA_FAMILY, p->sa->p.dst.family) ||
		      put_addr(m, SECGW_ESP_A_SA_DST, p->sa->p.dst.b, p->sa->p.dst.family)))
		return -EMSGSIZE;
	return 0;
}

static int policy_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct secgw_net *sn = secgw_net(sock_net(skb->sk));
	struct secgw_tables *t;
	long i;
	void *hdr;

	mutex_lock(&sn->lock);
	t = secgw_tables_locked(sn);
	for (i = cb->args[0]; t && i < t->spd.n; i++) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  &secgw_genl_family, NLM_F_MULTI, SECGW_ESP_CMD_POLICY_GET);
		if (!hdr)
			break;
		if (put_policy(skb, &t->spd.v[i])) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	mutex_unlock(&sn->lock);
	cb->args[0] = i;
	return skb->len;
}

static int flush(struct sk_buff *skb, struct genl_info *info)
{
	struct secgw_net *sn = net_of(info);
	struct secgw_tables *t, *empty = secgw_tables_build(NULL, 0, NULL, 0);
	u32 i;

	if (!empty)
		return -ENOMEM;
	mutex_lock(&sn->lock);
	t = secgw_tables_locked(sn);
	rcu_assign_pointer(sn->tab, empty);
	synchronize_net();
	mutex_unlock(&sn->lock);
	if (t) {
		for (i = 0; i < t->n_sa; i++)
			secgw_sa_free(t->sa[i]);
		secgw_tables_free(t);
	}
	return 0;
}

static u64 ctr_sum(struct secgw_net *sn, enum secgw_esp_ctr c)
{
	u64 v = 0;
	unsigned cpu;

	for_each_possible_cpu(cpu) {
		struct secgw_pcpu *p = per_cpu_ptr(sn->pcpu, cpu);

		v += atomic64_read(&p->ctr[c]);
		if (c == SECGW_ESP_CTR_PACKETS_IN)
			v += atomic64_read(&p->core.packets_in);
	}
	return v;
}

static int stats(struct sk_buff *skb, struct genl_info *info)
{
	struct secgw_net *sn = net_of(info);
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;
	unsigned c;

	msg = genlmsg_new(REPLY_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &secgw_genl_family, 0, SECGW_ESP_CMD_STATS);
	if (!hdr || put_drops(msg, NULL, true, sn))
		goto too_big;
	nest = nla_nest_start(msg, SECGW_ESP_A_COUNTERS);
	if (!nest)
		goto too_big;
	for (c = 1; c <= SECGW_ESP_CTR_MAX; c++) {
		u64 v;

		switch (c) {
		case SECGW_ESP_CTR_ASYNC: v = atomic64_read(&secgw_async_completions); break;
		case SECGW_ESP_CTR_OBJ_SAS: v = atomic_read(&secgw_obj_sas); break;
		case SECGW_ESP_CTR_OBJ_TABLES: v = atomic_read(&secgw_obj_tables); break;
		case SECGW_ESP_CTR_OBJ_SOCKETS: v = atomic_read(&secgw_obj_sockets); break;
		case SECGW_ESP_CTR_OBJ_QUEUED: v = atomic_read(&secgw_obj_queued); break;
		default: v = ctr_sum(sn, c); break;
		}
		if (nla_put_u64_64bit(msg, c, v, 0))
			goto too_big;
	}
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
too_big:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int encap_attach(struct sk_buff *skb, struct genl_info *info)
{
	if (!has(info, SECGW_ESP_A_FD, 4))
		return fail(info, -EINVAL, "FD missing");
	/* The handler runs in the sender's context: FD is its descriptor. */
	return secgw_encap_attach(net_of(info), (int)nla_get_u32(info->attrs[SECGW_ESP_A_FD]));
}

static int set_config(struct sk_buff *skb, struct genl_info *info)
{
	struct secgw_net *sn = net_of(info);

	if (has(info, SECGW_ESP_A_OUT_MARK, 4))
		WRITE_ONCE(sn->out_mark, nla_get_u32(info->attrs[SECGW_ESP_A_OUT_MARK]));
	return 0;
}

static int get_info(struct sk_buff *skb, struct genl_info *info)
{
	struct secgw_net *sn = net_of(info);
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(2 * nla_total_size(sizeof(u32)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &secgw_genl_family, 0, SECGW_ESP_CMD_GET_INFO);
	if (!hdr || nla_put_u32(msg, SECGW_ESP_A_VERSION, SECGW_ESP_GENL_VERSION) ||
	    nla_put_u32(msg, SECGW_ESP_A_IFINDEX, sn->dev ? sn->dev->ifindex : 0)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static void event_send(struct secgw_net *sn, struct sk_buff *msg, void *hdr)
{
	genlmsg_end(msg, hdr);
	if (genlmsg_multicast_netns(&secgw_genl_family, sn->net, msg, 0, 0, GFP_ATOMIC))
		secgw_ctr(sn, SECGW_ESP_CTR_EVENTS_LOST);
}

static struct sk_buff *event_new(struct secgw_net *sn, u8 cmd, void **hdr)
{
	struct sk_buff *msg;

	if (!READ_ONCE(events_on) || !genl_has_listeners(&secgw_genl_family, sn->net, 0))
		return NULL;
	msg = genlmsg_new(REPLY_SIZE / 8, GFP_ATOMIC);
	if (!msg) {
		secgw_ctr(sn, SECGW_ESP_CTR_EVENTS_LOST);
		return NULL;
	}
	*hdr = genlmsg_put(msg, 0, 0, &secgw_genl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

void secgw_event_acquire(struct secgw_net *sn, u32 policy_id)
{
	struct sk_buff *msg;
	void *hdr;

	secgw_ctr(sn, SECGW_ESP_CTR_ACQUIRES);
	rcu_read_lock();	/* module exit waits for us (events_on) */
	msg = event_new(sn, SECGW_ESP_CMD_EVENT_ACQUIRE, &hdr);
	if (msg) {
		if (nla_put_u32(msg, SECGW_ESP_A_POL_ID, policy_id))
			nlmsg_free(msg);
		else
			event_send(sn, msg, hdr);
	}
	rcu_read_unlock();
}

void secgw_event_expire(struct secgw_net *sn, const struct secgw_sa *sa, u32 ev)
{
	const struct esp_sa_conf *p = &sa->core.p;
	struct sk_buff *msg;
	void *hdr;

	rcu_read_lock();
	msg = event_new(sn, SECGW_ESP_CMD_EVENT_EXPIRE, &hdr);
	if (msg) {
		if (nla_put_u8(msg, SECGW_ESP_A_SA_DIR, p->dir) ||
		    nla_put_u32(msg, SECGW_ESP_A_SA_SPI, p->spi) ||
		    nla_put_u8(msg, SECGW_ESP_A_SA_FAMILY, p->dst.family) ||
		    put_addr(msg, SECGW_ESP_A_SA_DST, p->dst.b, p->dst.family) ||
		    ((ev & ESP_EV_HARD_EXPIRE) && nla_put_flag(msg, SECGW_ESP_A_EXPIRE_HARD)) ||
		    ((ev & ESP_EV_SEQ_EXHAUSTED) && nla_put_flag(msg, SECGW_ESP_A_EXPIRE_SEQ)))
			nlmsg_free(msg);
		else
			event_send(sn, msg, hdr);
	}
	rcu_read_unlock();
}

#define OP(c, fn, fl) { .cmd = (c), .doit = (fn), .flags = (fl), \
			COMPAT_GENL_OP_POLICY(secgw_genl_policy) }
#define ADMIN GENL_UNS_ADMIN_PERM

static const struct genl_ops secgw_genl_ops[] = {
	OP(SECGW_ESP_CMD_GET_INFO, get_info, 0),
	OP(SECGW_ESP_CMD_SA_ADD, sa_add, ADMIN),
	OP(SECGW_ESP_CMD_SA_DEL, sa_del, ADMIN),
	{ .cmd = SECGW_ESP_CMD_SA_GET, .doit = sa_get, .dumpit = sa_dump, .flags = ADMIN,
	  COMPAT_GENL_OP_POLICY(secgw_genl_policy) },
	OP(SECGW_ESP_CMD_POLICY_ADD, policy_add, ADMIN),
	OP(SECGW_ESP_CMD_POLICY_DEL, policy_del, ADMIN),
	OP(SECGW_ESP_CMD_POLICY_UPDATE, policy_update, ADMIN),
	{ .cmd = SECGW_ESP_CMD_POLICY_GET, .dumpit = policy_dump, .flags = ADMIN,
	  COMPAT_GENL_OP_POLICY(secgw_genl_policy) },
	OP(SECGW_ESP_CMD_FLUSH, flush, ADMIN),
	OP(SECGW_ESP_CMD_STATS, stats, ADMIN),
	OP(SECGW_ESP_CMD_ENCAP_ATTACH, encap_attach, ADMIN),
	OP(SECGW_ESP_CMD_SET_CONFIG, set_config, ADMIN),
};

static const struct genl_multicast_group secgw_genl_mcgrps[] = {
	{ .name = SECGW_ESP_MCGRP_EVENTS },
};

static struct genl_family secgw_genl_family __ro_after_init = {
	.name = SECGW_ESP_GENL_NAME,
	.version = SECGW_ESP_GENL_VERSION,
	.maxattr = SECGW_ESP_A_MAX,
	COMPAT_GENL_FAMILY_POLICY(secgw_genl_policy)
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = secgw_genl_ops,
	.n_ops = ARRAY_SIZE(secgw_genl_ops),
	.mcgrps = secgw_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(secgw_genl_mcgrps),
};

int __init secgw_genl_init(void)
{
	int err = genl_register_family(&secgw_genl_family);

	if (!err)
		WRITE_ONCE(events_on, true);
	return err;
}

void secgw_genl_exit(void)
{
	WRITE_ONCE(events_on, false);
	synchronize_net();	/* no event is being built any more */
	genl_unregister_family(&secgw_genl_family);
}
