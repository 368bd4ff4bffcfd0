// SPDX-License-Identifier: MIT
/*
 * The engine's side of secgw-iked's plumbing, kept free of sockets and the
 * datapath so that it is tested on its own: a `keying: ike` connection of
 * ikev2/config.h as the engine's struct ike_conn_cfg, and the control
 * protocol's JSON (docs/control.md) for engine events and IKE SA status.
 */
#include "ike_cfg.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

const char *ike_conn_from_cfg(const struct cfg *cfg, const struct cfg_conn *c,
			      struct ike_conn_cfg *out, struct ike_child_cfg *children)
{
	const struct cfg_secret *psk;
	const char *err;

	memset(out, 0, sizeof(*out));
	if (c->keying != CFG_KEYING_IKE)
		return "not an IKE connection";
	if (c->auth != CFG_AUTH_PSK)
		return "only PSK authentication is supported";
	psk = cfg_secret_find(cfg, c->psk);
	if (!psk || psk->type != CFG_SECRET_PSK || psk->len > IKE_PSK_MAX)
		return "its psk secret is missing";
	snprintf(out->name, sizeof(out->name), "%s", c->name);
	out->n_local = (uint8_t)c->n_local_addrs;
	for (unsigned i = 0; i < c->n_local_addrs && i < IKE_CFG_MAX_ADDRS; i++) {
		out->local_addrs[i] = c->local_addrs[i].addr;
		out->local_plen[i] = (uint8_t)c->local_addrs[i].plen;
	}
	out->n_remote = (uint8_t)c->n_remote_addrs;
	for (unsigned i = 0; i < c->n_remote_addrs && i < IKE_CFG_MAX_ADDRS; i++) {
		out->remote_addrs[i] = c->remote_addrs[i].addr;
		out->remote_plen[i] = (uint8_t)c->remote_addrs[i].plen;
	}
	out->local_port = c->local_port;
	out->remote_port = c->remote_port;
	if ((err = ike_id_parse(c->local_id, &out->local_id)) ||
	    (err = ike_id_parse(c->remote_id, &out->remote_id)))
		return err;
	if (out->local_id.any)
		return "local_id cannot be %any";
	out->psk_len = (uint16_t)psk->len;
	memcpy(out->psk, psk->value, psk->len);
	out->n_ike = (uint8_t)c->n_ike;
	for (unsigned i = 0; i < c->n_ike && i < IKE_CFG_MAX_PROPS; i++)
		out->ike[i] = c->ike[i].p;
	out->rekey_time = c->rekey_time;
	out->dpd_delay = c->dpd_delay;
	out->dpd_action = c->dpd_action == CFG_DPD_RESTART ? IKE_DPD_RESTART : IKE_DPD_CLEAR;
	out->nat_t = c->nat_t == CFG_NAT_FORCE ? IKE_NAT_FORCE
		     : c->nat_t == CFG_NAT_OFF ? IKE_NAT_OFF : IKE_NAT_AUTO;
	out->n_children = c->n_children;
	out->children = children;
	for (unsigned k = 0; k < c->n_children; k++) {
		const struct cfg_child *cc = &c->children[k];
		struct ike_child_cfg *ch = &children[k];

		memset(ch, 0, sizeof(*ch));
		snprintf(ch->name, sizeof(ch->name), "%s", cc->name);
		ch->mode = cc->mode == CFG_MODE_TRANSPORT ? IKE_MODE_TRANSPORT : IKE_MODE_TUNNEL;
		ch->start_action = cc->start_action == CFG_START_START ? IKE_START_START
				   : cc->start_action == CFG_START_TRAP ? IKE_START_TRAP : IKE_START_NONE;
		ch->n_local_ts = (uint8_t)cc->n_local_ts;
		ch->n_remote_ts = (uint8_t)cc->n_remote_ts;
		for (unsigned i = 0; i < cc->n_local_ts && i < IKE_CFG_MAX_TS; i++)
			ch->local_ts[i] = cc->local_ts[i].ts;
		for (unsigned i = 0; i < cc->n_remote_ts && i < IKE_CFG_MAX_TS; i++)
			ch->remote_ts[i] = cc->remote_ts[i].ts;
		ch->n_esp = (uint8_t)cc->n_esp;
		for (unsigned i = 0; i < cc->n_esp && i < IKE_CFG_MAX_PROPS; i++)
			ch->esp[i] = cc->esp[i].p;
		ch->rekey_time = cc->rekey_time;
		ch->life_bytes = cc->life_bytes;
		ch->life_packets = cc->life_packets;
		ch->replay_window = cc->replay_window;
	}
	return NULL;
}

static void put_spi64(json_t *o, const char *key, uint64_t v)
{
	char b[17];

	snprintf(b, sizeof(b), "%016llx", (unsigned long long)v);
	json_object_set_new(o, key, json_string(b));
}

static void put_spi32(json_t *o, const char *key, uint32_t v)
{
	char b[9];

	snprintf(b, sizeof(b), "%08x", v);
	json_object_set_new(o, key, json_string(b));
}

static json_t *lines(const char *const *l, unsigned n)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < n; i++)
		json_array_append_new(a, json_string(l[i]));
	return a;
}

json_t *ike_event_json(const struct ike_event *ev, time_t now)
{
	json_t *o = json_object();

	json_object_set_new(o, "event", json_string(ike_event_name(ev->type)));
	json_object_set_new(o, "time", json_integer((json_int_t)now));
	json_object_set_new(o, "connection", json_string(ev->conn));
	if (ev->child)
		json_object_set_new(o, "child", json_string(ev->child));
	switch (ev->type) {
	case IKE_EV_IKE_UP:
		put_spi64(o, "spi_i", ev->spi_i);
		put_spi64(o, "spi_r", ev->spi_r);
		break;
	case IKE_EV_CHILD_UP:
		put_spi32(o, "spi_in", ev->spi_in);
		put_spi32(o, "spi_out", ev->spi_out);
		break;
	case IKE_EV_REKEYED:
		if (ev->child) {
			put_spi32(o, "old_spi_in", ev->old_spi_in);
			put_spi32(o, "spi_in", ev->spi_in);
		} else {
			/* An IKE SA rekey: the new SA's SPIs. */
			put_spi64(o, "spi_i", ev->spi_i);
			put_spi64(o, "spi_r", ev->spi_r);
		}
		break;
	case IKE_EV_NEG_FAILED:
		json_object_set_new(o, "stage", json_string(ev->stage ? ev->stage : ""));
		json_object_set_new(o, "offered", lines(ev->offered, ev->n_offered));
		json_object_set_new(o, "accepted", lines(ev->accepted, ev->n_accepted));
		break;
	default:
		break;
	}
	if (ev->proposal && (ev->type == IKE_EV_CHILD_UP || ev->type == IKE_EV_IKE_UP ||
			     ev->type == IKE_EV_REKEYED))
		json_object_set_new(o, "proposal", json_string(ev->proposal));
	if (ev->reason)
		json_object_set_new(o, "reason", json_string(ev->reason));
	return o;
}

static json_t *endpoint(const struct ike_endpoint *ep)
{
	char a[ADDR_STR_MAX], b[ADDR_STR_MAX + 16];

	addr_format(&ep->addr, a, sizeof(a));
	snprintf(b, sizeof(b), "%s[%u]", a, ep->port);
	return json_string(b);
}

static json_t *ts_list(const struct ts *t, unsigned n)
{
	json_t *a = json_array();
	char b[TS_STR_MAX];

	for (unsigned i = 0; i < n; i++)
		json_array_append_new(a, json_string(ts_format(&t[i], b, sizeof(b))));
	return a;
}

/* Engine times are monotonic ms; the protocol speaks wall-clock seconds. */
static json_int_t wall(uint64_t mono_ms, uint64_t now_ms, time_t now)
{
	return (json_int_t)now - (json_int_t)((now_ms - (mono_ms < now_ms ? mono_ms : now_ms)) / 1000);
}

json_t *ike_sa_json(const struct ike_sa_info *in, uint64_t now_ms, time_t now)
{
	json_t *o = json_object(), *nat = json_object();

	json_object_set_new(o, "state", json_string(in->state));
	json_object_set_new(o, "initiator", json_boolean(in->initiator));
	put_spi64(o, "spi_i", in->spi_i);
	put_spi64(o, "spi_r", in->spi_r);
	json_object_set_new(o, "local", endpoint(&in->local));
	json_object_set_new(o, "remote", endpoint(&in->remote));
	json_object_set_new(o, "local_id", json_string(in->local_id));
	json_object_set_new(o, "remote_id", json_string(in->remote_id));
	json_object_set_new(o, "proposal", json_string(in->proposal));
	json_object_set_new(nat, "local", json_boolean(in->nat_local));
	json_object_set_new(nat, "remote", json_boolean(in->nat_remote));
	json_object_set_new(o, "nat", nat);
	if (in->established)
		json_object_set_new(o, "established", json_integer(wall(in->established, now_ms, now)));
	else
		json_object_set_new(o, "established", json_null());
	json_object_set_new(o, "rekey_in", in->rekey_in_ms < 0 ? json_null()
				: json_integer((json_int_t)(in->rekey_in_ms / 1000)));
	return o;
}

json_t *ike_child_json(const struct ike_child_info *c, uint64_t now_ms, time_t now)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(c->name));
	json_object_set_new(o, "state", json_string(c->state));
	json_object_set_new(o, "mode", json_string(c->mode == IKE_MODE_TRANSPORT ? "transport"
									      : "tunnel"));
	json_object_set_new(o, "proposal", json_string(c->proposal));
	put_spi32(o, "spi_in", c->spi_in);
	put_spi32(o, "spi_out", c->spi_out);
	json_object_set_new(o, "local_ts", ts_list(c->local_ts, c->n_local_ts));
	json_object_set_new(o, "remote_ts", ts_list(c->remote_ts, c->n_remote_ts));
	json_object_set_new(o, "established", c->established
				? json_integer(wall(c->established, now_ms, now)) : json_null());
	json_object_set_new(o, "rekey_in", c->rekey_in_ms < 0 ? json_null()
				: json_integer((json_int_t)(c->rekey_in_ms / 1000)));
	return o;
}
