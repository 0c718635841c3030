import { TICKET_CHANGES, TICKET_STATUSES } from '@nocai/contract';
import { listFiles, readText } from './repo';

/**
 * The provisioned rules and dashboards filter aiops_tickets by `status` and `change` values. Those are
 * closed sets in contract/ (ticketWorkflow.ts): a value outside them would match no point, silently.
 */
const SOURCES: Array<[string, string]> = [
  ['provisioning/alerting/rules.yaml', readText('provisioning', 'alerting', 'rules.yaml')],
  ...listFiles('dashboards', ['.json']).map((name): [string, string] => [
    `dashboards/${name}`,
    readText('dashboards', name),
  ]),
];

/** `"tag" = 'value'` in a query, with the quoting of YAML ('') and JSON (\") undone. */
function valuesOf(tag: string, text: string): string[] {
  const unquoted = text.replace(/''/g, "'").replace(/\\"/g, '"');
  return [...unquoted.matchAll(new RegExp(`"${tag}" = '([^']*)'`, 'g'))].map((m) => m[1]);
}

describe('ticket status and change values in rules and dashboards', () => {
  it.each(SOURCES)('%s: every status and change it filters on is one the backend writes', (_file, text) => {
    for (const status of valuesOf('status', text)) expect(TICKET_STATUSES).toContain(status);
    for (const change of valuesOf('change', text)) expect(TICKET_CHANGES).toContain(change);
  });

  it('When tickets are counted as opened, then the rules and dashboards use the change tag, not a status that later changes also carry', () => {
    const all = SOURCES.map(([, text]) => text).join('\n');
    expect(valuesOf('change', all)).toContain('opened');
  });
});
