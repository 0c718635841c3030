import { isLoginFailure, loginSource } from './patterns';

describe('credential failure patterns', () => {
  it('When a patient monitor refuses a service PIN, then it is a login failure from that address, weighed in numbers', () => {
    const line = 'Service menu access denied from 10.1.4.23: invalid service PIN (3 attempts)';
    expect(isLoginFailure('security', line)).toBe(true);
    expect(loginSource(line)).toBe('10.1.4.23');
  });

  it('When sudo reports wrong passwords, then it stays an alert of its own (privilege escalation), not a login failure', () => {
    expect(isLoginFailure('security', 'alice : 3 incorrect password attempts ; TTY=pts/1 ; USER=root ; COMMAND=/bin/bash')).toBe(false);
  });
});
