// SPDX-License-Identifier: MIT
// Bulk: CSV import with the dry-run diff, then apply; export (issue 3's routes).
