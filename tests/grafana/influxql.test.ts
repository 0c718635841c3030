import { checkInfluxQuery } from './influxql';
import { contractCatalog } from './seriesCatalog';

// The dashboard and alert tests trust this checker; these cases show it catches what it claims to.
describe('checkInfluxQuery', () => {
  const catalog = contractCatalog();

  it('When a query uses only declared names, then it reports no problem and lists its variables', () => {
    const check = checkInfluxQuery(
      `SELECT count("ticket_id") AS "opened" FROM "aiops_tickets" WHERE "status" = 'open' AND "site" =~ /^$site$/ AND $timeFilter GROUP BY time($__interval), "priority" fill(0)`,
      catalog
    );
    expect(check.problems).toEqual([]);
    expect(check.measurements).toEqual(['aiops_tickets']);
    expect(check.variables).toEqual(['site']);
  });

  it('When a query reads a list of measurements, then each is checked', () => {
    const both = checkInfluxQuery('SHOW TAG VALUES FROM "system", "sensors" WITH KEY = "host"', catalog);
    expect(both.measurements).toEqual(['system', 'sensors']);
    expect(both.problems).toEqual([]);
    expect(checkInfluxQuery('SHOW TAG VALUES FROM "system","sensor" WITH KEY = "host"', catalog).problems).toEqual([
      'measurement "sensor" is not declared in contract/',
    ]);
  });

  it('When a query reads an undeclared measurement, then it says which one', () => {
    const check = checkInfluxQuery('SELECT mean("value") FROM "aiops_scores" WHERE $timeFilter', catalog);
    expect(check.problems).toEqual(['measurement "aiops_scores" is not declared in contract/']);
  });

  it('When a query misspells a field, then it names the field', () => {
    const check = checkInfluxQuery('SELECT mean("temperature") FROM "sensors" WHERE $timeFilter', catalog);
    expect(check.problems).toEqual(['"temperature" is neither a tag nor a field of sensors in contract/']);
  });

  it('When a query groups by a field, then it is reported (InfluxDB would silently not group)', () => {
    const check = checkInfluxQuery(
      'SELECT count("ticket_id") FROM "aiops_tickets" WHERE $timeFilter GROUP BY "host"',
      catalog
    );
    expect(check.problems).toEqual(['GROUP BY "host" is not a tag of aiops_tickets']);
  });

  it('When a value literal looks like an identifier, then it is not mistaken for one', () => {
    const check = checkInfluxQuery(
      `SELECT 100 - mean("usage_idle") FROM "cpu" WHERE "cpu" = 'cpu-total' AND $timeFilter`,
      catalog
    );
    expect(check.problems).toEqual([]);
  });
});
