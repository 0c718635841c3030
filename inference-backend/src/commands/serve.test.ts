import { ENVIRONMENT_KEYS } from '../config';
import { ENVIRONMENT_HELP } from './serve';

describe('nocai serve --help', () => {
  it('When a user reads the help, then every environment variable the service reads is named in it', () => {
    const undocumented = ENVIRONMENT_KEYS.filter((key) => key !== 'HOSTNAME' && !ENVIRONMENT_HELP.includes(key));
    expect(undocumented).toEqual([]);
    expect(ENVIRONMENT_KEYS.length).toBeGreaterThan(50);
  });
});
