import { DEVICE_KINDS, EVENT_CLASSES, SYSLOG_SEVERITIES } from '@nocai/contract';
import { backgroundTemplateIds } from './background';
import { generateInventory } from './inventory';
import { Rng } from './random';
import { hostContext, placeholdersOf, renderMessage } from './render';
import { FACILITY_CODES, MESSAGE_TEMPLATES, templateById } from './templates';
import { Topology } from './topology';

const topology = new Topology(generateInventory({ seed: 42 }));

describe('message templates', () => {
  it('When counted, then there are at least 60 distinct templates with unique ids', () => {
    const ids = MESSAGE_TEMPLATES.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(MESSAGE_TEMPLATES.map((t) => t.text)).size).toBeGreaterThanOrEqual(60);
  });

  it('When grouped by class, then every class has several templates', () => {
    for (const eventClass of EVENT_CLASSES) {
      expect(MESSAGE_TEMPLATES.filter((t) => t.eventClass === eventClass).length).toBeGreaterThanOrEqual(6);
    }
  });

  it('When grouped by device kind, then each kind logs in at least four classes', () => {
    for (const kind of DEVICE_KINDS) {
      const classes = new Set(MESSAGE_TEMPLATES.filter((t) => t.deviceKinds.includes(kind)).map((t) => t.eventClass));
      expect(classes.size).toBeGreaterThanOrEqual(4);
    }
  });

  it('When rendered for a fitting device, then every placeholder is filled and values vary', () => {
    const r = new Rng(5);
    for (const template of MESSAGE_TEMPLATES) {
      const device = topology.devices.find((d) => template.deviceKinds.includes(d.kind));
      expect(device).toBeDefined();
      if (!device) continue;
      const messages = new Set<string>();
      for (let i = 0; i < 5; i++) {
        const message = renderMessage(template, r, hostContext(device));
        expect(message).not.toMatch(/\{[a-z0-9]+\}/);
        messages.add(message);
      }
      // {unit} and {gateway} are the device's own; any other placeholder must vary.
      if (placeholdersOf(template).some((p) => p !== 'unit' && p !== 'gateway'))
        expect(messages.size).toBeGreaterThan(1);
      expect(SYSLOG_SEVERITIES).toContain(template.severity);
      expect(FACILITY_CODES[template.facility]).toBeGreaterThanOrEqual(0);
    }
  });

  it('When a value is pinned, then every occurrence uses it', () => {
    const router = topology.devices.find((d) => d.kind === 'router');
    if (!router) throw new Error('no router');
    const message = renderMessage(templateById('net.link_down'), new Rng(1), hostContext(router), { iface: 'Gi9/9' });
    expect(message).toBe('%LINK-3-UPDOWN: Interface Gi9/9, changed state to down');
  });

  it('When a device logs routine lines, then they are templates meant for its kind', () => {
    for (const kind of DEVICE_KINDS) {
      for (const id of backgroundTemplateIds(kind)) expect(templateById(id).deviceKinds).toContain(kind);
    }
  });
});
