# SPDX-License-Identifier: MIT
# tests/tools/: test harnesses shared by the suites — the strongSwan peer and
# network namespaces (swan.bash, netns.bash), and secgw-testclient, the small
# libcurl client the Bats suites and bench/rest.sh use to talk to a real
# secgw-agent.
#
# The client is built without the sanitizers even in the check build: it is not
# what is under test, and an instrumented libcurl client costs ~0.2 s of
# start-up per request, which the suites would pay a few thousand times.
DEB_CHECK += bats iproute2 iputils-ping strongswan-charon strongswan-swanctl \
	libcharon-extra-plugins libstrongswan-extra-plugins
DEB_BUILD += libcurl4-openssl-dev libjansson-dev
$(eval $(call program,secgw-testclient,tests/tools/testclient.c,libcurl jansson,))
$(call obj,tests/tools/testclient.c): OPT := -O2 -g
$(B)/bin/secgw-testclient: LDSAN :=
