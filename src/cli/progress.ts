// A progress bar for long CLI work, drawn on stderr (plain lines when stderr is not a terminal).
export interface Progress {
  tick(done: number, label?: string): void;
  finish(label?: string): void;
}

export function createProgress(title: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = Date.now();
  const tty = Boolean(stream.isTTY);
  let lastDraw = 0;
  let lastPct = -1;
  const draw = (done: number, label: string, force: boolean) => {
    const pct = total > 0 ? Math.min(100, Math.floor((done * 100) / total)) : 100;
    const now = Date.now();
    if (!force && (tty ? now - lastDraw < 100 : pct < lastPct + 10)) return;
    lastDraw = now;
    lastPct = pct;
    const elapsed = (now - started) / 1000;
    const eta = done > 0 && done < total ? ` eta ${Math.ceil((elapsed * (total - done)) / done)}s` : '';
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const line = `${title} ${bar} ${String(pct).padStart(3)}% ${done}/${total}${eta}${label ? `  ${label}` : ''}`;
    stream.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
  };
  return {
    tick: (done, label = '') => draw(done, label, false),
    finish: (label = '') => {
      draw(total, label, true);
      if (tty) stream.write('\n');
    },
  };
}
