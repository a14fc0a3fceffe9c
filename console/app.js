// The web console (docs/console.md): Preact (h, no JSX, no build step) and uPlot, served from their npm packages.
import { h, render } from '/console/vendor/preact.js';
import { useEffect, useRef, useState } from '/console/vendor/hooks.js';
import uPlot from '/console/vendor/uplot.js';

/** Calls the console's API; a 401 sends the page back to sign-in. */
async function api(path, options = {}) {
  const init = { credentials: 'same-origin', headers: {} };
  if (options.body !== undefined) {
    init.method = options.method ?? 'POST';
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  } else if (options.method) init.method = options.method;
  const response = await fetch(`/console/api/${path}`, init);
  const body = await response.json().catch(() => ({ error: 'BAD_RESPONSE', error_description: `HTTP ${response.status}` }));
  if (!response.ok) {
    const error = new Error(body.error_description ?? body.error ?? `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return body.result;
}

const qs = (params) => new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== '')).toString();
const fmtTime = (ms) => (ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '');
const ageOf = (at) => (at ? `${Math.max(0, Math.round((Date.now() - at) / 1000))} s` : '–');

function useLoad(load, deps) {
  const [state, setState] = useState({ loading: true });
  useEffect(() => {
    let live = true;
    setState({ loading: true });
    load().then(
      (data) => live && setState({ data }),
      (error) => live && setState({ error }),
    );
    return () => (live = false);
  }, deps);
  return state;
}

function Loading({ what }) {
  return h('div', { role: 'status', 'aria-live': 'polite' }, h('p', null, `Loading ${what}…`), h('progress', { 'aria-label': `Loading ${what}` }));
}

function ErrorBox({ error }) {
  return h('p', { class: 'error', role: 'alert' }, String(error.message ?? error));
}

function Card({ label, value, id }) {
  return h('div', { class: 'card' }, h('div', { class: 'figure', 'data-figure': id }, String(value)), h('div', { class: 'label' }, label));
}

function Chart({ series }) {
  const ref = useRef(null);
  useEffect(() => {
    if (!ref.current) return undefined;
    const width = Math.max(280, ref.current.clientWidth - 16);
    const data = [series.map((s) => s[0] / 1000), series.map((s) => s[1]), series.map((s) => s[2])];
    const plot = new uPlot(
      {
        width,
        height: 220,
        title: 'Delivery attempts per 10 minutes, last 24 h',
        series: [{}, { label: 'delivered', stroke: '#17612c', fill: 'rgba(23,97,44,.1)' }, { label: 'failed', stroke: '#a61b1b' }],
      },
      data,
      ref.current,
    );
    return () => plot.destroy();
  }, [series]);
  return h('div', { class: 'chart', ref, role: 'img', 'aria-label': 'Chart of delivery attempts per 10 minutes over the last day' });
}

function Overview({ filter }) {
  const state = useLoad(() => api(`overview?${qs(filter)}`), []);
  if (state.loading) return h(Loading, { what: 'the overview' });
  if (state.error) return h(ErrorBox, { error: state.error });
  const o = state.data;
  return h(
    'section',
    null,
    h('h2', null, 'Overview'),
    h(
      'div',
      { class: 'cards' },
      h(Card, { id: 'hour-ok', label: 'Delivered, last hour', value: o.deliveries.hour.ok }),
      h(Card, { id: 'hour-failed', label: 'Failed, last hour', value: o.deliveries.hour.failed }),
      h(Card, { id: 'day-ok', label: 'Delivered, last day', value: o.deliveries.day.ok }),
      h(Card, { id: 'day-failed', label: 'Failed, last day', value: o.deliveries.day.failed }),
      h(Card, { id: 'p50', label: 'Latency p50 (ms)', value: Math.round(o.latency.p50) }),
      h(Card, { id: 'p99', label: 'Latency p99 (ms)', value: Math.round(o.latency.p99) }),
      h(Card, { id: 'backlog', label: 'Offline backlog (records)', value: `${o.backlog.pending}${o.backlog.exact ? '' : '+'}` }),
      h(Card, { id: 'oldest', label: 'Oldest pending record age', value: ageOf(o.backlog.oldestAt) }),
      h(Card, { id: 'applications', label: 'Applications', value: o.installations }),
    ),
    h(Chart, { series: o.series }),
  );
}

function Table({ caption, columns, rows, empty }) {
  if (rows.length === 0) return h('p', null, empty);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      null,
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col' }, c.title)))),
      h('tbody', null, rows.map((r, i) => h('tr', { key: i }, columns.map((c) => h('td', null, c.cell(r)))))),
    ),
  );
}

function Installations() {
  const state = useLoad(() => api('installations'), []);
  if (state.loading) return h(Loading, { what: 'portals and applications' });
  if (state.error) return h(ErrorBox, { error: state.error });
  return h(
    'section',
    null,
    h('h2', null, 'Portals and applications'),
    h(Table, {
      caption: 'Installations',
      empty: 'No application is installed.',
      rows: state.data,
      columns: [
        { title: 'Portal', cell: (r) => h('span', null, r.domain, h('br'), h('small', null, r.member_id)) },
        { title: 'Application', cell: (r) => r.client_id },
        { title: 'Kind', cell: (r) => r.kind },
        { title: 'Status', cell: (r) => r.status },
        { title: 'Installed', cell: (r) => fmtTime(r.installed_at) },
        { title: '', cell: (r) => h('a', { href: `#/bindings?${qs({ member_id: r.member_id, client_id: r.client_id })}` }, 'Bindings') },
      ],
    }),
  );
}

function Bindings({ filter }) {
  const [tick, setTick] = useState(0);
  const [message, setMessage] = useState('');
  const state = useLoad(() => api(`bindings?${qs(filter)}`), [tick, filter.member_id, filter.client_id]);
  if (state.loading) return h(Loading, { what: 'bindings' });
  if (state.error) return h(ErrorBox, { error: state.error });
  const enable = async (b) => {
    try {
      await api('enable', { body: { member_id: b.memberId, client_id: b.clientId, handler: b.handler } });
      setMessage(`Switched ${b.handler} back on.`);
      setTick(tick + 1);
    } catch (error) {
      setMessage(String(error.message));
    }
  };
  return h(
    'section',
    null,
    h('h2', null, 'Bindings'),
    message && h('p', { role: 'status' }, message),
    h(Table, {
      caption: 'Bindings',
      empty: 'No bindings.',
      rows: state.data,
      columns: [
        { title: 'Application', cell: (b) => h('span', null, b.clientId, h('br'), h('small', null, b.memberId)) },
        { title: 'ID', cell: (b) => b.id },
        { title: 'Event', cell: (b) => b.event },
        { title: 'Mode', cell: (b) => (b.offline ? `offline${b.connector ? ` (${b.connector})` : ''}` : 'online') },
        { title: 'Handler', cell: (b) => b.handler || '–' },
        { title: 'Health', cell: (b) => (b.health ? h('span', { class: b.health.state === 'healthy' ? 'ok' : 'bad' }, `${b.health.state} (${Math.round(b.health.latencyMs)} ms, ${b.health.failures} failures)`) : '–') },
        {
          title: 'Switched off',
          cell: (b) => (b.switchedOff ? h('span', null, `${fmtTime(b.switchedOff.at)}: ${b.switchedOff.reason} `, h('button', { type: 'button', onClick: () => enable(b) }, 'Re-enable')) : 'no'),
        },
      ],
    }),
  );
}

function Queues({ filter }) {
  const state = useLoad(() => api(`queues?${qs(filter)}`), [filter.member_id, filter.client_id]);
  if (state.loading) return h(Loading, { what: 'offline queues' });
  if (state.error) return h(ErrorBox, { error: state.error });
  return h(
    'section',
    null,
    h('h2', null, 'Offline queues'),
    h(Table, {
      caption: 'Offline queues',
      empty: 'No offline queues.',
      rows: state.data,
      columns: [
        { title: 'Application', cell: (q) => h('span', null, q.clientId, h('br'), h('small', null, q.memberId)) },
        { title: 'Connector', cell: (q) => q.connector || '(default)' },
        { title: 'Pending', cell: (q) => h('span', { 'data-pending': `${q.clientId}/${q.connector}` }, `${q.pending}${q.exact ? '' : '+'}`) },
        { title: 'Error records', cell: (q) => q.errors },
        { title: 'Oldest', cell: (q) => ageOf(q.oldestAt) },
      ],
    }),
  );
}

function ApplicationPicker({ me, filter, onChange }) {
  const state = useLoad(() => (me.role === 'operator' ? api('installations') : Promise.resolve([])), []);
  if (me.role !== 'operator') return null;
  const options = state.data ?? [];
  const value = filter.member_id && filter.client_id ? `${filter.member_id}/${filter.client_id}` : '';
  return h(
    'label',
    null,
    'Application',
    h(
      'select',
      { value, onChange: (e) => onChange(e.target.value.split('/')) },
      h('option', { value: '' }, '— choose —'),
      options.map((i) => h('option', { value: `${i.member_id}/${i.client_id}` }, `${i.domain} · ${i.client_id}`)),
    ),
  );
}

function Deliveries({ me, filter, navigate }) {
  const [status, setStatus] = useState(filter.status ?? '');
  const [eventName, setEventName] = useState(filter.event ?? '');
  const [selected, setSelected] = useState(null);
  const [resend, setResend] = useState(null);
  const chosen = me.role !== 'operator' || (filter.member_id && filter.client_id);
  const state = useLoad(() => (chosen ? api(`deliveries?${qs(filter)}`) : Promise.resolve(null)), [qs(filter)]);
  const apply = (e) => {
    e.preventDefault();
    navigate('deliveries', { ...filter, status, event: eventName, start: undefined });
  };
  const owner = { ...(filter.member_id ? { member_id: filter.member_id } : {}), ...(filter.client_id ? { client_id: filter.client_id } : {}) };
  const resendMatching = async () => {
    setResend({ running: true });
    try {
      const result = await api('resend', { body: { ...owner, filter: { status: filter.status, event: filter.event } } });
      setResend({ done: `Queued ${result.count} deliveries again.` });
    } catch (error) {
      setResend({ done: String(error.message) });
    }
  };
  const resendOne = async (id) => {
    setResend({ running: true });
    try {
      const result = await api('resend', { body: { ...owner, ids: [id] } });
      setResend({ done: `Queued ${result.count} delivery again.` });
    } catch (error) {
      setResend({ done: String(error.message) });
    }
  };
  return h(
    'section',
    null,
    h('h2', null, 'Deliveries'),
    h(
      'form',
      { class: 'filters', onSubmit: apply },
      h(ApplicationPicker, { me, filter, onChange: ([m, c]) => navigate('deliveries', { member_id: m, client_id: c }) }),
      h(
        'label',
        null,
        'Status',
        h(
          'select',
          { name: 'status', value: status, onChange: (e) => setStatus(e.target.value) },
          ['', 'delivered', 'failed', 'deferred', 'fallback', 'dropped'].map((s) => h('option', { value: s }, s || 'any')),
        ),
      ),
      h('label', null, 'Event', h('input', { name: 'event', value: eventName, onInput: (e) => setEventName(e.target.value), placeholder: 'ONCRMDEALADD' })),
      h('button', { type: 'submit' }, 'Filter'),
      chosen && h('button', { type: 'button', class: 'secondary', onClick: resendMatching, disabled: resend?.running }, 'Resend all matching'),
    ),
    resend?.running && h('div', { role: 'status' }, h('p', null, 'Resending…'), h('progress', { 'aria-label': 'Resending' })),
    resend?.done && h('p', { role: 'status', id: 'resend-result' }, resend.done),
    !chosen ? h('p', null, 'Choose an application.') : state.loading ? h(Loading, { what: 'deliveries' }) : state.error ? h(ErrorBox, { error: state.error }) : h(
      'div',
      null,
      h('p', null, `${state.data.total} attempts match.`),
      h(Table, {
        caption: 'Delivery attempts',
        empty: 'No delivery attempts match.',
        rows: state.data.items,
        columns: [
          { title: 'When', cell: (a) => a.DATE_CREATE },
          { title: 'Event', cell: (a) => a.EVENT_NAME },
          { title: 'Status', cell: (a) => h('span', { class: a.STATUS === 'delivered' ? 'ok' : 'bad' }, a.STATUS) },
          { title: 'HTTP', cell: (a) => a.HTTP_STATUS },
          { title: 'Latency', cell: (a) => `${a.LATENCY_MS} ms` },
          { title: 'Attempt', cell: (a) => a.ATTEMPT },
          {
            title: '',
            cell: (a) =>
              h(
                'span',
                null,
                h('button', { type: 'button', class: 'secondary', onClick: () => setSelected(a), 'aria-label': `Details of ${a.ID}` }, 'Details'),
                ' ',
                h('button', { type: 'button', onClick: () => resendOne(a.ID), 'aria-label': `Resend ${a.ID}` }, 'Resend'),
              ),
          },
        ],
      }),
      state.data.next !== null && h('p', null, h('a', { href: `#/deliveries?${qs({ ...filter, start: state.data.next })}` }, 'Next page')),
      selected &&
        h(
          'div',
          { class: 'card', role: 'region', 'aria-label': 'Delivery detail' },
          h('h3', null, `Delivery ${selected.ID}`),
          h('p', null, `Handler ${selected.HANDLER}, attempt ${selected.ATTEMPT}, HTTP ${selected.HTTP_STATUS}, ${selected.LATENCY_MS} ms ${selected.ERROR ? `— ${selected.ERROR}` : ''}`),
          h('pre', null, JSON.stringify(selected.PAYLOAD, null, 2)),
        ),
    ),
  );
}

function SignIn({ onSignedIn }) {
  const [error, setError] = useState('');
  const submit = async (e) => {
    e.preventDefault();
    const credential = new FormData(e.target).get('credential');
    try {
      await api('session', { body: { credential } });
      onSignedIn();
    } catch (err) {
      setError(String(err.message));
    }
  };
  return h(
    'main',
    { class: 'signin' },
    h('h1', null, 'Operator sign-in'),
    h(
      'form',
      { onSubmit: submit },
      h('label', null, 'Operator credential', h('input', { name: 'credential', type: 'password', autocomplete: 'current-password', required: true })),
      h('button', { type: 'submit' }, 'Sign in'),
      error && h('p', { class: 'error', role: 'alert' }, error),
    ),
    h('p', null, h('small', null, 'Create one with: npm run -s admin -- console operator')),
  );
}

/** The deliveries dead-letter queue (operator only): count, the parked messages, redrive one or all. */
function DeadLetters() {
  const [tick, setTick] = useState(0);
  const [redrive, setRedrive] = useState(null);
  const state = useLoad(() => api('dlq'), [tick]);
  const one = async (m) => {
    setRedrive({ running: true, moved: 0, of: 1 });
    try {
      const result = await api('dlq/redrive', { body: { ids: [m.message_id] } });
      setRedrive({ done: `Redrove ${result.redriven.length} delivery.` });
    } catch (error) {
      setRedrive({ done: String(error.message) });
    }
    setTick((t) => t + 1);
  };
  const all = async () => {
    const of = state.data?.depth ?? 0;
    let moved = 0;
    setRedrive({ running: true, moved, of });
    try {
      // Each call moves a slice of the queue; go on until a call moves nothing.
      for (;;) {
        const result = await api('dlq/redrive', { body: {} });
        if (result.redriven.length === 0) break;
        moved += result.redriven.length;
        setRedrive({ running: true, moved, of: Math.max(of, moved) });
      }
      setRedrive({ done: `Redrove ${moved} deliveries.` });
    } catch (error) {
      setRedrive({ done: `${String(error.message)} (${moved} redriven before)` });
    }
    setTick((t) => t + 1);
  };
  if (state.loading && !state.data) return h(Loading, { what: 'the dead-letter queue' });
  if (state.error) return h(ErrorBox, { error: state.error });
  const { depth, messages } = state.data;
  return h(
    'section',
    null,
    h('h2', null, 'Dead-letter queue'),
    h('div', { class: 'cards' }, h(Card, { label: 'Parked deliveries', value: depth, id: 'dlq-depth' })),
    h('p', null, h('button', { type: 'button', onClick: all, disabled: redrive?.running || depth === 0 }, 'Redrive all')),
    redrive?.running && h('div', { role: 'status' }, h('p', null, `Redriving… ${redrive.moved} of ${redrive.of}`), h('progress', { 'aria-label': 'Redriving', max: redrive.of || 1, value: redrive.moved })),
    redrive?.done && h('p', { role: 'status', id: 'redrive-result' }, redrive.done),
    h(Table, {
      caption: 'Parked deliveries',
      empty: 'The dead-letter queue is empty.',
      rows: messages,
      columns: [
        { title: 'Delivery', cell: (m) => h('span', { 'data-delivery': m.delivery_id ?? '' }, m.delivery_id ?? '(not a delivery)') },
        { title: 'Event', cell: (m) => m.event ?? '–' },
        { title: 'Handler', cell: (m) => m.handler ?? (m.body ? h('code', null, m.body) : '–') },
        { title: 'Portal', cell: (m) => m.member_id ?? '–' },
        { title: 'Application', cell: (m) => m.client_id ?? '–' },
        { title: 'Attempts / reason', cell: (m) => `${m.attempts ?? '–'}${m.reason ? `: ${m.reason}` : ''}` },
        { title: 'Parked', cell: (m) => m.sent_at.replace('T', ' ').slice(0, 19) },
        { title: '', cell: (m) => m.delivery_id && h('button', { type: 'button', onClick: () => one(m), disabled: redrive?.running, 'aria-label': `Redrive ${m.delivery_id}` }, 'Redrive') },
      ],
    }),
  );
}

function parseHash() {
  const [page, query] = location.hash.replace(/^#\/?/, '').split('?');
  return { page: page || 'overview', filter: Object.fromEntries(new URLSearchParams(query ?? '')) };
}

const PAGES = [
  ['overview', 'Overview', Overview],
  ['installations', 'Portals', Installations, 'operator'],
  ['bindings', 'Bindings', Bindings],
  ['queues', 'Offline queues', Queues],
  ['deliveries', 'Deliveries', Deliveries],
  ['dlq', 'Dead letters', DeadLetters, 'operator'],
];

function App() {
  const [route, setRoute] = useState(parseHash());
  const [me, setMe] = useState(undefined);
  const [session, setSession] = useState(0);
  useEffect(() => {
    const onHash = () => setRoute(parseHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    api('me').then(setMe, () => setMe(null));
  }, [session, route.page]);
  if (me === undefined) return h(Loading, { what: 'the console' });
  if (me === null) return h(SignIn, { onSignedIn: () => setSession(session + 1) });
  const navigate = (page, filter) => (location.hash = `#/${page}?${qs(filter)}`);
  const pages = PAGES.filter((p) => !p[3] || p[3] === me.role);
  const current = pages.find((p) => p[0] === route.page) ?? pages[0];
  const signOut = async () => {
    await api('session', { method: 'DELETE', body: {} }).catch(() => undefined);
    setSession(session + 1);
  };
  return h(
    'div',
    null,
    h(
      'header',
      null,
      h('h1', null, 'b24-event-hub'),
      h('nav', { 'aria-label': 'Console pages' }, pages.map(([id, title]) => h('a', { href: `#/${id}`, 'aria-current': id === current[0] ? 'page' : undefined }, title))),
      h(
        'span',
        { class: 'who' },
        me.role === 'operator' ? 'Operator ' : `Application ${me.clientId} on ${me.memberId} `,
        me.role === 'operator' && h('button', { type: 'button', class: 'secondary', onClick: signOut }, 'Sign out'),
      ),
    ),
    h('main', null, h(current[2], { me, filter: route.filter, navigate, key: `${current[0]}?${qs(route.filter)}` })),
  );
}

const root = document.getElementById('app');
root.textContent = ''; // the static "Loading" line
render(h(App), root);
