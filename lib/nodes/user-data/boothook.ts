import { renderEtcEnvironment, renderSystemdDropIn } from '../../proxy/render-environment';
import type { ProxySecretReference } from '../../credentials/secret-reference';
import { renderShellGrammar, SHELL_GRAMMAR_FUNCTION, ValueGrammar } from '../../private/proxy-grammar';
import { shellQuote } from '../../private/encoders';
import type { NodeProxy, UserDataPart } from './family';

/**
 * A proxy variable whose value is known only at deploy time (it holds a CDK token). The boothook carries
 * it as base64, which no shell, awk or systemd syntax can be made of, and checks it at boot.
 */
export interface DeployTimeValue {
  /** The value as base64: a token (CloudFormation `Fn::Base64`) at synth time. */
  readonly base64: string;
  /** The grammar the decoded value must match. */
  readonly grammar: ValueGrammar;
  /** The prop(s) the value comes from, named in the message when it does not match. */
  readonly prop: string;
}

/**
 * Input of the proxy boothook renderer.
 */
export interface BoothookInput {
  /** The proxy environment (both cases of HTTP_PROXY, HTTPS_PROXY, NO_PROXY). */
  readonly environment: Record<string, string>;
  /** The proxy URL the package manager uses for its repositories (they are HTTPS). */
  readonly packageManagerProxy: string;
  /** The package manager's configuration file and section, e.g. `/etc/dnf/dnf.conf` `[main]`. */
  readonly packageManagerConfig: string;
  /** The systemd units that get an `Environment=` drop-in. */
  readonly units: string[];
  /** Units already running when the boothook runs, restarted (without blocking) when their drop-in changes. */
  readonly restartUnits: string[];
  /**
   * Proxy credentials to read from Secrets Manager at boot. The proxy URLs in `environment` and
   * `packageManagerProxy` then carry `PROXY_AUTH_PLACEHOLDER` where `user:password@` goes.
   */
  readonly credentials?: ProxySecretReference;
  /**
   * The variables (by upper-case name: HTTP_PROXY, HTTPS_PROXY, NO_PROXY) whose value is a deploy-time
   * token. Both cases of such a variable carry `valuePlaceholder(name)` in `environment` (and
   * `packageManagerProxy` is HTTPS_PROXY's); the boothook decodes, checks and fills them in at boot.
   */
  readonly deployTime?: Record<string, DeployTimeValue>;
}

/**
 * The name under which the credentials secret's ARN travels as a deploy-time value (`NodeProxy.deployTimeBase64`),
 * when it is a token (a secret of the stack, an imported one, a parameter).
 */
export const SECRET_ARN_VALUE = 'PROXY_SECRET_ARN';

/** The grammar of each deploy-time value, by name. */
const VARIABLE_GRAMMAR: Record<string, ValueGrammar> = {
  HTTP_PROXY: 'proxyUrl',
  HTTPS_PROXY: 'proxyUrl',
  NO_PROXY: 'noProxyList',
  [SECRET_ARN_VALUE]: 'secretArn',
};

/** The prefix of the shell (and awk environment) variables that hold the checked deploy-time values. */
const VALUE_VARIABLE = 'cpe_';

/** Where a deploy-time value goes in the rendered files until the boothook fills it in. */
export function valuePlaceholder(name: string): string {
  return `@@${VALUE_VARIABLE}${name}@@`;
}

/** Stands for the URL-encoded `user:password` in the rendered URLs until the boothook fills it in. */
export const PROXY_AUTH_PLACEHOLDER = '@@CDK_PRIVATE_EKS_PROXY_AUTH@@';

/** A proxy URL with room for credentials: `http://host:port` -> `http://@@...@@@host:port`. */
export function withAuthPlaceholder(url: string): string {
  return url.replace('://', `://${PROXY_AUTH_PLACEHOLDER}@`);
}

/** The `text/cloud-boothook` part of an Amazon Linux family. */
export function boothookPart(
  proxy: NodeProxy,
  packageManagerConfig: string,
  units: string[],
  restartUnits: string[],
): UserDataPart {
  return {
    contentType: 'text/cloud-boothook; charset="us-ascii"',
    body: renderBoothook(boothookFor(proxy, packageManagerConfig, units, restartUnits)),
  };
}

/** Shell lines that export the variables of /etc/environment (values are validated: no spaces, quotes or $). */
export function sourceEtcEnvironment(): string[] {
  return [
    'if [ -f /etc/environment ]; then',
    '  set -a',
    '  # shellcheck disable=SC1091',
    '  . /etc/environment',
    '  set +a',
    'fi',
  ];
}

/** The shared boothook input for a node family: with credentials, the URLs carry the placeholder. */
export function boothookFor(
  proxy: NodeProxy,
  packageManagerConfig: string,
  units: string[],
  restartUnits: string[],
): BoothookInput {
  const creds = proxy.credentials;
  const encoded = proxy.deployTimeBase64 ?? {};
  const props = proxy.deployTimeProps ?? {};
  const deployTime: Record<string, DeployTimeValue> = Object.fromEntries(
    Object.entries(encoded).map(([name, base64]) => [
      name,
      { base64, grammar: VARIABLE_GRAMMAR[name] ?? 'proxyUrl', prop: props[name] ?? 'proxy' },
    ]),
  );
  const value = (k: string, v: string): string => {
    if (deployTime[k.toUpperCase()]) {
      return valuePlaceholder(k.toUpperCase());
    }
    return creds && !/^no_proxy$/i.test(k) ? withAuthPlaceholder(v) : v;
  };
  const environment = Object.fromEntries(Object.entries(proxy.environment).map(([k, v]) => [k, value(k, v)]));
  return {
    environment,
    packageManagerProxy: value('HTTPS_PROXY', proxy.httpsProxy),
    packageManagerConfig,
    units,
    restartUnits,
    credentials: creds,
    deployTime: Object.keys(deployTime).length > 0 ? deployTime : undefined,
  };
}

/** The marker lines around the block we own in `/etc/environment`. */
export const ENV_BEGIN = '# BEGIN cdk-private-eks proxy';
export const ENV_END = '# END cdk-private-eks proxy';

/** The drop-in file name written for each unit. nodeadm uses `environment.conf`; ours must not clash. */
export const DROP_IN_NAME = 'cdk-private-eks-proxy.conf';

/**
 * The `text/cloud-boothook` script that puts the proxy into the package manager, `/etc/environment`
 * (login shells, `cfn-signal` run by hand, anything that sources it) and systemd drop-ins.
 *
 * cloud-init runs boothooks on every boot, so every step rewrites a whole file and only when its
 * content differs: a second run changes nothing, appends nothing and reloads nothing. Values known at
 * synth time (checked there) are written with quoted here-documents, so the shell never expands them;
 * values known only at deploy time are carried as base64, checked at boot against the same grammar and
 * filled in by awk from its environment (`renderDeployTimeValues`); one that does not match stops the
 * boothook before it writes anything and keeps the node from joining.
 *
 * Mistakes of the seed boothooks fixed here: no shebang (cloud-init executes the part as a file),
 * `cat >>` appends (duplicated lines on re-run without cloud-init-per), HTTP_PROXY set twice and
 * HTTPS_PROXY never, `EnvironmentFile=/etc/environment` (systemd does not read shell syntax the same
 * way pam does, and `%` is not escaped).
 */
export function renderBoothook(input: BoothookInput): string {
  // Each lower-case variable with the value of its upper-case twin is written by `with_lower_case` at boot
  // rather than carried twice (user data is limited to 16 KB; NO_PROXY alone is often 500 bytes).
  const carried = Object.fromEntries(
    Object.entries(input.environment).filter(
      ([k, v]) => !(k !== k.toUpperCase() && input.environment[k.toUpperCase()] === v),
    ),
  );
  const envBlock = `${ENV_BEGIN}\n${renderEtcEnvironment(carried)}${ENV_END}`;
  const names = Object.keys(input.environment).join('|');
  const creds = input.credentials;
  // With credentials: files are root-only, and the placeholder is replaced by the credentials (with
  // every % doubled in systemd files, where % starts a specifier).
  const mode = creds ? '0600' : '0644';
  const deployTime = input.deployTime;
  const fill = (deployTime ? ' | fill_values' : '') + (creds ? ' | fill_auth "$auth"' : '');
  const fillSystemd = (deployTime ? ' | fill_values systemd' : '') + (creds ? ' | fill_auth "$auth_systemd"' : '');
  // The package manager's proxy reaches awk through its environment (`awk -v` would expand backslashes).
  const pmProxy =
    deployTime && input.packageManagerProxy === valuePlaceholder('HTTPS_PROXY')
      ? `"$${VALUE_VARIABLE}HTTPS_PROXY"`
      : shellQuote(input.packageManagerProxy);
  // replace_file writes the new content beside PATH (created 0600: it may hold the credentials), gives it its
  // mode and renames it over PATH, so a reader sees the old file or the new one, never part of one (it was
  // `install` from a mktemp file). cmp fails on a missing PATH as on a different one. No byte more than before:
  // the comment is here, not in the script, and a self-managed group's user data is within bytes of 16 KB.
  const lines: string[] = [
    '#!/bin/bash',
    '# cdk-private-eks: proxy settings for the package manager, /etc/environment and systemd units.',
    '# Runs on every boot (cloud-init boothook): idempotent, rewrites whole files only when they change.',
    ...revisionComment(creds),
    'set -euo pipefail',
    'umask 022',
    'changed_units=()',
    'reload_needed=0',
    '',
    '# replace_file PATH MODE: replace PATH with standard input when the content differs; return 0 if replaced.',
    'replace_file() {',
    '  local path="$1" new="$1.cdk-private-eks-new"',
    '  [ -d "${path%/*}" ] || mkdir -p "${path%/*}"',
    '  umask 077',
    '  cat >"$new"',
    '  umask 022',
    '  if cmp -s "$new" "$path"; then',
    '    rm -f "$new"',
    '    return 1',
    '  fi',
    '  chmod "$2" "$new"',
    '  mv -f "$new" "$path"',
    '}',
    '',
    ...renderWithLowerCase(),
    ...(deployTime || creds ? renderJoinBlock() : []),
    ...(deployTime ? renderDeployTimeValues(deployTime, creds !== undefined) : []),
    ...(creds ? renderCredentialFetch(creds, deployTime?.[SECRET_ARN_VALUE] !== undefined) : []),
    '# 1. /etc/environment: our block between markers, and no other definition of the proxy variables.',
    '[ -e /etc/environment ] || : >/etc/environment',
    `{`,
    `  sed -e '/^${escapeSed(ENV_BEGIN)}$/,/^${escapeSed(ENV_END)}$/d' /etc/environment | grep -v -E '^(${names})=' || true`,
    `  with_lower_case <<'CDK_PRIVATE_EKS_ENV'`,
    envBlock,
    'CDK_PRIVATE_EKS_ENV',
    `}${fill} | replace_file /etc/environment ${mode} || true`,
    '',
    `# 2. Package manager: one proxy= line in the [main] section of ${input.packageManagerConfig}.`,
    `if [ -f ${input.packageManagerConfig} ]; then`,
    `  CDK_PRIVATE_EKS_PROXY=${pmProxy} awk '`,
    `    BEGIN { line = "proxy=" ENVIRON["CDK_PRIVATE_EKS_PROXY"] }`,
    `    /^proxy[[:space:]]*=/ { next }`,
    `    { print }`,
    `    /^\\[main\\]/ && !done { print line; done = 1 }`,
    `    END { if (!done) { print "[main]"; print line } }`,
    `  ' ${input.packageManagerConfig}${fill} | replace_file ${input.packageManagerConfig} ${mode} || true`,
    'fi',
    '',
    '# 3. systemd drop-ins: services do not read /etc/environment.',
  ];
  // One copy of the drop-in in the script, written for every unit (user data is limited to 16 KB).
  lines.push(
    `drop_in="$(with_lower_case <<'CDK_PRIVATE_EKS_UNIT'`,
    renderSystemdDropIn(carried).trimEnd(),
    'CDK_PRIVATE_EKS_UNIT',
    ')"',
    `for unit in ${input.units.join(' ')}; do`,
    `  if printf '%s\\n' "$drop_in"${fillSystemd} | replace_file "/etc/systemd/system/$unit.service.d/${DROP_IN_NAME}" ${mode}; then`,
    '    reload_needed=1',
    '    changed_units+=("$unit.service")',
    '  fi',
    'done',
  );
  lines.push(
    '',
    'if [ "$reload_needed" = 1 ]; then',
    '  systemctl daemon-reload',
    '  for unit in "${changed_units[@]}"; do',
    '    case "$unit" in',
    ...input.restartUnits.map((u) => `      ${u}.service) systemctl try-restart --no-block "$unit" ;;`),
    '      *) ;;',
    '    esac',
    '  done',
    'fi',
    '',
  );
  return lines.join('\n');
}

/**
 * The shell function `with_lower_case`: copies standard input and adds, for each `KEY=value` or
 * `Environment="KEY=value"` line, the same line with KEY in lower case: after all lines, or before our
 * block's end marker in /etc/environment. curl reads `http_proxy` only in lower case, Go and Python read
 * both (render-environment.ts), so both are written; only the upper case is carried in the script. The
 * value is copied as it is: awk changes the case of the key only.
 */
function renderWithLowerCase(): string[] {
  return [
    '# with_lower_case: standard input, plus each KEY= (or Environment="KEY=) line again with KEY in lower case.',
    'with_lower_case() {',
    `  awk -v end=${shellQuote(ENV_END)} '`,
    '    function flush(i) { for (i = 1; i <= n; i++) print lower[i]; n = 0 }',
    '    $0 == end { flush() }',
    '    { print }',
    '    match($0, /^(Environment=")?[A-Z_]+=/) {',
    '      p = index($0, "Environment=") == 1 ? 13 : 0',
    '      lower[++n] = substr($0, 1, p) tolower(substr($0, p + 1, RLENGTH - p)) substr($0, RLENGTH + 1)',
    '    }',
    "    END { flush() }'",
    '}',
    '',
  ];
}

/**
 * The file the boothook leaves, with the reason, when it cannot read the proxy credentials; the ready
 * signal fails at once when it finds it. Under /run (a tmpfs), so the next boot starts without it.
 */
export const CREDENTIALS_MISSING_MARKER = '/run/cdk-private-eks/proxy-credentials-missing';

/**
 * The runtime kubelet drop-in that keeps kubelet from starting while the marker exists. Drop-ins are
 * read from /run/systemd/system as well as /etc (systemd.unit(5), "Unit File Load Path": drop-in
 * directories of every search path are merged), whereas a `systemctl mask --runtime` link in /run would
 * lose against the AMIs' /etc/systemd/system/kubelet.service. A failed assertion fails the start job
 * without starting kubelet (systemd.unit(5), `Assert...=`), so whatever starts kubelet fails visibly:
 * nodeadm-run.service on AL2023 (`nodeadm init` starts kubelet: amazon-eks-ami
 * `templates/al2023/runtime/rootfs/etc/systemd/system/nodeadm-run.service`), `systemctl start kubelet` in
 * bootstrap.sh on AL2 (`templates/al2/runtime/bootstrap.sh`, which runs with errexit), for self-managed
 * and managed nodes alike.
 */
export const CREDENTIALS_BLOCK_DROP_IN = '/run/systemd/system/kubelet.service.d/cdk-private-eks-credentials.conf';

/**
 * The deploy-time values: the grammar checks (lib/private/proxy-grammar.ts), one decode and
 * check per value, and `fill_values`, which puts them in place of their placeholders.
 *
 * The base64 text sits between single quotes; its alphabet (`A-Za-z0-9+/=`) cannot end them. The decoded
 * value keeps its trailing newlines (the `.` sentinel) and is compared in bytes with the decoder's output,
 * so neither a newline nor a NUL byte that bash would drop can slip through the check.
 */
function renderDeployTimeValues(values: Record<string, DeployTimeValue>, credentials: boolean): string[] {
  const names = Object.keys(values);
  return [
    '# 0. Deploy-time values: base64 from CloudFormation, decoded and checked before anything is written.',
    ...renderShellGrammar(),
    '# deploy_value NAME PROP CHECK BASE64: decode into $deployed, or block the join naming PROP (not the value).',
    'deploy_value() {',
    '  local LC_ALL=C value bytes',
    '  value="$(printf %s "$4" | base64 -d 2>/dev/null; printf .)"',
    '  value="${value%.}"',
    '  bytes="$(printf %s "$4" | base64 -d 2>/dev/null | wc -c)"',
    '  if [ "${#value}" != "$bytes" ] || ! "$3" "$value"; then',
    '    block_join "the deploy-time value of $1 (from $2) does not have the form the proxy settings need"',
    '  fi',
    '  deployed="$value"',
    '}',
    ...names.flatMap((n) => [
      `deploy_value ${n} ${shellQuote(values[n].prop)} ${SHELL_GRAMMAR_FUNCTION[values[n].grammar]} ${shellQuote(values[n].base64)}`,
      `${VALUE_VARIABLE}${n}="$deployed"`,
    ]),
    // With credentials, user:password@ goes into the checked URLs at the same place as in concrete ones.
    ...(credentials
      ? names
          .filter((n) => values[n].grammar === 'proxyUrl')
          .map(
            (n) =>
              `${VALUE_VARIABLE}${n}="\${${VALUE_VARIABLE}${n}%%://*}://${PROXY_AUTH_PLACEHOLDER}@\${${VALUE_VARIABLE}${n}#*://}"`,
          )
      : []),
    '# fill_values [systemd]: replace the placeholders on stdin (% doubled for systemd); the values reach awk',
    '# through its environment, never its program text.',
    'fill_values() {',
    `  ${names.map((n) => `${VALUE_VARIABLE}${n}="$${VALUE_VARIABLE}${n}"`).join(' ')} awk -v systemd="\${1:-}" '`,
    '    function fill(name,   ph, v, out, rest, i) {',
    '      ph = "@@" name "@@"; v = ENVIRON[name]; out = ""; rest = $0',
    '      if (systemd == "systemd") gsub(/%/, "%%", v)',
    '      while ((i = index(rest, ph)) > 0) { out = out substr(rest, 1, i - 1) v; rest = substr(rest, i + length(ph)) }',
    '      $0 = out rest',
    '    }',
    `    { ${names.map((n) => `fill("${VALUE_VARIABLE}${n}"); `).join('')}print }'`,
    '}',
    '',
  ];
}

/**
 * Read the credentials at every boot (so a rotation reaches the node on its next boot): the region from
 * IMDSv2, the secret with the AWS CLI of the EKS AMI through the Secrets Manager VPC endpoint, and
 * `user:password` URL-encoded by Python. Nothing is printed; the secret is never in the user data.
 * When any step fails, `block_join` (`renderJoinBlock`) keeps the node from joining and stops the script.
 */
function renderCredentialFetch(creds: ProxySecretReference, deployTimeArn: boolean): string[] {
  return [
    '# 0. Proxy credentials, read from AWS Secrets Manager at every boot; never written to the user data.',
    // A token ARN was decoded and checked with the other deploy-time values.
    `secret_arn=${deployTimeArn ? `"$${VALUE_VARIABLE}${SECRET_ARN_VALUE}"` : shellQuote(creds.secretArn)}`,
    '# Every call has its own timeout: IMDS 5 s a try, three more tries; the AWS CLI 5 s to connect and 10 s to',
    '# read, two attempts. The boothook runs before kubelet, and nothing else would bound it.',
    "imds_token=\"$(curl -sS --fail --max-time 5 --retry 3 --retry-connrefused --retry-delay 1 --noproxy '*' -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token)\" ||",
    '  block_join "cannot get an IMDSv2 token to learn the region"',
    'region="$(curl -sS --fail --max-time 5 --retry 3 --retry-connrefused --retry-delay 1 --noproxy \'*\' -H "X-aws-ec2-metadata-token: $imds_token" http://169.254.169.254/latest/meta-data/placement/region)" ||',
    '  block_join "cannot read the region from the instance metadata service"',
    'secret=""',
    'for attempt in 1 2 3 4 5; do',
    `  if secret="$(AWS_MAX_ATTEMPTS=2 aws secretsmanager get-secret-value --region "$region" --secret-id "$secret_arn" --query SecretString --output text --cli-connect-timeout 5 --cli-read-timeout 10)"; then`,
    '    break',
    '  fi',
    '  if [ "$attempt" = 5 ]; then',
    '    break',
    '  fi',
    '  sleep $((attempt * 3))',
    'done',
    'if [ -z "$secret" ]; then',
    '  block_join "cannot read the proxy credentials from Secrets Manager ($secret_arn)"',
    'fi',
    // Python reads the JSON and URL-encodes; a secret that is not such a JSON object fails silently (never
    // a traceback that could quote the value), and block_join gives the reason.
    `auth="$(printf '%s' "$secret" | python3 -c ${shellQuote(PYTHON_ENCODE)} ${shellQuote(creds.usernameKey)} ${shellQuote(creds.passwordKey)})" ||`,
    `  block_join "the proxy credentials secret is not a JSON object with the keys ${creds.usernameKey} and ${creds.passwordKey}"`,
    'auth_systemd="${auth//%/%%}"',
    'unset secret',
    '# The credentials are here: lift a block left by an earlier run of this boot.',
    `if [ -e ${CREDENTIALS_BLOCK_DROP_IN} ]; then`,
    `  rm -f ${CREDENTIALS_BLOCK_DROP_IN} ${CREDENTIALS_MISSING_MARKER}`,
    '  reload_needed=1',
    'fi',
    '# fill_auth VALUE: replace the placeholder on standard input. The value goes through the environment of',
    '# awk (readable by root only), never through a command line (readable by anyone in /proc).',
    'fill_auth() {',
    `  CDK_PRIVATE_EKS_AUTH="$1" awk '{ gsub(/${PROXY_AUTH_PLACEHOLDER}/, ENVIRON["CDK_PRIVATE_EKS_AUTH"]); print }'`,
    '}',
    '',
  ];
}

/**
 * The shell function `block_join REASON`: fail closed when the credentials cannot be read or a deploy-time
 * value does not match its grammar. A node without them would join and then fail every pull through the
 * proxy (a silently half-configured node), so
 * kubelet is kept from starting on this boot (`CREDENTIALS_BLOCK_DROP_IN`), the reason is left for the
 * ready signal (`CREDENTIALS_MISSING_MARKER`) and written to standard error (cloud-init's log) and the
 * console (`aws ec2 get-console-output`), and the boothook stops before writing any file. Both files
 * are under /run: the next boot reads the secret again and, when it can, the node joins (a malformed
 * deploy-time value blocks every boot: it is in the user data).
 */
function renderJoinBlock(): string[] {
  return [
    '# block_join REASON: say why (stderr, console), keep kubelet from starting this boot, and stop.',
    'block_join() {',
    '  local msg="cdk-private-eks: $1; no proxy settings were written and kubelet is kept from starting, so the node does not join (a reboot tries again)"',
    `  mkdir -p "$(dirname ${CREDENTIALS_MISSING_MARKER})" "$(dirname ${CREDENTIALS_BLOCK_DROP_IN})"`,
    `  printf '%s\\n' "$1" >${CREDENTIALS_MISSING_MARKER}`,
    `  printf '[Unit]\\nAssertPathExists=!%s\\n' ${CREDENTIALS_MISSING_MARKER} >${CREDENTIALS_BLOCK_DROP_IN}`,
    '  systemctl daemon-reload || true',
    '  printf \'%s\\n\' "$msg" >&2',
    '  printf \'%s\\n\' "$msg" >/dev/console 2>/dev/null || true',
    '  exit 1',
    '}',
  ];
}

/**
 * A comment line with the credentials' revision (base64), only there to change the user data when the
 * secret is rotated: the launch template gets a new version and the node group replaces its nodes, which
 * read the new secret at boot. A comment is never run; a line break would end it, so one is refused.
 */
function revisionComment(creds: ProxySecretReference | undefined): string[] {
  const revision = creds?.revisionBase64;
  if (revision === undefined) {
    return [];
  }
  if (/[\r\n]/.test(revision)) {
    throw new Error('cdk-private-eks: the proxy credentials revision must be base64 (no line break)');
  }
  return [`# Proxy credentials revision (base64): ${revision}. A new revision replaces the nodes.`];
}

/** The Python one-liner (no single quotes) that turns the secret's JSON into URL-encoded `user:password`. */
const PYTHON_ENCODE = [
  'import json, sys, urllib.parse as u',
  'try:',
  '    d = json.load(sys.stdin); print(u.quote(d[sys.argv[1]], safe="") + ":" + u.quote(d[sys.argv[2]], safe=""))',
  'except Exception:',
  '    sys.exit(1)',
].join('\n');

function escapeSed(s: string): string {
  return s.replace(/[/\\.*[\]^$]/g, (c) => `\\${c}`);
}
