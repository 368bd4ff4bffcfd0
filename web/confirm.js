// SPDX-License-Identifier: MIT
// Commit-confirmed: a change applied with a deadline is reverted by the
// agent unless confirmed in time. This banner shows the countdown on every
// page with a Confirm button, and says so when the revert happened.
// (Filled in once the agent has /commit/confirm: issue 3.)
export const confirmBanner = {
  init() {},
  start() {},
  stop() {},
  event() {},
};
