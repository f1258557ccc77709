// Live updates for the dashboard, as progressive enhancement: every page already reads fine
// without this script. It follows /live (Server-Sent Events: runs, decisions, triggers), appends
// each event to the #activity feed, and when a run finishes it replaces the overview's pair cards
// and Continue Watching's #positions table with fresh server-rendered fragments (no reload).
// "Sync now" and "Dry run" are posted with fetch, and their answer goes into the feed.
(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
  const feed = document.getElementById('activity');
  const MAX_FEED = 200;

  function say(text) {
    if (!feed) return;
    const li = document.createElement('li');
    const time = document.createElement('time');
    const now = new Date();
    time.dateTime = now.toISOString();
    time.textContent = now.toTimeString().slice(0, 8);
    li.append(time, ` ${text}`);
    feed.append(li);
    while (feed.children.length > MAX_FEED) feed.firstElementChild?.remove();
    feed.scrollTop = feed.scrollHeight;
  }

  function countsText(counts) {
    const parts = Object.entries(counts ?? {}).map(([reason, n]) => `${reason.replace(/_/g, ' ')} ${n}`);
    return parts.length > 0 ? ` (${parts.join(', ')})` : '';
  }

  function describe(type, e) {
    switch (type) {
      case 'run-started':
        return `${e.dryRun ? 'Dry run' : 'Run'} of ${e.pair} started (${e.trigger})`;
      case 'run-finished':
        return `${e.dryRun ? 'Dry run' : 'Run'}${e.runId !== undefined ? ` #${e.runId}` : ''} of ${e.pair} finished: ${e.status}${countsText(e.counts)}${e.error ? `: ${e.error}` : ''}`;
      case 'decision':
        return `${e.pair}: ${e.title}: ${e.reason.replace(/_/g, ' ')}`;
      case 'trigger':
        return `${e.trigger} (${e.provider}) is ${e.state}${e.lastError ? `: ${e.lastError}` : ''}`;
      default:
        return type;
    }
  }

  /** What names a control across two renderings of the same fragment: its form, name and value, or its link. */
  function controlKey(el) {
    if (!el) return undefined;
    return `${el.form?.getAttribute('action') ?? ''}|${el.getAttribute('name') ?? ''}|${el.getAttribute('value') ?? ''}|${el.getAttribute('href') ?? ''}|${el.textContent ?? ''}`;
  }

  /** Replaces each element of `ids` on the page by the element of the same id in `url`'s answer (server-rendered HTML). */
  async function refresh(ids, url) {
    try {
      const res = await fetch(url, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
      if (!res.ok) return;
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      for (const id of ids) {
        const current = document.getElementById(id);
        const fresh = doc.getElementById(id);
        if (!current || !fresh) continue;
        // A keyboard user's focus (say on the button just pressed) moves to the same control in the new copy.
        const focused = document.activeElement;
        const sameControl = current.contains(focused) ? controlKey(focused) : undefined;
        current.replaceWith(fresh);
        if (sameControl) [...fresh.querySelectorAll('button, a, input, select')].find((el) => controlKey(el) === sameControl)?.focus();
      }
    } catch {
      // The next finished run tries again.
    }
  }

  function fragmentUrl(name) {
    const url = new URL(window.location.href);
    url.searchParams.set('fragment', name);
    return url.toString();
  }

  function onRunFinished() {
    if (document.getElementById('pairs')) void refresh(['pairs', 'runs'], fragmentUrl('pairs'));
    if (document.getElementById('positions')) void refresh(['positions'], fragmentUrl('table'));
  }

  if ('EventSource' in window) {
    const live = new EventSource('/live');
    for (const type of ['run-started', 'run-finished', 'decision', 'trigger']) {
      live.addEventListener(type, (message) => {
        let event;
        try {
          event = JSON.parse(message.data);
        } catch {
          return;
        }
        say(describe(type, event));
        if (type === 'run-finished') onRunFinished();
      });
    }
  }

  // Sync now / Dry run without leaving the page; the page's own form post remains the fallback.
  document.addEventListener('submit', async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.dataset.live !== 'run' || !window.fetch) return;
    event.preventDefault();
    const button = event.submitter instanceof HTMLButtonElement ? event.submitter : null;
    const body = new URLSearchParams({ dryRun: button?.value === '1' ? '1' : '0' });
    // Busy, not disabled: a disabled button would drop the keyboard focus.
    if (form.getAttribute('aria-busy') === 'true') return;
    form.setAttribute('aria-busy', 'true');
    try {
      const res = await fetch(form.action, {
        method: 'POST',
        headers: { accept: 'application/json', 'x-csrf-token': csrf, 'content-type': 'application/x-www-form-urlencoded' },
        body,
        credentials: 'same-origin',
      });
      const answer = await res.json().catch(() => ({}));
      if (!res.ok) say(`Refused: ${answer.error ?? res.status}`);
      else if (!feed) window.location.reload();
    } catch (err) {
      say(`The request failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      form.removeAttribute('aria-busy');
    }
  });
})();
