# bench/: reproducible benchmarks against a named peer. ikepeer is the IKEv2
# engine on UDP sockets without a datapath: bench/ike.sh's load generator and
# the IKE-level interoperability peer of tests/bats/ike_swan.bats.
# (Literal package names: this fragment is read before ikev2/module.mk.)
$(eval $(call program,ikepeer,bench/ikepeer.c,jansson libsodium,iked secgw,-lmbedcrypto))
