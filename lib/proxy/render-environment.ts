/**
 * Pure renderers of the proxy environment for each consumer. Text in, text out; no CDK imports.
 * Values may contain CDK token markers, which pass through unchanged and resolve later.
 */
import { systemdQuote } from '../private/encoders';

export { systemdQuote };

/** The three proxy values, NO_PROXY already composed. */
export interface ProxyValues {
  readonly httpProxy: string;
  readonly httpsProxy: string;
  readonly noProxy: string[];
}

/**
 * Both cases of the three variables. Go reads the upper case first, curl reads `http_proxy` only in
 * lower case (it ignores `HTTP_PROXY` for safety), Python reads both: emit both, always.
 */
export function proxyEnvironment(values: ProxyValues): Record<string, string> {
  const noProxy = values.noProxy.join(',');
  return {
    HTTP_PROXY: values.httpProxy,
    HTTPS_PROXY: values.httpsProxy,
    NO_PROXY: noProxy,
    http_proxy: values.httpProxy,
    https_proxy: values.httpsProxy,
    no_proxy: noProxy,
  };
}

/**
 * `/etc/environment` lines (`KEY=value`), read by pam_env for login sessions and by shells that
 * `source` it. Values are validated to contain no spaces, quotes or `$`, so they need no quoting.
 */
export function renderEtcEnvironment(env: Record<string, string>): string {
  return (
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n'
  );
}

/** A systemd drop-in `[Service]` section with one `Environment="K=V"` line per variable. */
export function renderSystemdDropIn(env: Record<string, string>): string {
  const lines = Object.entries(env).map(([k, v]) => `Environment="${k}=${systemdQuote(v)}"`);
  return ['[Service]', ...lines].join('\n') + '\n';
}
