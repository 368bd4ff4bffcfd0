# SPDX-License-Identifier: MIT
# bench/: the floor server of bench/rest.sh — the least a libmicrohttpd server
# can do to answer GET with a body of a given size — and wrk to measure both.
DEB_CHECK += wrk
$(eval $(call program,bench-rest-floor,bench/floor.c,libmicrohttpd,))
