# kmod/user/: the userspace host of the ESP core — libsodium AEAD, TUN,
# UDP/raw sockets, worker threads — linked into secgw-iked as the `user`
# datapath backend.
ESPUSER_SRCS := $(wildcard kmod/user/*.c)
ESPUSER_PKGS := libsodium libmnl
$(eval $(call archive,espuser,$(ESPUSER_SRCS),$(ESPUSER_PKGS)))
DEB_BUILD += libsodium-dev libmnl-dev
# AES-GCM on CPUs without AES-NI (aead_sodium.c): Mbed TLS, which Debian 12
# ships without a pkg-config file, hence a plain -l.
ALL_LIBS += -lmbedcrypto
DEB_BUILD += libmbedtls-dev
# The datapath's integration tests and benchmark.
DEB_CHECK += iperf3 jq socat python3 tshark clang
