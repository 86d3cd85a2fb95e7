import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../../core/index.ts';
import { DEFAULTS, loadServerConfig } from './config.ts';

function problems(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof VigilError && e.code === 'CONFIG') return e.message;
    throw e;
  }
  throw new Error('no error');
}

describe('server configuration', () => {
  it('layers defaults, the file, the environment and flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
    writeFileSync(
      join(dir, 'vigil.yml'),
      'port: 9000\nhost: 0.0.0.0\nmax_body_bytes: 8MiB\nsyslog:\n  - { protocol: udp, port: 5514, tenant: acme }\n',
    );
    const cfg = loadServerConfig({
      env: { VIGIL_PORT: '9100', VIGIL_RULES: '/a,/b' },
      flags: { data: dir, host: '::1' },
    });
    expect(cfg.port).toBe(9100); // environment over file
    expect(cfg.host).toBe('::1'); // flag over file
    expect(cfg.maxBodyBytes).toBe(8 << 20);
    expect(cfg.rules).toEqual(['/a', '/b']);
    expect(cfg.syslog).toEqual([{ protocol: 'udp', port: 5514, tenant: 'acme' }]);
    expect(cfg.maxBacklog).toBe(DEFAULTS.maxBacklog);
    expect(cfg.configFile).toBe(join(dir, 'vigil.yml'));
  });

  it('reports every problem at once, with file, line and column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
    const file = join(dir, 'bad.yml');
    writeFileSync(
      file,
      'port: 70000\nsyslog:\n  - protocol: tcp\n    port: 5514\nmax_body_bytes: lots\nbogus: 1\n',
    );
    const msg = problems(() =>
      loadServerConfig({ file, env: { VIGIL_MAX_BACKLOG: 'many' }, flags: {} }),
    );
    expect(msg).toContain(`${file}:1:7: port: must be a whole number from 0 to 65535, got 70000`);
    expect(msg).toContain(`${file}:3:3: syslog[0]: tenant is required`);
    expect(msg).toContain(`${file}:5:17: max_body_bytes: must be a size like 32MiB`);
    expect(msg).toContain(`${file}:6:1: unknown key "bogus"`);
    expect(msg).toContain('VIGIL_MAX_BACKLOG: must be a whole number');
  });

  it('names a YAML syntax error and a TLS listener without certificates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
    const file = join(dir, 'broken.yml');
    writeFileSync(file, 'port: [1, 2\n');
    expect(problems(() => loadServerConfig({ file, env: {}, flags: {} }))).toMatch(
      new RegExp(`${file}:\\d+:\\d+: `),
    );
    expect(
      problems(() =>
        loadServerConfig({ env: { VIGIL_SYSLOG: 'tls:6514:acme' }, flags: { data: dir } }),
      ),
    ).toContain('a tls listener needs tls_cert and tls_key');
  });
});
