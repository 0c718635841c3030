import { runPythonJson } from './pythonAnchor';

describe('runPythonJson', () => {
  it('When the anchor script prints JSON, then the bench gets it; when it fails, then its last error line', async () => {
    await expect(
      runPythonJson<{ f1: number }>('python3', ['-c', 'import json; print(json.dumps({"f1": 0.5}))'])
    ).resolves.toEqual({
      f1: 0.5,
    });
    await expect(
      runPythonJson('python3', [
        '-c',
        'import sys; sys.stderr.write("loading\\nno module named sklearn\\n"); sys.exit(3)',
      ])
    ).rejects.toThrow(/exited with 3: no module named sklearn$/);
    await expect(runPythonJson('python3', ['-c', 'print("not json")'])).rejects.toThrow(/printed no JSON answer/);
  });
});
