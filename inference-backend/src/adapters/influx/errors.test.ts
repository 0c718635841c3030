import { redactUrl, refusalCause, withoutQuotedData } from './errors';

describe('InfluxDB error helpers', () => {
  it('When a URL carries a user and password, then the redacted URL has neither', () => {
    expect(redactUrl('http://admin:hunter2@influx:8086/x')).toBe('http://influx:8086/x');
    expect(redactUrl('http://influx:8086')).toBe('http://influx:8086');
    expect(redactUrl('not a url //u:p@host')).not.toContain('u:p');
  });

  it("When InfluxDB quotes the line it could not parse, then the message keeps the reason but not the line", () => {
    const message = `unable to parse 'aiops_feedback,verdict=valid comment="secret note" 1': invalid boolean\nunable to parse 'x y': missing fields`;
    expect(withoutQuotedData(message)).toBe('unable to parse a line: invalid boolean; unable to parse a line: missing fields');
    expect(withoutQuotedData(`partial write: unable to parse 'm,site=a\\ b v="private" 1': bad timestamp dropped=1`)).toBe(
      'partial write: unable to parse a line: bad timestamp dropped=1'
    );
  });

  it('When InfluxDB refuses a point, then the cause is one of a few names', () => {
    expect(refusalCause('partial write: field type conflict: input field "v" on measurement "m" is type string')).toBe(
      'field_type_conflict'
    );
    expect(refusalCause('unable to parse a line: invalid field format')).toBe('unparsable');
    expect(refusalCause('something new')).toBe('other');
  });
});
