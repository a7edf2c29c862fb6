/** The proxy environment renderers: /etc/environment and systemd drop-ins (lib/proxy/render-environment.ts). */
import {
  proxyEnvironment,
  renderEtcEnvironment,
  renderSystemdDropIn,
  systemdQuote,
} from '../../lib/proxy/render-environment';

const env = proxyEnvironment({
  httpProxy: 'http://proxy:3128',
  httpsProxy: 'http://proxy:3128',
  noProxy: ['localhost', '10.0.0.0/16'],
});

describe('environment renderers', () => {
  test('both cases of the three variables', () => {
    expect(Object.keys(env)).toEqual([
      'HTTP_PROXY',
      'HTTPS_PROXY',
      'NO_PROXY',
      'http_proxy',
      'https_proxy',
      'no_proxy',
    ]);
    expect(env.no_proxy).toBe('localhost,10.0.0.0/16');
  });

  test('/etc/environment has one KEY=value line per variable', () => {
    expect(renderEtcEnvironment(env).trim().split('\n')).toHaveLength(6);
    expect(renderEtcEnvironment(env)).toContain('HTTPS_PROXY=http://proxy:3128\n');
  });

  test('systemd values escape %, backslash and quotes', () => {
    expect(systemdQuote('http://u:p%40ss@h:1')).toBe('http://u:p%%40ss@h:1');
    expect(systemdQuote('a"b\\c')).toBe('a\\"b\\\\c');
    const dropIn = renderSystemdDropIn({ HTTP_PROXY: 'http://h:1/%x' });
    expect(dropIn).toBe('[Service]\nEnvironment="HTTP_PROXY=http://h:1/%%x"\n');
  });
});
