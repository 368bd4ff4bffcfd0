# SPDX-License-Identifier: MIT
# cli/: secgw, the command-line client of the REST API (libcurl + jansson).
# One file per command group (cmd_*.c); the API's field types come from
# docs/openapi.json, compiled in (as the agent does), so `key=value` reaches
# every field without a table of its own. Everything but main.c goes into
# libcli.a for the unit tests.
CLI_PKGS := libcurl jansson
CLI_GEN := $(B)/gen/cli_embed.c
DEB_BUILD += libcurl4-openssl-dev libjansson-dev
DEB_CHECK += groff-base procps

$(CLI_GEN): agent/embed.sh docs/openapi.json
	@mkdir -p $(@D)
	agent/embed.sh docs/openapi.json > $@.tmp && mv $@.tmp $@

$(eval $(call archive,cli,$(filter-out cli/main.c,$(wildcard cli/*.c)),$(CLI_PKGS)))
$(eval $(call program,secgw,cli/main.c $(CLI_GEN),$(CLI_PKGS),cli))
