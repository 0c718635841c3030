import { inventorySchema } from './inventory';
import { checkInput } from './refusals';

const site = { id: 'hosp-01', name: 'St. Mary', kind: 'hospital', criticality: 5 };

describe('inventorySchema', () => {
  it('When devices depend on hosts of the inventory, then it parses with dependsOn defaulting to none', () => {
    const parsed = inventorySchema.parse({
      sites: [site],
      devices: [
        { host: 'hosp-01-ps-01', site: 'hosp-01', kind: 'power_switch' },
        { host: 'hosp-01-mon-01', site: 'hosp-01', kind: 'patient_monitor', dependsOn: ['hosp-01-ps-01'] },
      ],
    });
    expect(parsed.devices[0].dependsOn).toEqual([]);
  });

  it('When a device names an unknown dependency, a duplicate host or an unknown site, then each is reported where it is', () => {
    const result = checkInput(inventorySchema, {
      sites: [site],
      devices: [
        { host: 'a', site: 'hosp-01', kind: 'server', dependsOn: ['ghost'] },
        { host: 'a', site: 'nowhere', kind: 'server' },
      ],
    });
    expect(result.success).toBe(false);
    const messages = result.success ? [] : result.messages;
    expect(messages).toEqual(
      expect.arrayContaining([
        'devices.1.host: duplicate host a',
        'devices.1.site: unknown site nowhere',
        'devices.0.dependsOn.0: unknown host ghost',
      ])
    );
  });

  it('When a site id has capitals or spaces, then it is refused (ids become InfluxDB tag values)', () => {
    expect(checkInput(inventorySchema, { sites: [{ ...site, id: 'Hosp 1' }], devices: [] })).toMatchObject({
      success: false,
      message: 'sites.0.id must be lower-case letters, digits, _ and -',
    });
  });
});
