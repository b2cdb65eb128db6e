// The demo an empty database gets on `npm start`: the simulated fleet's hosts, a plan, two tenants owning
// the VMs, an operator and a tenant owner with fresh random passwords (printed once, stored hashed).
import { randomBytes } from 'node:crypto';
import { createUser } from '../auth/users.ts';
import { assignVm, createPlan, createTenant } from '../billing/index.ts';
import { runPollCycle } from '../collectors/poll.ts';
import { seedDemoFleet } from '../collectors/seed-demo.ts';
import type { AppContext } from '../context.ts';
import type { SimFleet } from '../hosts/sim/fleet.ts';
import { rows, sql } from '../db/client.ts';

export interface DemoSeed {
  hosts: number;
  vms: number;
  tenants: string[];
  summary: string;
}

const password = () => randomBytes(12).toString('base64url');

export async function seedDemo(ctx: AppContext, fleet: SimFleet): Promise<DemoSeed> {
  const hosts = await seedDemoFleet(ctx, { fleet });
  // One poll discovers the VMs (UUIDs, names) so they can be assigned; it only sets counter baselines.
  await runPollCycle(ctx);
  const vms = await rows<{ uuid: string }>(ctx.db, sql`select uuid::text as uuid from vms order by name`);

  const plan = await createPlan(ctx, {
    name: 'Standard VPS',
    currency: 'USD',
    basePrice: 500n,
    components: [
      { component: 'cpu_hours', included: '100', tiers: [{ upTo: '1000', unitPrice: '0.01' }, { upTo: null, unitPrice: '0.008' }] },
      { component: 'memory_gib_hours', included: '1500', tiers: [{ upTo: null, unitPrice: '0.002' }] },
      { component: 'disk_write_gib', included: '50', tiers: [{ upTo: null, unitPrice: '0.05' }] },
      { component: 'network_out_gib', included: '1000', tiers: [{ upTo: '10000', unitPrice: '0.01' }, { upTo: null, unitPrice: '0.005' }] },
    ],
  });
  const acme = await createTenant(ctx, { company: 'Acme Hosting GmbH', billingEmail: 'billing@acme.example', currency: 'USD', taxRatePercent: '19', billingAddress: 'Hauptstraße 1\n10115 Berlin', timezone: 'Europe/Berlin' });
  const globex = await createTenant(ctx, { company: 'Globex Corp', billingEmail: 'ap@globex.example', currency: 'USD', timezone: 'America/New_York' });
  const now = ctx.clock.now();
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  for (const [i, vm] of vms.entries()) {
    await assignVm(ctx, { vmUuid: vm.uuid, tenantId: i % 3 === 2 ? globex.id : acme.id, planId: plan.id, from: monthStart });
  }

  const creds = [
    { email: 'operator@kamikazi.example', role: 'operator' as const, tenantId: null, password: password() },
    { email: 'owner@acme.example', role: 'owner' as const, tenantId: acme.id, password: password() },
    { email: 'owner@globex.example', role: 'owner' as const, tenantId: globex.id, password: password() },
  ];
  for (const c of creds) await createUser(ctx.db, c);

  const summary = [
    `demo seeded: ${hosts} simulated hosts, ${vms.length} VMs, plan "${plan.name}", tenants ${acme.company} and ${globex.company}`,
    'demo sign-ins (shown once; change them in the portal):',
    ...creds.map((c) => `  ${c.email.padEnd(28)} ${c.password}  (${c.role})`),
    'history for the usage charts and a first invoice run: kamikazi demo --days 7',
  ].join('\n');
  return { hosts, vms: vms.length, tenants: [acme.id, globex.id], summary };
}
