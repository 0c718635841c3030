import { isCalendarWord, splitLogHeader, stripLogHeaders } from './logHeader';

describe('splitLogHeader', () => {
  it.each([
    [
      'ISO-8601 timestamp with zone, level, logger',
      '2024-03-01T12:00:05.123+01:00 ERROR app.db.Pool: connection refused by 10.0.0.5',
      '2024-03-01T12:00:05.123+01:00 ERROR app.db.Pool:',
    ],
    [
      'date, time with milliseconds, level, thread in brackets, logger (log4j, Hadoop)',
      '2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster',
      '2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster:',
    ],
    [
      'a thread name with spaces',
      '2015-10-18 18:02:01,005 WARN [IPC Server handler 5 on 62270] org.apache.hadoop.ipc.Server: slow call',
      '2015-10-18 18:02:01,005 WARN [IPC Server handler 5 on 62270] org.apache.hadoop.ipc.Server:',
    ],
    [
      'separators and a nested bracket (Zookeeper), the message starting like a tag',
      '2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification: 3 (n.leader)',
      '2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] -',
    ],
    [
      'yy/MM/dd HH:mm:ss (Spark)',
      '17/06/09 20:10:40 INFO spark.SecurityManager: Changing view acls to: yarn,curi',
      '17/06/09 20:10:40 INFO spark.SecurityManager:',
    ],
    [
      'compact yyMMdd HHmmss and a process id (HDFS)',
      '081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating',
      '081109 203615 148 INFO dfs.DataNode$PacketResponder:',
    ],
    [
      'syslog: month, day, time, host, program with pid',
      'Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186',
      'Dec 10 06:55:46 LabSZ sshd[24200]:',
    ],
    [
      'syslog with a one-digit day, a lower-case host and a program with facility and pid',
      'Jul  3 04:08:03 combo sshd(pam_unix)[19939]: check pass; user unknown',
      'Jul  3 04:08:03 combo sshd(pam_unix)[19939]:',
    ],
    [
      'syslog, program without pid, the message starting with a level-like word',
      'Jun 15 04:06:18 combo logrotate: ALERT exited abnormally with [1]',
      'Jun 15 04:06:18 combo logrotate:',
    ],
    [
      'day and month names in a bracketed timestamp, bracketed level (Apache)',
      '[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties',
      '[Sun Dec 04 04:47:44 2005] [notice]',
    ],
    [
      'epoch seconds after id, node and component columns, then a flag (HPC)',
      '134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change: Component alt0 is in the unavailable state',
      '134681 node-246 unix.hw state_change.unavailable 1077804742 1',
    ],
    [
      'Python logging: time - logger - level - message',
      '2023-05-01 10:00:00,001 - billing.worker - WARNING - retry 3 of 5',
      '2023-05-01 10:00:00,001 - billing.worker - WARNING -',
    ],
    [
      'access log: client, dashes, bracketed time with zone',
      '203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] "GET /index.html HTTP/1.0" 200 2326',
      '203.0.113.9 - - [10/Oct/2000:13:55:36 -0700]',
    ],
    [
      'Android: month-day, time, pid, tid, one-letter level and tag',
      '03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogs opening app',
      '03-17 16:13:38.811  1702  2395 D WindowManager:',
    ],
    [
      'Cisco: the mnemonic names the event, so it stays in the message',
      '*Mar  1 18:46:11.123: %LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to down',
      '*Mar  1 18:46:11.123:',
    ],
  ])('%s', (_name, line, header) => {
    const split = splitLogHeader(line);
    expect(split.header).toBe(header);
    expect(split.message).toBe(line.slice(line.indexOf(header) + header.length).trim());
  });

  it.each([
    ['a plain message', 'Invalid user webmaster from 173.234.31.186'],
    ['a message that mentions a time later on', 'backup finished at 03:00:05 after 2 retries'],
    ['a message that starts with a word and has a time soon after', 'Disk full at 12:00:05 on /var'],
    ['a message that starts with a bracket', '[client 10.0.0.1] Directory index forbidden by rule: /var/www/'],
    ['a program tag without any timestamp', 'sshd[123]: Accepted password for root'],
    ['an empty line', ''],
  ])('When a line has no timestamp or level in front (%s), then it is all message', (_name, line) => {
    expect(splitLogHeader(line)).toEqual({ header: '', message: line.trim() });
  });

  it('is stable: a message, split again, stays as it is', () => {
    const lines = [
      '2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster',
      'Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186',
      '[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6',
    ];
    for (const message of stripLogHeaders(lines)) expect(splitLogHeader(message).message).toBe(message);
  });

  it('reads a bounded number of elements, so a long line costs no more than a short one', () => {
    const line = `2024-01-01 00:00:00 INFO ${'x '.repeat(100_000)}`;
    expect(splitLogHeader(line).header).toBe('2024-01-01 00:00:00 INFO');
    // Every word could extend the header; it stops after a dozen elements all the same.
    const levels = `2024-01-01 00:00:00 ${'INFO '.repeat(100_000)}end`;
    const split = splitLogHeader(levels);
    expect(split.header.split(' ').length).toBeLessThanOrEqual(12);
    expect(split.header.length + split.message.length).toBeGreaterThan(levels.length - 12);
  });
});

describe('isCalendarWord', () => {
  it('knows day and month names in any case, with a trailing comma', () => {
    expect(['Fri', 'JUN', 'september', 'Tue,'].every(isCalendarWord)).toBe(true);
    expect(['Friday7', 'junk', 'may-be'].some(isCalendarWord)).toBe(false);
  });
});
