import { MedianMttrBaseline, RuleTextRouter } from './baselineModels';
import { MTTR_FALLBACK_NOTE, mttrFallingBack, routerFallingBack, type ModelFailure } from './modelFallback';
import type { MttrInput, MttrPredictor, TextRouter } from './ports';

const input: MttrInput = {
  eventClass: 'power',
  department: 'facilities',
  priority: 'P2',
  siteKind: 'hospital',
  deviceKind: 'ups',
  openedAtMs: Date.UTC(2026, 10, 2, 9),
  fromIncident: false,
};

describe('serving models falling back', () => {
  it('When the MTTR model answers, then its estimate is served as it is and nothing is reported', async () => {
    const failures: ModelFailure[] = [];
    const model: MttrPredictor = {
      predict: async () => ({ p50Seconds: 60, p90Seconds: 600, modelVersion: 'mttr@v3' }),
    };
    const served = await mttrFallingBack(model, new MedianMttrBaseline([]), (f) => failures.push(f)).predict(input);
    expect(served).toEqual({ p50Seconds: 60, p90Seconds: 600, modelVersion: 'mttr@v3' });
    expect(failures).toEqual([]);
  });

  it('When the MTTR model throws, then the baseline estimates with a note saying so, and the failure is reported', async () => {
    const failures: ModelFailure[] = [];
    const model: MttrPredictor = { predict: () => Promise.reject(new Error('session is closed')) };
    const baseline = new MedianMttrBaseline([]);
    const served = await mttrFallingBack(model, baseline, (f) => failures.push(f)).predict(input);
    expect(served).toMatchObject({ ...(await baseline.predict(input)), note: MTTR_FALLBACK_NOTE });
    expect(failures).toEqual([{ model: 'mttr', reason: 'session is closed' }]);
  });

  it('When the routing models throw, then the rules route the text and the failure is reported', async () => {
    const failures: ModelFailure[] = [];
    const router: TextRouter = { route: () => Promise.reject('bad tensor') };
    const text = { text: 'UPS on battery, mains lost in the east wing' };
    const served = await routerFallingBack(router, new RuleTextRouter(), (f) => failures.push(f)).route(text);
    expect(served).toEqual(await new RuleTextRouter().route(text));
    expect(failures).toEqual([{ model: 'router', reason: 'bad tensor' }]);
  });

  it('When a text has no word to read (an alert with no labels), then the rules route it, its department following its class, and nothing is reported', async () => {
    const failures: ModelFailure[] = [];
    // What the trained class and department models answered for an empty text: each its own prior.
    const models: TextRouter = {
      route: async () => ({
        eventClass: 'network',
        department: 'field_technicians',
        priority: 'P3',
        confidence: 0.45,
        explanation: [],
        modelVersion: 'ticket-class@v1+department@v1+priority@v1',
      }),
    };
    const router = routerFallingBack(models, new RuleTextRouter(), (f) => failures.push(f));
    for (const text of ['', '  . ']) {
      expect(await router.route({ text })).toEqual(await new RuleTextRouter().route({ text }));
    }
    expect(await router.route({ text: '' })).toMatchObject({ eventClass: 'informational', department: 'it_ops' });
    // A device named by the alert's labels is read by the rules: a UPS's silence is power.
    expect(await router.route({ text: '', deviceKind: 'ups' })).toMatchObject({
      eventClass: 'power',
      department: 'field_technicians',
    });
    expect(await router.route({ text: 'Link down' })).toMatchObject({ eventClass: 'network' });
    expect(failures).toEqual([]);
  });
});
