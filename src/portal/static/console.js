// The console page: xterm.js over a WebSocket. Each connection first fetches a single-use ticket
// (POST with the CSRF token); when the console ends (the VM reboots) it reconnects with a new one.
(function () {
  const el = document.getElementById('terminal');
  const statusEl = document.getElementById('console-status');
  if (!el) return;
  const vm = el.dataset.vm;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const term = new window.Terminal({ cursorBlink: true, convertEol: false, fontSize: 14, scrollback: 5000 });
  const fit = new window.FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(el);
  fit.fit();
  let ws = null;
  let retries = 0;
  let stopped = false;
  const setStatus = (kind, text) => {
    statusEl.className = 'notice ' + kind;
    statusEl.textContent = text;
    statusEl.dataset.state = kind;
  };
  const send = (obj) => { if (ws && ws.readyState === 1) ws.send(JSON.stringify(obj)); };
  term.onData((data) => send({ type: 'data', data }));
  term.onResize(({ cols, rows }) => send({ type: 'resize', cols, rows }));
  window.addEventListener('resize', () => fit.fit());

  async function connect() {
    if (stopped) return;
    let ticket;
    try {
      const res = await fetch('/vms/' + vm + '/console-ticket', { method: 'POST', headers: { 'x-csrf-token': csrf }, credentials: 'same-origin' });
      if (!res.ok) {
        // A refusal with a reason (e.g. the account is suspended) says it; anything else gets a generic line.
        const why = (res.headers.get('content-type') || '').includes('json') ? (await res.json().catch(() => ({}))).detail : null;
        setStatus('error', why || (res.status === 404 ? 'This VM is not available to you.' : 'Could not get a console ticket (' + res.status + '). Reload the page.'));
        return;
      }
      ticket = (await res.json()).ticket;
    } catch (e) { return retry('Network error; retrying…'); }
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = new WebSocket(proto + '//' + location.host + '/vms/' + vm + '/console?ticket=' + encodeURIComponent(ticket));
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') {
        const msg = JSON.parse(ev.data);
        if (msg.type === 'open') { retries = 0; setStatus('ok', msg.text); send({ type: 'resize', cols: term.cols, rows: term.rows }); term.focus(); }
        else if (msg.type === 'busy' || msg.type === 'refused') { stopped = true; setStatus('error', msg.text); }
        else setStatus('info', msg.text);
      } else {
        term.write(new Uint8Array(ev.data));
      }
    };
    ws.onclose = (ev) => {
      ws = null;
      if (ev.code === 4009 || ev.code === 4003) { stopped = true; return; }
      if (ev.code === 4000 || ev.code === 4001 || ev.code === 1006) retry(ev.code === 4000 ? 'Console ended; reconnecting…' : 'Waiting for the console…');
      else if (!stopped) setStatus('error', 'Console closed (' + ev.code + '). Reload to reconnect.');
    };
  }
  function retry(text) {
    if (stopped) return;
    retries++;
    if (retries > 40) { setStatus('error', 'The console did not come back. Reload the page to try again.'); return; }
    setStatus('info', text);
    setTimeout(connect, Math.min(500 * retries, 3000));
  }
  window.addEventListener('beforeunload', () => { stopped = true; if (ws) ws.close(1000); });
  connect();
})();
