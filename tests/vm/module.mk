# SPDX-License-Identifier: MIT
# tests/vm/: the harness that boots Debian's kernel under qemu and runs the
# guest test cases (tests/vm/README.md). The suite itself is tests/vm/suite;
# this fragment lists what it installs and builds the guest-side tools.
DEB_CHECK += qemu-system-x86 busybox-static iperf3 iproute2 kmod cpio xz-utils libmnl-dev socat jq

VM_TOOLS := $(B)/tests/vm/udpencap $(B)/tests/vm/espnl $(B)/tests/vm/espfuzz
$(call obj,tests/vm/tools/espnl.c): PKGS := libmnl

# The project's flags: under `make check` the tools carry ASan and UBSan, so
# the image's sanitizer runtimes are exercised in every run. Under TCG a
# sanitizer build takes about a second to start, so cases start them rarely
# (espnl has a batch mode for a coprocess).
$(B)/tests/vm/espfuzz: $(call obj,tests/vm/tools/espfuzz.c)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^
$(B)/tests/vm/udpencap: $(call obj,tests/vm/tools/udpencap.c)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^
# espnl names drop reasons with kmod/core's esp_drop_name.
$(B)/tests/vm/espnl: $(call obj,tests/vm/tools/espnl.c) $(B)/libespcore.a
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pc_libs,libmnl)

tests: $(VM_TOOLS)
