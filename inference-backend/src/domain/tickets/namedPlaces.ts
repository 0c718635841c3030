import type { Device, Inventory, Site } from '@nocai/contract';

/** The inventory's devices and sites a person's text names, each in the order it is first named. */
export interface NamedPlaces {
  devices: Device[];
  sites: Site[];
}

/**
 * The devices (by host) and sites (by id or by name) of the inventory that a typed complaint
 * names, ignoring case. A name counts only as a word of its own: `hosp-01` is not named by
 * `hosp-01-mon-07` (that names the monitor), nor `srv-1` by `srv-10` or by `a.srv-1`; a full
 * stop or comma after a name ends it ("… is down at hosp-01.").
 */
export function placesNamedIn(text: string, inventory: Inventory): NamedPlaces {
  const lower = text.toLowerCase();
  const sites = firstNamed(lower, inventory.sites, (site) => [site.id, site.name]);
  // Host names hold no spaces: the text's words are looked up, not every host searched for.
  const byHost = hostIndex(inventory);
  const devices = new Set<Device>();
  for (const word of lower.match(NAME_RUN) ?? []) {
    const device = byHost.get(word.replace(EDGE_DOTS, ''));
    if (device) devices.add(device);
  }
  return { devices: [...devices], sites };
}

/** Runs of name characters: the words a host can be. */
const NAME_RUN = /[\p{L}\p{N}_.-]+/gu;
/** Dots that start or end a word are punctuation, not part of a name. */
const EDGE_DOTS = /^\.+|\.+$/g;

const hostIndexes = new WeakMap<Inventory, Map<string, Device>>();

/** The inventory's devices by lower-cased host, built once per inventory. */
function hostIndex(inventory: Inventory): Map<string, Device> {
  let index = hostIndexes.get(inventory);
  if (!index) {
    index = new Map();
    for (const device of inventory.devices) {
      const key = device.host.toLowerCase();
      if (!index.has(key)) index.set(key, device);
    }
    hostIndexes.set(inventory, index);
  }
  return index;
}

function firstNamed<T>(lower: string, items: readonly T[], namesOf: (item: T) => string[]): T[] {
  const found: { item: T; at: number }[] = [];
  for (const item of items) {
    let at = Infinity;
    for (const name of namesOf(item)) at = Math.min(at, wordAt(lower, name.toLowerCase()));
    if (at !== Infinity) found.push({ item, at });
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.item);
}

/** Where `name` first stands in `text` as a word of its own, or Infinity. */
function wordAt(text: string, name: string): number {
  if (name.trim() === '') return Infinity;
  for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
    const before = text[at - 1];
    const after = text[at + name.length];
    const startsWord =
      before === undefined || !NAME_CHAR.test(before) || (before === '.' && !continuesName(text, at - 1));
    // A dot after the name continues it only when a name character follows (srv-1.example.com).
    const endsWord =
      after === undefined ||
      !NAME_CHAR.test(after) ||
      (after === '.' && !NAME_CHAR.test(text[at + name.length + 1] ?? ' '));
    if (startsWord && endsWord) return at;
  }
  return Infinity;
}

/** Whether the dot at `dot` joins two parts of a name (a character of a name right before it). */
function continuesName(text: string, dot: number): boolean {
  const before = text[dot - 1];
  return before !== undefined && NAME_CHAR.test(before);
}

/** Characters that continue a host name or site id: letters, digits, `-`, `_` and `.`. */
const NAME_CHAR = /[\p{L}\p{N}_.-]/u;
