# SPDX-License-Identifier: MIT
# agent/: secgw-agent — the SQLite store, the REST API (libmicrohttpd + jansson),
# auth, revisions and the event stream. Every agent/*.c but main.c goes into
# libagent.a (so unit tests can link any part of it); the SQL migrations in
# schema/ and docs/openapi.json are compiled in, so the binary needs no files
# beside it.
AGENT_PKGS := libmicrohttpd jansson sqlite3 libsodium
AGENT_GEN := $(B)/gen/agent_embed.c
AGENT_SRCS := $(filter-out agent/main.c,$(wildcard agent/*.c)) $(AGENT_GEN)
DEB_BUILD += libmicrohttpd-dev libjansson-dev libsqlite3-dev libsodium-dev
DEB_CHECK += sqlite3 jq openssl bats curl python3

$(AGENT_GEN): agent/embed.sh $(sort $(wildcard schema/*.sql)) docs/openapi.json
	@mkdir -p $(@D)
	agent/embed.sh $(sort $(wildcard schema/*.sql)) docs/openapi.json > $@.tmp && mv $@.tmp $@

$(eval $(call archive,agent,$(AGENT_SRCS),$(AGENT_PKGS)))
$(eval $(call program,secgw-agent,agent/main.c,$(AGENT_PKGS),agent secgw))
