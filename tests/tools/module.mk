# SPDX-License-Identifier: MIT
# tests/tools/: secgw-testclient, the small libcurl client the Bats suites and
# bench/rest.sh use to talk to a real secgw-agent.
DEB_BUILD += libcurl4-openssl-dev libjansson-dev
$(eval $(call program,secgw-testclient,tests/tools/testclient.c,libcurl jansson,))
