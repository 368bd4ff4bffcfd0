// SPDX-License-Identifier: MIT
// History: revisions, diff, rollback, commit-confirmed (issue 3's routes).
