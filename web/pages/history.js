// SPDX-License-Identifier: MIT
// History: the revision list, a diff between any two revisions, rollback.
import { hasRoute } from '../api.js';
import { h } from '../dom.js';

export default async function history(main) {
  main.append(h('div', { class: 'bar' }, h('h1', {}, 'History')));
  if (!await hasRoute('/revisions')) {
    main.append(h('p', { class: 'empty' }, 'This agent does not keep a browsable history yet (it has no /revisions).'));
    return;
  }
}
