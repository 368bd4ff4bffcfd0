# SPDX-License-Identifier: MIT
# kmod/linux/: secgw_esp.ko, built out of tree by Kbuild against the headers
# of the kernel the VM harness boots (tests/vm/kver: the one Debian's
# linux-image-amd64 depends on), never the running kernel of the build host.
#
#   make kmod              -> $(B)/kmod/linux/secgw_esp.ko
#   make kmod KVER=...     another installed kernel (/usr/src/linux-headers-KVER)
#   make kmod KDIR=...     any prepared kernel tree
#
# `make tests` (so `make check`) builds it: the VM suite loads it.
DEB_CHECK += linux-image-amd64 linux-headers-amd64

# Asked once, and only when a kmod rule runs (dpkg-query is not free).
KVER = $(eval KVER := $$(shell tests/vm/kver))$(KVER)
KDIR = /usr/src/linux-headers-$(KVER)
KMOD_DIR := $(B)/kmod/linux
KMOD_SRCS := kmod/linux/Kbuild $(wildcard kmod/linux/*.c kmod/linux/*.h)
KMOD_CORE_SRCS := $(wildcard kmod/core/*.c kmod/core/*.h)

.PHONY: kmod
kmod: $(KMOD_DIR)/secgw_esp.ko
tests: kmod

# Kbuild writes objects beside the sources, so the sources are staged as
# symlinks in the build directory (the tree stays clean; build/ and
# build/check keep their own objects). MAKEFLAGS and friends are dropped so
# that our CC, CFLAGS and sanitizer flags never reach the kernel build.
$(KMOD_DIR)/secgw_esp.ko: $(KMOD_SRCS) $(KMOD_CORE_SRCS)
	@if [ -z "$(KVER)" ] || [ ! -f "$(KDIR)/Makefile" ]; then \
		echo "make kmod: no kernel headers at '$(KDIR)': install linux-headers-amd64 (make deps-check)" >&2; \
		exit 1; fi
	@mkdir -p $(KMOD_DIR)/core
	@ln -sf $(abspath $(KMOD_SRCS)) $(KMOD_DIR)/
	$(if $(KMOD_CORE_SRCS),@ln -sf $(abspath $(KMOD_CORE_SRCS)) $(KMOD_DIR)/core/)
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $(MAKE) -C $(KDIR) M=$(abspath $(KMOD_DIR)) modules
