# ikev2/: secgw-iked — the IKEv2 engine, manual keying, the control socket and
# the datapath backends (dp.h). Every ikev2/*.c but main.c goes into libiked.a,
# so a new file needs no line here.
IKED_SRCS := $(filter-out ikev2/main.c,$(wildcard ikev2/*.c))
IKED_PKGS := jansson libsodium
DEB_BUILD += libjansson-dev libsodium-dev
ifneq ($(IKED_SRCS),)
$(eval $(call archive,iked,$(IKED_SRCS),$(IKED_PKGS)))
endif
# The IKEv2 engine: SHA-1 for NAT detection hashes comes from Mbed TLS (no
# pkg-config file in Debian 12, hence a plain -l); clang builds the fuzzers.
IKED_LIBS := -lmbedcrypto
ALL_LIBS += $(IKED_LIBS)
DEB_BUILD += libmbedtls-dev
DEB_CHECK += clang libclang-rt-14-dev tcpdump nftables libstrongswan-standard-plugins
IKED_PKGS += libmnl
DEB_BUILD += libmnl-dev
$(eval $(call program,secgw-iked,ikev2/main.c,$(IKED_PKGS),iked espuser espcore secgw,$(IKED_LIBS)))
