# SPDX-License-Identifier: MIT
# agent/: secgw-agent — the SQLite store, the REST API (libmicrohttpd + jansson),
# auth, revisions and the event stream. Every agent/*.c but main.c goes into
# libagent.a (so unit tests can link any part of it); the SQL migrations in
# schema/, docs/openapi.json and the web UI (web/, served at /) are compiled
# in, so the binary needs no files beside it.
AGENT_PKGS := libmicrohttpd jansson sqlite3 libsodium
AGENT_GEN := $(B)/gen/agent_embed.c
AGENT_WEB := $(sort $(filter %.html %.css %.js %.svg,$(wildcard web/* web/*/*)))
AGENT_SRCS := $(filter-out agent/main.c,$(wildcard agent/*.c)) $(AGENT_GEN)
DEB_BUILD += libmicrohttpd-dev libjansson-dev libsqlite3-dev libsodium-dev
DEB_CHECK += sqlite3 jq openssl bats curl python3

# The folders too: a file removed from web/ must leave the binary.
$(AGENT_GEN): agent/embed.sh $(sort $(wildcard schema/*.sql)) docs/openapi.json $(AGENT_WEB) $(sort $(dir $(AGENT_WEB)))
	@mkdir -p $(@D)
	agent/embed.sh $(sort $(wildcard schema/*.sql)) docs/openapi.json $(AGENT_WEB) > $@.tmp && mv $@.tmp $@

$(eval $(call archive,agent,$(AGENT_SRCS),$(AGENT_PKGS)))
$(eval $(call program,secgw-agent,agent/main.c,$(AGENT_PKGS),agent secgw))
