// SPDX-License-Identifier: MIT
import { test } from '../lib.mjs';

test('the agent stops on SIGTERM with no sanitizer report after serving the whole suite', async env => {
  await env.agent.stop();
});
