import { inventorySchema } from '@nocai/contract';
import { placesNamedIn } from './namedPlaces';

const inventory = inventorySchema.parse({
  sites: [
    { id: 'hosp-01', name: "St. Mary's General Hospital", kind: 'hospital', criticality: 5 },
    { id: 'fact-01', name: 'Riverside Assembly Plant', kind: 'factory', criticality: 4 },
  ],
  devices: [
    { host: 'hosp-01-mon-1', site: 'hosp-01', kind: 'patient_monitor' },
    { host: 'hosp-01-mon-10', site: 'hosp-01', kind: 'patient_monitor' },
    { host: 'fact-01-plc-02.plant.example', site: 'fact-01', kind: 'plc' },
  ],
});

const named = (text: string) => {
  const places = placesNamedIn(text, inventory);
  return { devices: places.devices.map((d) => d.host), sites: places.sites.map((s) => s.id) };
};

describe('places a complaint names', () => {
  it('When a host is written in any case, then its device is named, in the order the text names them', () => {
    expect(named('HOSP-01-MON-10 rebooted after hosp-01-mon-1 did').devices).toEqual([
      'hosp-01-mon-10',
      'hosp-01-mon-1',
    ]);
  });

  it('When a host is only part of a longer name, then it is not named', () => {
    expect(named('hosp-01-mon-10 is down').devices).toEqual(['hosp-01-mon-10']);
    expect(named('asset hosp-01-mon-1x and x.hosp-01-mon-1 and hosp-01-mon-1_b').devices).toEqual([]);
    expect(named('see hosp-01-mon-1.ward3 please').devices).toEqual([]);
  });

  it('When punctuation ends a name, then it is still named, dots inside a name included', () => {
    expect(named('down: hosp-01-mon-1. Please check (fact-01-plc-02.plant.example), urgent').devices).toEqual([
      'hosp-01-mon-1',
      'fact-01-plc-02.plant.example',
    ]);
  });

  it('When a site is written by its id or its name, then it is named; a site id inside a host name is not', () => {
    expect(named("the lift at st. mary's general hospital").sites).toEqual(['hosp-01']);
    expect(named('all of fact-01, since 9:00').sites).toEqual(['fact-01']);
    expect(named('hosp-01-mon-1 is dark').sites).toEqual([]);
  });
});
