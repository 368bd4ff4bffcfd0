# SPDX-License-Identifier: MIT
# tests/vm/: the harness that boots Debian's kernel under qemu and runs the
# guest test cases (tests/vm/README.md). The suite itself is tests/vm/suite;
# this fragment lists what it installs and builds the guest-side tools.
DEB_CHECK += qemu-system-x86 busybox-static iperf3 iproute2 kmod cpio xz-utils libmnl-dev

VM_TOOLS := $(B)/tests/vm/udpencap $(B)/tests/vm/espnl

# udpencap gets the project's flags: under `make check` it carries ASan and
# UBSan, so the image's sanitizer runtimes are exercised in every run.
$(B)/tests/vm/udpencap: $(call obj,tests/vm/tools/udpencap.c)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

# espnl runs a hundred times in a row in the module tests; under TCG an ASan
# build takes about a second to start, twenty times a plain one. So it is
# always built plain (same warnings, -Werror, hardening).
$(B)/tests/vm/espnl: tests/vm/tools/espnl.c kmod/linux/secgw_esp.h tests/vm/module.mk
	@mkdir -p $(@D)
	$(CC) $(CSTD) -O2 -g $(HARDEN) $(WARN) -I. $(call pc_cflags,libmnl) $(CFLAGS) \
		-pie -Wl,-z,relro,-z,now $(LDFLAGS) -o $@ $< $(call pc_libs,libmnl)

tests: $(VM_TOOLS)
