import fc from 'fast-check';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InfluxClient } from './client';
import { parseSeriesTimes } from './seriesTimes';
import { msgpackError, parseSeriesTimesMsgpack } from './seriesTimesMsgpack';

/**
 * MessagePack as InfluxDB's encoder (tinylib/msgp) writes it: the smallest form of each integer,
 * float64 for other numbers. `wide` writes every integer as int64 and every length in its 32-bit
 * form, which a reader must take as well.
 */
function encodeMsgpack(value: unknown, wide = false): Uint8Array {
  const out: number[] = [];
  const u = (n: number, bytes: number) => {
    for (let k = bytes - 1; k >= 0; k--) out.push(Math.floor(n / 2 ** (8 * k)) & 0xff);
  };
  const length = (n: number, fix: number, fixMax: number, c16: number, c32: number, c8?: number) => {
    if (wide) return (out.push(c32), u(n, 4));
    if (n <= fixMax) return out.push(fix | n);
    if (c8 !== undefined && n < 0x100) return (out.push(c8), u(n, 1));
    if (n < 0x10000) return (out.push(c16), u(n, 2));
    return (out.push(c32), u(n, 4));
  };
  const put = (v: unknown): void => {
    if (v === null || v === undefined) out.push(0xc0);
    else if (v === false) out.push(0xc2);
    else if (v === true) out.push(0xc3);
    else if (typeof v === 'bigint') {
      out.push(0xd3);
      const big = BigInt.asUintN(64, v);
      for (let k = 7n; k >= 0n; k--) out.push(Number((big >> (8n * k)) & 0xffn));
    } else if (typeof v === 'number' && Number.isSafeInteger(v) && !Object.is(v, -0)) {
      if (wide || v < -0x80000000 || v > 0xffffffff) {
        out.push(0xd3);
        const big = BigInt.asUintN(64, BigInt(v));
        for (let k = 7n; k >= 0n; k--) out.push(Number((big >> (8n * k)) & 0xffn));
      } else if (v >= 0 && v <= 0x7f) out.push(v);
      else if (v < 0 && v >= -32) out.push(v + 0x100);
      else if (v >= 0) {
        if (v < 0x100) (out.push(0xcc), u(v, 1));
        else if (v < 0x10000) (out.push(0xcd), u(v, 2));
        else (out.push(0xce), u(v, 4));
      } else if (v >= -0x80) (out.push(0xd0), u(v + 0x100, 1));
      else if (v >= -0x8000) (out.push(0xd1), u(v + 0x10000, 2));
      else (out.push(0xd2), u(v + 0x1_0000_0000, 4));
    } else if (typeof v === 'number') {
      const b = new DataView(new ArrayBuffer(8));
      b.setFloat64(0, v);
      out.push(0xcb, ...new Uint8Array(b.buffer));
    } else if (typeof v === 'string') {
      const bytes = new TextEncoder().encode(v);
      length(bytes.length, 0xa0, 31, 0xda, 0xdb, 0xd9);
      out.push(...bytes);
    } else if (Array.isArray(v)) {
      length(v.length, 0x90, 15, 0xdc, 0xdd);
      v.forEach(put);
    } else if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      length(entries.length, 0x80, 15, 0xde, 0xdf);
      for (const [k, x] of entries) {
        put(k);
        put(x);
      }
    } else throw new Error(`cannot encode ${typeof v}`);
  };
  put(value);
  return Uint8Array.from(out);
}

/** What the reader must agree with: the JSON reader on the same answer. */
const expected = (answer: unknown) => parseSeriesTimes(JSON.stringify(answer));

describe('parseSeriesTimesMsgpack', () => {
  it('When InfluxDB answers heartbeat series in MessagePack, then each series has its tags and the times of its rows', () => {
    const answer = {
      results: [
        {
          statement_id: 0,
          series: [
            {
              name: 'system',
              tags: { host: 'a,b "q" é' },
              columns: ['time', 'load1'],
              values: [
                [1795910400000000, 0.5],
                [1795910460000000, null],
              ],
            },
            {
              name: 'system',
              tags: { host: 'c' },
              columns: ['time', 'load1'],
              values: [
                [-5, 1e3],
                [0, 'x]"y'],
              ],
            },
          ],
        },
        { statement_id: 1 },
      ],
    };
    for (const wide of [false, true]) {
      expect(parseSeriesTimesMsgpack(encodeMsgpack(answer, wide))).toEqual(expected(answer));
    }
    expect(parseSeriesTimesMsgpack(encodeMsgpack(answer)).results[0].series[0]).toEqual({
      name: 'system',
      tags: { host: 'a,b "q" é' },
      times: [1795910400000000, 1795910460000000],
    });
  });

  it('When a key is __proto__, then the answer is refused rather than read with another prototype', () => {
    // The heartbeat reads group by host, so no answer of theirs has such a key; the decoder refuses one.
    const tags = JSON.parse('{"__proto__":"x"}') as Record<string, string>;
    const answer = { results: [{ series: [{ name: 'm', tags, columns: ['time'], values: [[1]] }] }] };
    expect(() => parseSeriesTimesMsgpack(encodeMsgpack(answer))).toThrow(SyntaxError);
  });

  it('When the answer or a statement is an error, then the error is returned', () => {
    expect(parseSeriesTimesMsgpack(encodeMsgpack({ error: 'bad' }))).toEqual({ error: 'bad', results: [] });
    expect(msgpackError(encodeMsgpack({ error: 'bad' }))).toBe('bad');
    expect(msgpackError(Uint8Array.from([0x81]))).toBeUndefined();
    const answer = { results: [{ statement_id: 0, error: 'no such db' }] };
    expect(parseSeriesTimesMsgpack(encodeMsgpack(answer)).results[0]).toEqual({ error: 'no such db', series: [] });
  });

  it('When times are not integers, or values come before columns, then they read as Number() reads them from JSON', () => {
    const answer = {
      results: [
        {
          series: [
            {
              name: 'm',
              columns: ['v', 'time'],
              values: [
                [1, 2 ** 63],
                [2, 1.5e2],
                [3, -(2 ** 60) - 1],
                [4, null],
              ],
            },
            { name: 'n', values: [[7]], columns: ['time'] },
            { name: 'o', columns: ['time', 'v'], values: [[9007199254740993, 1], [9007199254740991, true], []] },
          ],
        },
      ],
    };
    for (const wide of [false, true]) {
      expect(parseSeriesTimesMsgpack(encodeMsgpack(answer, wide))).toEqual(expected(answer));
    }
  });

  it('When the body is not MessagePack, or ends early, then it throws a SyntaxError', () => {
    const whole = encodeMsgpack({
      results: [
        { series: [{ name: 'm', tags: { host: 'é' }, columns: ['time', 'v'], values: [[1795910400000000, 'x']] }] },
      ],
    });
    const bodies: Uint8Array[] = [
      new Uint8Array(),
      new TextEncoder().encode('{"results":[]}'),
      Uint8Array.from([0xc1]),
      Uint8Array.from([0xdd, 0xff, 0xff, 0xff, 0xff]), // an array longer than the body
      Uint8Array.from([...encodeMsgpack({ a: 1 }), 0x00]), // something after the answer
    ];
    for (let end = 0; end < whole.length; end++) bodies.push(whole.subarray(0, end));
    for (const body of bodies) expect(() => parseSeriesTimesMsgpack(body)).toThrow(SyntaxError);
  });

  it('When any answer is generated, then it reads as the JSON reader reads the same answer', () => {
    const cell = fc.oneof(
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.string(),
      fc.constant(null),
      fc.boolean()
    );
    const time = fc.oneof(fc.maxSafeNat(), fc.integer(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
    const series = fc.record({
      name: fc.string(),
      // Tag keys are what a query groups by: never __proto__ (refused, see above).
      tags: fc.dictionary(
        fc.string().filter((key) => key !== '__proto__'),
        fc.string()
      ),
      columns: fc.constant(['time', 'value']),
      values: fc.array(fc.tuple(time, cell)),
    });
    const answer = fc.record({ results: fc.array(fc.record({ statement_id: fc.nat(), series: fc.array(series) })) });
    fc.assert(
      fc.property(answer, fc.boolean(), (a, wide) => {
        // Times beyond a double's integers: int64 in MessagePack, digits in JSON.
        const json = JSON.stringify(a, (_, v: unknown) => (typeof v === 'bigint' ? `BIG${v}BIG` : v));
        const bytes = encodeMsgpack(a, wide);
        expect(parseSeriesTimesMsgpack(bytes)).toEqual(parseSeriesTimes(json.replace(/"BIG(-?\d+)BIG"/g, '$1')));
      }),
      { numRuns: 1000 }
    );
  });
});

/** An InfluxDB stand-in: answers each /query with `answer(request)` and records the Accept headers. */
async function fakeInflux(
  answer: (req: IncomingMessage) => { status?: number; type: string; body: string | Uint8Array }
): Promise<{ server: Server; url: string; accepts: Array<string | undefined> }> {
  const accepts: Array<string | undefined> = [];
  const server = createServer((req, res) => {
    accepts.push(req.headers.accept);
    req.resume();
    req.on('end', () => {
      const { status = 200, type, body } = answer(req);
      res.writeHead(status, { 'Content-Type': type });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, accepts };
}

const ANSWER = {
  results: [
    {
      statement_id: 0,
      series: [
        { name: 'system', tags: { host: 'rtr-1' }, columns: ['time', 'load1'], values: [[1795910400000000, 0.5]] },
      ],
    },
  ],
};
const EXPECTED = [[{ name: 'system', tags: { host: 'rtr-1' }, times: [1795910400000000] }]];
const NO_RETRY = { maxRetries: 0, initialDelayMs: 1, maxDelayMs: 1 };

describe('InfluxClient.queryTimes', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  it('When InfluxDB answers in MessagePack, as asked, then the times are read from it; other queries ask for JSON', async () => {
    const fake = await fakeInflux((req) =>
      req.headers.accept === 'application/x-msgpack'
        ? { type: 'application/x-msgpack', body: encodeMsgpack(ANSWER) }
        : { type: 'application/json', body: JSON.stringify(ANSWER) }
    );
    server = fake.server;
    const client = new InfluxClient({ url: fake.url }, NO_RETRY);
    await expect(client.queryTimes('db', 'SELECT load1 FROM system GROUP BY host')).resolves.toEqual(EXPECTED);
    await expect(client.query('db', 'SELECT load1 FROM system')).resolves.toHaveLength(1);
    expect(fake.accepts[0]).toBe('application/x-msgpack');
    expect(fake.accepts[1]).not.toBe('application/x-msgpack');
  });

  it('When InfluxDB answers JSON although asked for MessagePack (2.x, 3.x), then the times are read from the JSON', async () => {
    const fake = await fakeInflux(() => ({ type: 'application/json; charset=utf-8', body: JSON.stringify(ANSWER) }));
    server = fake.server;
    const client = new InfluxClient({ url: fake.url }, NO_RETRY);
    await expect(client.queryTimes('db', 'SELECT load1 FROM system GROUP BY host')).resolves.toEqual(EXPECTED);
  });

  it('When InfluxDB refuses the query in MessagePack, then the error says why, as from JSON', async () => {
    const fake = await fakeInflux(() => ({
      status: 400,
      type: 'application/x-msgpack',
      body: encodeMsgpack({ error: 'error parsing query: found EOF' }),
    }));
    server = fake.server;
    const client = new InfluxClient({ url: fake.url }, NO_RETRY);
    await expect(client.queryTimes('db', 'SELECT')).rejects.toThrow(
      'InfluxDB answered 400 to /query: error parsing query: found EOF'
    );
  });

  it('When a MessagePack answer is malformed, then it is a server fault, retried like one', async () => {
    const fake = await fakeInflux(() => ({ type: 'application/x-msgpack', body: Uint8Array.from([0x81]) }));
    server = fake.server;
    const client = new InfluxClient({ url: fake.url }, NO_RETRY);
    await expect(client.queryTimes('db', 'SELECT load1 FROM system')).rejects.toMatchObject({
      message: expect.stringContaining('a body that is not MessagePack') as unknown,
      retryable: true,
    });
  });
});
