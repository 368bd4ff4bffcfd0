# SPDX-License-Identifier: MIT
# tests/web/: the browser suite (tests/web/suite). Debian's chromium; node and
# npm for playwright-core. A machine that already has node (and npm) keeps
# them; a fresh Debian 12 gets Debian's nodejs and npm.
DEB_CHECK += chromium
ifeq ($(shell command -v node 2>/dev/null),)
DEB_CHECK += nodejs npm
else ifeq ($(shell command -v npm 2>/dev/null),)
DEB_CHECK += npm
endif
