# tests/tools/: test harnesses shared by the suites (strongSwan peer, namespaces).
DEB_CHECK += bats iproute2 iputils-ping strongswan-charon strongswan-swanctl \
	libcharon-extra-plugins libstrongswan-extra-plugins
