// The console WebSocket's server side: checks (ticket, Origin, session, VM access, tenant not suspended)
// before the upgrade, then bridges frames to the adapter's console stream. One console per VM across every
// replica (a console_sessions row, auth/console-holds.ts); the adapter refuses a second holder too
// (InvalidState), so the message is the same either way. Suspending the tenant ends its users' consoles.
import type { AppContext } from '../context.ts';
import type { ConsoleStream } from '../hosts/types.ts';
import { HostError } from '../hosts/types.ts';
import { getHost } from '../hosts/registry.ts';
import { redeemConsoleTicket } from '../auth/console-tickets.ts';
import { audit } from '../auth/audit.ts';
import { AuthError } from '../auth/errors.ts';
import type { SessionAuth } from './env.ts';
import type { PortalOptions } from './options.ts';
import { getVmForActor, type VmView } from './queries/vms.ts';
import { originAllowed } from './middleware/csrf.ts';
import { acquireConsoleHold, type ConsoleHold, type HoldLoss } from '../auth/console-holds.ts';
import { getTenantSuspension } from '../billing/catalogue/suspend-tenant.ts';
import { assertTenantMayAct, suspensionText } from './actions/suspension.ts';

/** Close codes the page's script understands. */
export const CLOSE = {
  /** The console stream ended (VM shut down or rebooting): reconnect with a new ticket. */
  ended: 4000,
  /** Could not open the console now (VM not running, host unreachable): retry later. */
  unavailable: 4001,
  /** Another console session holds this VM: do not retry automatically. */
  busy: 4009,
  /** Refused or ended by policy (tenant suspended) or taken over: do not retry automatically. */
  refused: 4003,
} as const;

export interface ConsoleGrant {
  vm: VmView;
  auth: SessionAuth;
  ip: string;
}

/** All checks before the upgrade; throws AuthError (mapped to 403/404) when any fails. */
export async function authorizeConsole(
  ctx: AppContext,
  opts: PortalOptions,
  req: { vmId: string; ticket: string | undefined; headers: Headers; url: string; auth: SessionAuth | null; ip: string },
): Promise<ConsoleGrant> {
  if (!originAllowed(req.headers, req.url, opts)) throw new AuthError('Forbidden', 'console: Origin is not this site');
  if (!req.auth) throw new AuthError('Forbidden', 'console: not signed in');
  if (!req.ticket) throw new AuthError('Forbidden', 'console: ticket missing');
  const vm = await getVmForActor(ctx, req.auth.actor, req.vmId);
  await assertTenantMayAct(ctx, req.auth.actor, vm.tenantId, 'The console is');
  try {
    await redeemConsoleTicket(ctx, req.ticket, { vmUuid: vm.uuid, sessionId: req.auth.session.id });
  } catch (err) {
    if (err instanceof AuthError) throw new AuthError('Forbidden', `console: ${err.message}`);
    throw err;
  }
  return { vm, auth: req.auth, ip: req.ip };
}

/** Minimal view of the socket the bridge writes to (the node-server WSContext satisfies it). */
export interface ConsoleSocket {
  send(data: string | Uint8Array<ArrayBuffer>): void;
  close(code?: number, reason?: string): void;
}

const BUSY = (name: string) => `Another console session is open on ${name}. Close it first (or wait for it to end), then reload.`;

export class ConsoleSession {
  private stream: ConsoleStream | null = null;
  private hold: ConsoleHold | null = null;
  private ws: ConsoleSocket | null = null;
  private closed = false;
  private onEnded: (() => void) | null = null;

  constructor(
    private readonly ctx: AppContext,
    private readonly grant: ConsoleGrant,
  ) {}

  private auditEvent(action: 'console.open' | 'console.close', result: 'ok' | 'failed' | 'denied', detail?: Record<string, unknown>) {
    const { vm, auth, ip } = this.grant;
    return audit(this.ctx, { action, result, actorUserId: auth.user.id, actorLabel: auth.user.email, tenantId: vm.tenantId, target: vm.uuid, ip, detail }).catch((err: unknown) =>
      this.ctx.log.error({ err }, 'console: audit write failed'),
    );
  }

  private status(ws: ConsoleSocket, type: string, text: string) {
    ws.send(JSON.stringify({ type, text }));
  }

  async open(ws: ConsoleSocket): Promise<void> {
    const { vm, auth } = this.grant;
    this.ws = ws;
    const got = await acquireConsoleHold(this.ctx, { vmUuid: vm.uuid, userId: auth.user.id, tenantId: auth.actor.tenantId }, (why) => void this.lost(why));
    if (got.status !== 'acquired') {
      const suspended = got.status === 'suspended';
      await this.auditEvent('console.open', 'denied', { reason: suspended ? 'tenant suspended' : 'held by another session' });
      if (suspended) {
        this.status(ws, 'refused', await this.refusalText());
        ws.close(CLOSE.refused, 'tenant suspended');
      } else {
        this.status(ws, 'busy', BUSY(vm.name));
        ws.close(CLOSE.busy, 'console busy');
      }
      return;
    }
    this.hold = got.hold;
    if (this.closed) return this.shutdown();
    try {
      if (!vm.hostId) throw new HostError('HostUnreachable', `${vm.name} is not on a known host`);
      const host = await getHost(this.ctx.db, vm.hostId);
      this.stream = await this.ctx.hosts.adapterFor(host).openConsole(vm.uuid);
    } catch (err) {
      await this.releaseHold();
      const he = err instanceof HostError ? err : null;
      const busy = he?.code === 'InvalidState' && /held|busy|another/i.test(he.message);
      await this.auditEvent('console.open', busy ? 'denied' : 'failed', { reason: he ? `${he.code}: ${he.message}` : 'internal error' });
      if (!he) this.ctx.log.error({ err }, 'console: open failed');
      if (busy) {
        this.status(ws, 'busy', BUSY(vm.name));
        ws.close(CLOSE.busy, 'console busy');
      } else {
        this.status(ws, 'unavailable', he?.code === 'InvalidState' ? `${vm.name} is not running; waiting for it to start…` : `The console is not reachable right now; retrying…`);
        ws.close(CLOSE.unavailable, 'console unavailable');
      }
      return;
    }
    await this.auditEvent('console.open', 'ok');
    if (this.closed) return this.shutdown();
    this.status(ws, 'open', `Connected to ${vm.name}.`);
    const stream = this.stream;
    stream.on('data', (chunk: Buffer | string) => ws.send(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : new Uint8Array(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength) as ArrayBuffer)));
    const ended = () => {
      if (this.closed) return;
      this.status(ws, 'ended', `The console of ${vm.name} ended (the VM stopped or is rebooting); reconnecting…`);
      // Free the VM before the page hears of it, so its reconnect does not find the VM still held.
      void this.releaseHold().finally(() => ws.close(CLOSE.ended, 'console ended'));
    };
    this.onEnded = ended;
    stream.once('end', ended);
    stream.once('close', ended);
    stream.on('error', (err: Error) => {
      this.ctx.log.warn({ err: err.message, vm: vm.uuid }, 'console stream error');
      ended();
    });
  }

  /** Client frames: JSON `{type:'data', data}` (keystrokes, paste) or `{type:'resize', cols, rows}`. */
  message(raw: string | ArrayBuffer): void {
    if (!this.stream || typeof raw !== 'string' || raw.length > 65536) return;
    let msg: { type?: unknown; data?: unknown; cols?: unknown; rows?: unknown };
    try {
      msg = JSON.parse(raw) as typeof msg;
    } catch {
      return;
    }
    if (msg.type === 'data' && typeof msg.data === 'string') this.stream.write(msg.data);
    else if (msg.type === 'resize' && Number.isInteger(msg.cols) && Number.isInteger(msg.rows)) {
      const cols = Math.min(Math.max(msg.cols as number, 10), 500);
      const rows = Math.min(Math.max(msg.rows as number, 5), 300);
      this.stream.resize?.(cols, rows);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const hadStream = !!this.stream;
    this.shutdown();
    if (hadStream) await this.auditEvent('console.close', 'ok');
  }

  private shutdown() {
    // Only our own listeners go: the adapter may listen for close to release the domain's console.
    if (this.onEnded) {
      this.stream?.off('end', this.onEnded);
      this.stream?.off('close', this.onEnded);
    }
    this.stream?.destroy();
    this.stream = null;
    this.release();
  }

  private release() {
    void this.releaseHold();
  }

  private releaseHold(): Promise<void> {
    const h = this.hold;
    this.hold = null;
    return h ? h.release() : Promise.resolve();
  }

  /** What a tenant user is told when the tenant is suspended (the reason, when it can be read). */
  private async refusalText(): Promise<string> {
    const tenantId = this.grant.auth.actor.tenantId;
    const s = tenantId ? await getTenantSuspension(this.ctx.db, tenantId).catch(() => null) : null;
    return s ? `${suspensionText(s)}. The console is unavailable until the operator lifts the suspension.` : 'The console is unavailable: this account is suspended.';
  }

  /** The hold was revoked (tenant suspended) or found gone at a heartbeat (another replica took over a stale row). */
  private async lost(why: HoldLoss): Promise<void> {
    if (this.closed) return;
    this.hold = null;
    const ws = this.ws;
    const tenantId = this.grant.auth.actor.tenantId;
    const suspended = why === 'revoked' || (tenantId ? (await getTenantSuspension(this.ctx.db, tenantId).catch(() => null)) !== null : false);
    if (this.closed) return;
    const text = suspended ? await this.refusalText() : `This console session was ended: another session now holds the console of ${this.grant.vm.name}.`;
    ws?.send(JSON.stringify({ type: 'refused', text }));
    ws?.close(CLOSE.refused, suspended ? 'tenant suspended' : 'console taken over');
    this.closed = true;
    const hadStream = !!this.stream;
    this.shutdown();
    if (hadStream) await this.auditEvent('console.close', 'ok', { reason: suspended ? 'tenant suspended' : 'taken over' });
  }
}
