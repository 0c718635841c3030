import { createMasker, maskMessage, maskMessageTokens, MASKING_VERSION } from './masking';

describe('maskMessage', () => {
  it.each([
    ['Invalid user admin from 203.0.113.5', 'Invalid user admin from <IP>'],
    ['Received connection request /10.10.34.11:45307', 'Received connection request /<IP>'],
    ['peer fe80::1 and 2001:db8::8a2e:370:7334 up', 'peer <IP> and <IP> up'],
    ['std::string stays', 'std::string stays'],
    ['mac 00:1a:2b:3c:4d:5e learned', 'mac <MAC> learned'],
    ['fetch https://example.com/a?b=1 failed', 'fetch <URL> failed'],
    ['addresses :[akka.tcp://sys@host-7:55904]', 'addresses :[<URL>]'],
    ['mail to bob@example.org bounced', 'mail to <EMAIL> bounced'],
    ['request 550e8400-e29b-41d4-a716-446655440000 done', 'request <UUID> done'],
    ['at 2024-01-02T03:04:05.123Z', 'at <TS>'],
    ['on 2024-01-02 at 12:01:02,123', 'on <DATE> at <TIME>'],
    ['built 17/06/09', 'built <DATE>'],
    ['host 24-54-76-216.example.net', 'host <NUM>-<NUM>-<NUM>-<NUM>.example.net'],
    ['open /var/log/syslog.1 failed', 'open <PATH> failed'],
    ['session 0x14ed93111f20005 closed', 'session <HEX> closed'],
    ['digest ab12cd34ef ok', 'digest <HEX> ok'],
    ['took 12 ms', 'took <DURATION>'],
    ['timeout after 900 seconds.', 'timeout after <DURATION>.'],
    ['retry in 30s', 'retry in <DURATION>'],
    ['size 5.2 KB, free 1 GB.', 'size <SIZE>, free <SIZE>.'],
    ['PacketResponder 1 for block blk_-6952295868487656571', 'PacketResponder <NUM> for block blk_<NUM>'],
    ['killed process 4321 (java) uid=0', 'killed process <NUM> (java) uid=<NUM>'],
  ])('masks %j as %j', (message, expected) => {
    expect(maskMessage(message)).toBe(expected);
  });

  it('keeps digits that belong to a word, so eth0 and ssh2 stay distinguishable', () => {
    expect(maskMessage('eth0 ssh2 log4j node-12')).toBe('eth0 ssh2 log4j node-<NUM>');
  });

  it('collapses a run of one placeholder, so lists of any length give one token', () => {
    expect(maskMessage('ask 10.0.0.1:50010 to delete blk_1 blk_-2 blk_3')).toBe('ask <IP> to delete blk_<NUM>');
    expect(maskMessage('Fan speeds ( 3552 3534 3375 4245 )')).toBe('Fan speeds ( <NUM> )');
  });

  it('keeps repeated words that are not placeholders', () => {
    expect(maskMessage('Bye Bye [preauth]')).toBe('Bye Bye [preauth]');
  });

  it('collapses whitespace and returns the tokens the miner sees', () => {
    expect(maskMessageTokens('  a\t b  42 ')).toEqual(['a', 'b', '<NUM>']);
    expect(maskMessageTokens('   ')).toEqual([]);
  });

  it('masks an overlong token whole', () => {
    const payload = 'a1'.repeat(50_000);
    expect(maskMessage(`payload ${payload} end`)).toBe('payload <BLOB> end');
  });

  it('is idempotent, so masked text stored with a model masks to itself', () => {
    const lines = [
      'BLOCK* NameSystem.addStoredBlock: blockMap updated: 10.251.73.220:50010 is added to blk_7128 size 67108864',
      'connection from 24.54.76.216 (24-54-76-216.bflony.adelphia.net) at Fri Jun 17 07:07:00 2005',
      'Block broadcast_9 stored as values in memory (estimated size 8.8 KB, free 14.0 KB)',
    ];
    for (const line of lines) expect(maskMessage(maskMessage(line))).toBe(maskMessage(line));
  });
});

describe('createMasker', () => {
  it('gives the same result from its cache as without it, also once the cache has filled and emptied', () => {
    const masker = createMasker();
    const lines = Array.from({ length: 12_000 }, (_, i) => `job-${i} took ${i % 50}ms from 10.0.${i % 7}.1`);
    const first = lines.map((line) => masker.mask(line));
    expect(lines.map((line) => masker.mask(line))).toEqual(first);
    expect(lines.slice(0, 100).map((line) => createMasker().mask(line))).toEqual(first.slice(0, 100));
    expect(first[42]).toBe('job-<NUM> took <DURATION> from <IP>');
  });

  it('applies extra rules before the built-in ones and reports the masking version', () => {
    const masker = createMasker([{ pattern: String.raw`core\.\d+`, replacement: '<CORE>' }]);
    expect(masker.version).toBe(MASKING_VERSION);
    expect(masker.mask('dumped core.1234 after 3 tries')).toBe('dumped <CORE> after <NUM> tries');
  });
});
