import { readFileSync } from 'fs';
import { Token } from 'aws-cdk-lib';
import { IDependable } from 'constructs';
import { invalid } from '../errors';
import { isCaBundleProblem, parseCaBundle } from '../private/ca-bundle';
import {
  hostProblem,
  isPort,
  isProblem,
  noProxyEntryProblem,
  ParsedProxyUrl,
  parseProxyUrl,
} from '../private/proxy-url';
import { ProxyCredentials } from '../credentials/proxy-credentials';
import { proxyEnvironment } from './render-environment';

/**
 * Options for `ProxySettings.fromUrl()`.
 */
export interface ProxyOptions {
  /**
   * The proxy for HTTPS requests (`HTTPS_PROXY`), as `http://host:port` or `https://host:port`.
   *
   * @default - the same URL as the HTTP proxy
   */
  readonly httpsProxy?: string;

  /**
   * Extra entries for `NO_PROXY`: host names, domains (`.corp.example`), IP addresses or CIDRs.
   *
   * They are added after the entries the library always composes (localhost, IMDS, the VPC and
   * service CIDRs, the EKS API domain and every host served by a VPC endpoint).
   *
   * @default - none
   */
  readonly noProxy?: string[];

  /**
   * Credentials of an authenticating proxy, kept in AWS Secrets Manager. Nodes, the kubectl provider
   * and pods read them at run time; their value never enters the template.
   *
   * @default - the proxy needs no credentials
   */
  readonly credentials?: ProxyCredentials;

  /**
   * The CA certificates of a TLS-inspecting proxy, as PEM text: one or more `-----BEGIN CERTIFICATE-----`
   * blocks (typically the root CA the proxy signs its certificates with). Nodes, the kubectl provider and
   * the proxied pods trust them in addition to the public roots, never instead of them.
   *
   * Checked at synth time (every block must parse as X.509; a private key is refused) and written back in
   * canonical form; the synth notes list each certificate's subject. It must be concrete (not a token): it
   * goes into node user data, which counts against EC2's 16 KB limit (its PEM size on Amazon Linux, about
   * 1.3 KB for an RSA 2048 certificate; 4/3 of that as base64 on Bottlerocket).
   *
   * @default - the proxy does not inspect TLS: clients validate against the public roots only
   */
  readonly caBundle?: string;

  /**
   * Like `caBundle`, read at synth time from a PEM file (relative to the working directory of `cdk synth`).
   *
   * @default - the bundle is given by `caBundle`, or none
   */
  readonly caBundleFile?: string;
}

/**
 * The HTTP(S) proxy used by everything in a private cluster: nodes (dnf, containerd, kubelet,
 * nodeadm, the SSM agent), the `aws-node` and `kube-proxy` pods, and the CDK kubectl provider Lambda.
 *
 * One value object, validated once, rendered for every consumer.
 */
export class ProxySettings {
  /**
   * A proxy given by URL, e.g. `ProxySettings.fromUrl('http://proxy.corp.example:3128')`.
   *
   * The URL needs a scheme (`http` or `https`), a host and an explicit port, and must not contain
   * credentials. CDK tokens (parameters, imports) are accepted: Amazon Linux nodes check them at boot and
   * refuse to join when one is malformed; Bottlerocket refuses them (see the README, "Deploy-time values").
   *
   * @param httpProxy the proxy for HTTP requests (`HTTP_PROXY`)
   * @param options HTTPS proxy and extra NO_PROXY entries
   */
  public static fromUrl(httpProxy: string, options: ProxyOptions = {}): ProxySettings {
    return new ProxySettings(
      httpProxy,
      options.httpsProxy ?? httpProxy,
      options.noProxy ?? [],
      undefined,
      options.credentials,
      ProxySettings.caBundleOf(options),
    );
  }

  /**
   * A proxy given by host and port, e.g. the DNS name of a load balancer, which is a token until deploy
   * time. Unlike a token URL, the host:port form stays known to every consumer (Bottlerocket needs it).
   *
   * @param host the proxy's DNS name or IP address (may be a token)
   * @param port the proxy port
   * @param options HTTPS proxy and extra NO_PROXY entries
   */
  public static fromHost(host: string, port: number, options: ProxyOptions = {}): ProxySettings {
    if (!Token.isUnresolved(port) && !isPort(port)) {
      invalid('ProxySettings', 'port', `is ${port}`, 'Use the port your proxy listens on, 1-65535, for example 3128');
    }
    const problem = Token.isUnresolved(host) ? undefined : hostProblem(host);
    if (problem) {
      invalid(
        'ProxySettings',
        'host',
        problem,
        'Give only the host (a DNS name, an IPv4 address or a bracketed IPv6 address), without scheme, credentials or port',
      );
    }
    const url = `http://${host}:${port}`;
    return new ProxySettings(
      url,
      options.httpsProxy ?? url,
      options.noProxy ?? [],
      `${host}:${port}`,
      options.credentials,
      ProxySettings.caBundleOf(options),
    );
  }

  /** The proxy for HTTP requests, normalised to `scheme://host:port` when concrete. */
  public readonly httpProxy: string;

  /** The proxy for HTTPS requests, normalised to `scheme://host:port` when concrete. */
  public readonly httpsProxy: string;

  /** The extra NO_PROXY entries given by the user (the composed list is built by the cluster). */
  public readonly noProxy: string[];

  /** The proxy credentials, if the proxy authenticates. */
  public readonly credentials?: ProxyCredentials;

  /**
   * The CA bundle of a TLS-inspecting proxy, in canonical PEM form (certificate blocks only, each once).
   *
   * @default - the proxy does not inspect TLS
   */
  public readonly caBundle?: string;

  /**
   * `host:port` of the HTTPS proxy (what Bottlerocket takes), when known at synth time.
   *
   * @default - not known: the HTTPS proxy URL is a token
   */
  public readonly httpsProxyHostPort?: string;

  /**
   * Resources the proxy needs deployed before anything uses it (e.g. an `EgressProxy`): a cluster
   * using these settings depends on them (see `deployedBy`).
   */
  public readonly dependencies: IDependable[] = [];

  private constructor(
    httpProxy: string,
    httpsProxy: string,
    noProxy: string[],
    knownHostPort?: string,
    credentials?: ProxyCredentials,
    caBundle?: string,
  ) {
    const http = ProxySettings.check('httpProxy', httpProxy);
    const https = ProxySettings.check('httpsProxy', httpsProxy);
    this.httpProxy = http?.url ?? httpProxy;
    this.httpsProxy = https?.url ?? httpsProxy;
    this.httpsProxyHostPort = https
      ? `${https.host}:${https.port}`
      : httpsProxy === httpProxy
        ? knownHostPort
        : undefined;
    noProxy.forEach((entry, i) => {
      if (Token.isUnresolved(entry)) {
        return;
      }
      const problem = noProxyEntryProblem(entry);
      if (problem) {
        invalid(
          'ProxySettings',
          `noProxy[${i}]`,
          problem,
          'Give host names, domains (.corp.example), IP addresses or CIDRs, one per element',
        );
      }
    });
    this.noProxy = [...noProxy];
    this.credentials = credentials;
    this.caBundle = caBundle;
    if (credentials) {
      for (const [prop, url] of [
        ['httpProxy', httpProxy],
        ['httpsProxy', httpsProxy],
      ]) {
        if (!url.includes('://')) {
          invalid(
            'ProxySettings',
            prop,
            'is a token, so the credentials cannot be put into it at run time',
            'Give the URL as text, or use ProxySettings.fromHost(host, port) with a token host',
          );
        }
      }
    }
  }

  /**
   * The proxy environment variables, upper- and lower-case, for a composed NO_PROXY list. They never
   * contain credentials: consumers that need them add them at run time.
   *
   * @param noProxy the complete NO_PROXY entries (see `PrivateEksCluster.noProxy`)
   * @returns HTTP_PROXY, HTTPS_PROXY, NO_PROXY, http_proxy, https_proxy, no_proxy
   */
  public environment(noProxy: string[]): { [name: string]: string } {
    return proxyEnvironment({ httpProxy: this.httpProxy, httpsProxy: this.httpsProxy, noProxy });
  }

  /**
   * Record that the proxy is deployed by `dependency` (a proxy built in the same app, such as
   * `EgressProxy`): a cluster using these settings waits for it.
   *
   * @param dependency the construct that deploys the proxy
   * @returns these settings
   */
  public deployedBy(dependency: IDependable): ProxySettings {
    this.dependencies.push(dependency);
    return this;
  }

  /** The canonical PEM of the options' CA bundle (inline or from a file), checked; undefined without one. */
  private static caBundleOf(options: ProxyOptions): string | undefined {
    const { caBundle, caBundleFile } = options;
    if (caBundle !== undefined && caBundleFile !== undefined) {
      invalid(
        'ProxySettings',
        'caBundleFile',
        'is set together with caBundle',
        'Give the bundle one way: as text or as a file',
      );
    }
    if (caBundleFile !== undefined && Token.isUnresolved(caBundleFile)) {
      invalid(
        'ProxySettings',
        'caBundleFile',
        'is a token',
        'Give the path of a PEM file that exists when the app synthesizes',
      );
    }
    let text = caBundle;
    const prop = caBundleFile === undefined ? 'caBundle' : 'caBundleFile';
    if (caBundleFile !== undefined) {
      try {
        text = readFileSync(caBundleFile, 'utf8');
      } catch (e) {
        invalid(
          'ProxySettings',
          prop,
          `(${caBundleFile}) cannot be read: ${(e as Error).message}`,
          'Give the path of a PEM file that exists when the app synthesizes',
        );
      }
    }
    if (text === undefined) {
      return undefined;
    }
    if (Token.isUnresolved(text)) {
      invalid(
        'ProxySettings',
        prop,
        'is a token (a parameter, an import or a reference), but the bundle goes into node user data, the kubectl provider and a ConfigMap as text checked at synth time',
        'Give the PEM text itself, or caBundleFile with the path of a PEM file',
      );
    }
    const parsed = parseCaBundle(text);
    if (isCaBundleProblem(parsed)) {
      invalid('ProxySettings', prop, parsed.problem, parsed.fix);
    }
    return parsed.pem;
  }

  private static check(prop: string, url: string): ParsedProxyUrl | undefined {
    if (Token.isUnresolved(url)) {
      return undefined;
    }
    const parsed = parseProxyUrl(url);
    if (isProblem(parsed)) {
      return invalid('ProxySettings', prop, parsed.problem, parsed.fix);
    }
    return parsed;
  }
}
