import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  csvToTable,
  InputFileError,
  jsonlToTable,
  parseCsv,
  printable,
  readInputText,
  readTableFile,
  TableFormatError,
  toCsvRow,
  unreadableFileMessage,
} from './csv';

describe('toCsvRow', () => {
  it('When a data cell starts with =, +, -, @, tab or CR, then it is quoted with a leading apostrophe', () => {
    const row = toCsvRow(['=1+1', '+cmd', '-2+3', '@SUM(A1)', '\tx', '\rx', '=HYPERLINK("http://evil","x")']);
    expect(row).toBe(`"'=1+1","'+cmd","'-2+3","'@SUM(A1)","'\tx","'\rx","'=HYPERLINK(""http://evil"",""x"")"`);
    // A reader gets the text back with the apostrophe that makes a spreadsheet show it as text.
    expect(parseCsv(row)).toEqual([
      ["'=1+1", "'+cmd", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", `'=HYPERLINK("http://evil","x")`],
    ]);
  });

  it('When a cell is a number or a plain signed number, then it is written as it is', () => {
    expect(toCsvRow([-0.5, '-0.5', '+3', '-1e-9', 7, 'a=b', ' =x'])).toBe('-0.5,-0.5,+3,-1e-9,7,a=b, =x');
  });

  it('When a cell holds a comma, quote or line break, then it is quoted per RFC 4180', () => {
    expect(toCsvRow(['a,b', 'say "hi"', 'two\nlines', 'plain'])).toBe('"a,b","say ""hi""","two\nlines",plain');
  });
});

describe('csvToTable', () => {
  it('When a row has more cells than the header, then it fails naming the line and both counts', () => {
    expect(() => csvToTable('id,title\n1,ok\n2,Link down, since 10:00\n')).toThrow(
      'line 3 has 3 cells but the header has 2; quote cells that contain commas'
    );
  });

  it('When a row has fewer cells than the header, then it fails naming the line and both counts', () => {
    expect(() => csvToTable('id,title,team\n1,ok,noc\n2,short\n')).toThrow('line 3 has 2 cells but the header has 3');
  });

  it('When a quoted cell spans lines, then later errors name the line of the file, not the record', () => {
    expect(() => csvToTable('a,b\n"x\ny",1\n3\n')).toThrow('line 4 has 1 cell but the header has 2');
  });

  it('When a quoted cell never closes, then it fails naming the line it opens on', () => {
    expect(() => csvToTable('a,b\n1,2\n3,"open\n4,5\n')).toThrow('line 3 opens a quoted cell that is never closed');
  });

  it('When a quote sits inside an unquoted cell, then it is kept and the following rows are not swallowed', () => {
    const table = csvToTable('size,name\n5" disk,a\n3" disk,b\n');
    expect(table.rows).toEqual([
      { size: '5" disk', name: 'a' },
      { size: '3" disk', name: 'b' },
    ]);
  });

  it('When there are blank lines, a BOM, CRLF and a trailing comma, then every row is read', () => {
    const table = csvToTable('\ufeffa,b\r\n1,\r\n\r\n2,"x, y"\r\n');
    expect(table).toEqual({
      columns: ['a', 'b'],
      rows: [
        { a: '1', b: '' },
        { a: '2', b: 'x, y' },
      ],
    });
  });

  it('When a one-column file has an empty cell written "", then it is a row, and toCsvRow writes such a row back so', () => {
    const table = csvToTable('text\n""\nprinter\n\n');
    expect(table.rows).toEqual([{ text: '' }, { text: 'printer' }]);
    expect(toCsvRow([''])).toBe('""');
    const written = ['text', ...table.rows.map((r) => toCsvRow([r.text]))].join('\n');
    expect(csvToTable(written)).toEqual(table);
  });

  it('When quoted cells hold LF, CRLF and lone CR line breaks, then each counts once in the lines errors name', () => {
    // Line 1 header; the record on line 2 spans 2-5 (LF, CRLF, lone CR inside); line 6 is short.
    expect(() => csvToTable('a,b\n"x\ny\r\nz\rw",1\n3\n')).toThrow('line 6 has 1 cell but the header has 2');
    // Doubled quotes and text after the closing quote do not end the cell early.
    expect(csvToTable('a,b\n"say ""hi""\n"x,2\r\n"\r",3\n')).toEqual({
      columns: ['a', 'b'],
      rows: [
        { a: 'say "hi"\nx', b: '2' },
        { a: '\r', b: '3' },
      ],
    });
  });

  it('When rows end with lone CRs or the text ends without a line break or after a comma, then every cell is read', () => {
    expect(csvToTable('a,b\r1,2\r3,').rows).toEqual([
      { a: '1', b: '2' },
      { a: '3', b: '' },
    ]);
  });

  it('When a short row comes before a quoted cell that never closes, then the unclosed cell is the error', () => {
    expect(() => csvToTable('a,b\n1\n2,3\n"open,4\n')).toThrow('line 4 opens a quoted cell that is never closed');
  });

  it('When a column is named __proto__ or constructor, then the rows hold them as own values', () => {
    const table = csvToTable('a,__proto__,constructor\n1,3,4\n');
    expect(table.columns).toEqual(['a', '__proto__', 'constructor']);
    const [row] = table.rows;
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.entries(row)).toEqual([
      ['a', '1'],
      ['__proto__', '3'],
      ['constructor', '4'],
    ]);
  });

  it('When two columns share a name, then it fails naming the column and both positions instead of keeping one', () => {
    expect(() => csvToTable('a,b, a\n1,2,3\n')).toThrow(
      'has two columns named "a" in its header (columns 1 and 3); rename or remove one'
    );
    expect(() => csvToTable('a,,b,\n1,2,3,4\n')).toThrow(
      'has two columns without a name in its header (columns 2 and 4); name or remove them'
    );
    // Names differing in case are different columns to the commands that read tables.
    expect(csvToTable('a,A\n1,2\n').rows).toEqual([{ a: '1', A: '2' }]);
  });

  it('When a cell is 30 MB long, then it is read whole', () => {
    const cell = 'word '.repeat(6_000_000);
    expect(csvToTable(`title,team\n"${cell}",noc\n`).rows[0].title).toHaveLength(cell.length);
  });
});

describe('printable', () => {
  it('When text holds control and bidi characters, then they are escaped', () => {
    expect(printable('a\x1b[31mred\x00\n\u202eb')).toBe('a\\x1b[31mred\\x00\\n\\u{202e}b');
  });

  it('When text is longer than the cap, then it is cut to the cap with an ellipsis and no half escape', () => {
    const shown = printable('x'.repeat(78) + '\x07' + 'y'.repeat(100));
    expect(shown).toBe(`${'x'.repeat(78)}…`);
    expect(printable('z'.repeat(200))).toHaveLength(80);
  });
});

describe('readInputText', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocai-csv-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const failure = async (file: string, maxInputMb?: number) => {
    const error: unknown = await readInputText(file, { maxInputMb, limitHint: '--max-input-mb' }).catch((e) => e);
    expect(error).toBeInstanceOf(InputFileError);
    return (error as InputFileError).message;
  };

  it('When the path is a directory, then it says so', async () => {
    expect(await failure(dir)).toBe(`${dir} is a directory, not a file.`);
  });

  it('When the file does not exist, then it says no such file and names it', async () => {
    expect(await failure(join(dir, 'nope.csv'))).toBe(`no such file ${join(dir, 'nope.csv')}.`);
  });

  it('When the file has a NUL byte in its first 8 KB, then it is refused as binary', async () => {
    const png = join(dir, 'logo.png');
    await writeFile(png, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48]));
    expect(await failure(png)).toBe(`${png} looks like a binary file, not CSV/JSONL/text.`);
  });

  it('When a NUL byte lies past the first megabyte read, then the message names its line in the whole file', async () => {
    const file = join(dir, 'late-nul.log');
    // 30-byte lines: line 50,001 starts at byte 1,500,000, in the second 1 MiB chunk.
    const line = `${'x'.repeat(29)}\n`;
    await writeFile(file, `${line.repeat(50_000)}abc\0def\n${line.repeat(10)}`);
    expect(await failure(file)).toBe(`${file} has a NUL byte on line 50001, so it is not CSV/JSONL/text.`);
  });

  it('When the file is over the size limit, then it is refused before reading, naming the option', async () => {
    const big = join(dir, 'big.csv');
    await writeFile(big, 'a\n'.repeat(600_000));
    expect(await failure(big, 1)).toBe(`${big} is 1.2 MB, over the 1 MB limit (raise it with --max-input-mb).`);
    expect(await readInputText(big, { maxInputMb: 2 })).toHaveLength(1_200_000);
  });

  it('When a file cannot be opened for lack of permission, then the message says permission denied', () => {
    const error = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    expect(unreadableFileMessage('/srv/tickets.csv', error)).toBe('cannot read /srv/tickets.csv: permission denied.');
  });

  // root reads any file, so the real check only runs as another user.
  const itUnlessRoot = process.getuid?.() === 0 ? it.skip : it;
  itUnlessRoot('When the file is not readable by the user, then it says permission denied', async () => {
    const secret = join(dir, 'secret.csv');
    await writeFile(secret, 'a\n1\n');
    await chmod(secret, 0o000);
    expect(await failure(secret)).toBe(`cannot read ${secret}: permission denied.`);
  });
});

describe('readTableFile', () => {
  it('When a CSV is ragged, then the error names the file and the line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nocai-csv-'));
    try {
      const file = join(dir, 'tickets.csv');
      await writeFile(file, 'id,title\n1,a\n2,b,c\n');
      await expect(readTableFile(file)).rejects.toThrow(
        new InputFileError(`${file} line 3 has 3 cells but the header has 2; quote cells that contain commas.`)
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('When a table is saved as Latin-1, then it is refused naming the line, not read with replacement characters', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nocai-csv-'));
    try {
      const file = join(dir, 'tickets.csv');
      // "Müller" in Latin-1 on line 3; line 2 is UTF-8 (é as two bytes).
      await writeFile(
        file,
        Buffer.concat([Buffer.from('id,owner\n1,Fréd\n2,M'), Buffer.from([0xfc]), Buffer.from('ller\n')])
      );
      await expect(readTableFile(file)).rejects.toThrow(
        new InputFileError(
          `${file} is not UTF-8 text: line 3 holds bytes that are not UTF-8 (a file saved as Latin-1 or Windows-1252?); save it as UTF-8.`
        )
      );
      // The same rows in UTF-8 are read as written.
      await writeFile(file, 'id,owner\n1,Fréd\n2,Müller\n');
      expect((await readTableFile(file)).rows.map((r) => r.owner)).toEqual(['Fréd', 'Müller']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('jsonlToTable', () => {
  it('When a line holds a key twice, then it is refused naming the key and the line, instead of keeping the last value', () => {
    expect(() =>
      jsonlToTable('{"text":"UPS on battery","label":"power"}\n{"text":"a","label":"power","label":"network"}\n')
    ).toThrow(new TableFormatError('line 2 has the key "label" twice (keys 2 and 3); rename or remove one'));
  });

  it('When keys repeat only inside nested objects or strings, or are escaped alike, then the line is read', () => {
    const table = jsonlToTable('{"a":{"x":1,"y":{"x":2}},"b":"\\"a\\": 1, \\"b\\":","c":["a","a"]}\n');
    expect(table.columns).toEqual(['a', 'b', 'c']);
    expect(table.rows[0]).toEqual({ a: '{"x":1,"y":{"x":2}}', b: '"a": 1, "b":', c: '["a","a"]' });
    expect(() => jsonlToTable('{"\\u0061":1, "a" :2}')).toThrow(/the key "a" twice \(keys 1 and 2\)/);
  });

  it('When a key is __proto__, then it is a column like any other, its value kept', () => {
    const table = jsonlToTable('{"__proto__":"x","b":"1"}\n{"b":"2"}\n');
    expect(table.columns).toEqual(['__proto__', 'b']);
    expect(Object.getOwnPropertyDescriptor(table.rows[0], '__proto__')?.value).toBe('x');
    expect(Object.getOwnPropertyDescriptor(table.rows[1], '__proto__')?.value).toBe('');
    expect(table.rows[1].b).toBe('2');
  });
});
