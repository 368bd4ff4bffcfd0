# SPDX-License-Identifier: MIT
# bench/: the floor server of bench/rest.sh — the least a libmicrohttpd server
# can do to answer GET with a body of a given size — and wrk to measure both.
DEB_CHECK += wrk
$(eval $(call program,bench-rest-floor,bench/floor.c,libmicrohttpd,))
# ikepeer is the IKEv2 engine on UDP sockets without a datapath: bench/ike.sh's
# load generator and the IKE-level interoperability peer of tests/bats/ike_*.bats.
# (Literal package names: this fragment is read before ikev2/module.mk.)
$(eval $(call program,ikepeer,bench/ikepeer.c,jansson libsodium,iked secgw,-lmbedcrypto))
