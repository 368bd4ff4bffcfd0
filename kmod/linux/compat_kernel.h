/* SPDX-License-Identifier: MIT */
/* kmod/core/compat.h asks for "compat_kernel.h": the mapping lives in this
 * folder's compat.h, with every other kernel-version difference. */
#include "compat.h"
