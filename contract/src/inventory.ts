import { z } from 'zod';
import { DEVICE_KINDS, SITE_KINDS } from './vocabulary';

/**
 * inventory.yaml: the sites, their devices and what each device depends on. The dependency
 * graph is what turns "twenty monitors went silent" into "their power switch went silent first".
 */
export const siteSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lower-case letters, digits, _ and -'),
  name: z.string().min(1),
  kind: z.enum(SITE_KINDS),
  /** 1 (low) to 5 (life-critical): feeds ticket priority. */
  criticality: z.number().int().min(1).max(5),
});

export const deviceSchema = z.object({
  /** The hostname the device logs under (Telegraf's `hostname`/`host` tag). */
  host: z.string().min(1),
  site: z.string().min(1),
  kind: z.enum(DEVICE_KINDS),
  /** Hosts this device cannot work without (its power switch, its network switch, ...). */
  dependsOn: z.array(z.string()).default([]),
});

export const inventorySchema = z
  .object({
    sites: z.array(siteSchema).min(1),
    devices: z.array(deviceSchema).min(1),
  })
  .superRefine((inv, ctx) => {
    const sites = new Set(inv.sites.map((s) => s.id));
    const hosts = new Set<string>();
    inv.devices.forEach((d, i) => {
      if (hosts.has(d.host)) {
        ctx.addIssue({ code: 'custom', path: ['devices', i, 'host'], message: `duplicate host ${d.host}` });
      }
      hosts.add(d.host);
      if (!sites.has(d.site)) {
        ctx.addIssue({ code: 'custom', path: ['devices', i, 'site'], message: `unknown site ${d.site}` });
      }
    });
    inv.devices.forEach((d, i) => {
      d.dependsOn.forEach((dep, j) => {
        if (!hosts.has(dep)) {
          ctx.addIssue({ code: 'custom', path: ['devices', i, 'dependsOn', j], message: `unknown host ${dep}` });
        }
      });
    });
  });

export type Site = z.infer<typeof siteSchema>;
export type Device = z.infer<typeof deviceSchema>;
export type Inventory = z.infer<typeof inventorySchema>;
