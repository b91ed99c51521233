/**
 * Contract test of the app's details page (DESIGN.md §3.3): the pages that templates/app.yaml
 * really ships (extracted from the launch template's UserData, not a copy) run on a real PHP
 * server (`php -S`), against a fake IMDS that speaks only IMDSv2 and a fake `rpm` on PATH, and
 * verify-alb's own parser (`parseDetailsJson`) must read what they print.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { parseCfnTemplate } from '../../actions/lib/cfn-yaml';
import { DetailsJsonError, parseDetailsJson } from '../../actions/lib/verify/details';

jest.setTimeout(20_000);

const TEMPLATE = join(__dirname, '../../templates/app.yaml');
const AMI_ID = 'ami-0a1b2c3d4e5f60718';
const INSTANCE_ID = 'i-0123456789abcdef0';

/** What the fake `rpm -qa` knows is installed (name, version, release, arch). */
const PACKAGES = [
  ['system-release', '2023.6.20241121', '0.amzn2023', 'noarch'],
  ['httpd', '2.4.62', '1.amzn2023', 'x86_64'],
  ['php8.3-fpm', '8.3.10', '1.amzn2023.0.1', 'x86_64'],
  ['kernel', '6.1.115', '126.197.amzn2023', 'x86_64'],
  ['aws-cfn-bootstrap', '2.0', '31.amzn2023', 'noarch'],
];

// ---- What the template ships ----------------------------------------------------------------

interface ShippedApp {
  /** Files the bootstrap writes, by absolute path on the instance. */
  files: Map<string, string>;
  /** The bootstrap script itself (Fn::Sub template text). */
  script: string;
}

/** Reads the UserData script of AppLaunchTemplate and the files its `cat > … <<'APP_FILE'` write. */
function readShippedApp(): ShippedApp {
  const template = parseCfnTemplate(readFileSync(TEMPLATE, 'utf8'), TEMPLATE) as {
    Resources: { AppLaunchTemplate: { Properties: { LaunchTemplateData: { UserData: unknown } } } };
  };
  const userData = template.Resources.AppLaunchTemplate.Properties.LaunchTemplateData.UserData as {
    'Fn::Base64': { 'Fn::Sub': [string, Record<string, unknown>] | string };
  };
  const sub = userData['Fn::Base64']['Fn::Sub'];
  const script = Array.isArray(sub) ? sub[0] : sub;
  const files = new Map<string, string>();
  for (const match of script.matchAll(/^cat > (\S+) <<'APP_FILE'\n([\s\S]*?)\nAPP_FILE$/gm)) {
    files.set(match[1], `${match[2]}\n`);
  }
  return { files, script };
}

/** `Alias <url-path> <file>` lines of the shipped httpd config, as url-path → file name. */
function aliasesOf(httpdConf: string): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const match of httpdConf.matchAll(/^Alias\s+(\S+)\s+(\S+)$/gm)) aliases[match[1]] = basename(match[2]);
  return aliases;
}

// ---- Fakes: IMDSv2 and rpm ------------------------------------------------------------------

interface ImdsCall {
  method: string;
  path: string;
  token: string | undefined;
}

/** A metadata service that, like an instance with HttpTokens=required, answers GETs only with a
 *  token obtained by PUT /latest/api/token (401 otherwise). `acceptTokens=false` simulates an IMDS
 *  that is unreachable for tokens, to exercise the page's failure path. */
class FakeImds {
  readonly calls: ImdsCall[] = [];
  acceptTokens = true;
  /** The token the last successful PUT handed out. */
  lastIssued?: string;
  private readonly issued = new Set<string>();
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res.writeHead.bind(res), res.end.bind(res)));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(req: IncomingMessage, writeHead: (status: number) => void, end: (body?: string) => void): void {
    const token = req.headers['x-aws-ec2-metadata-token'] as string | undefined;
    this.calls.push({ method: req.method ?? '', path: req.url ?? '', token });
    const reply = (status: number, body = '') => {
      writeHead(status);
      end(body);
    };
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      if (!this.acceptTokens || !req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return reply(400);
      const issued = `token-${this.issued.size + 1}`;
      this.issued.add(issued);
      this.lastIssued = issued;
      return reply(200, issued);
    }
    if (req.method !== 'GET') return reply(405);
    if (!token || !this.issued.has(token)) return reply(401);
    const metadata: Record<string, string> = {
      '/latest/meta-data/ami-id': AMI_ID,
      '/latest/meta-data/instance-id': INSTANCE_ID,
      '/latest/meta-data/instance-type': 't3.micro',
      '/latest/meta-data/placement/availability-zone': 'us-east-1a',
    };
    const value = metadata[req.url ?? ''];
    return value === undefined ? reply(404) : reply(200, value);
  }
}

/** A Node script named `rpm` that answers `rpm -qa --queryformat FMT` from PACKAGES, honouring the
 *  format's %{TAG}s and \t/\n escapes as rpm does, so a wrong query format shows up here. */
function writeFakeRpm(binDir: string): void {
  const source = `#!/usr/bin/env node
const packages = ${JSON.stringify(PACKAGES)};
const [flag, formatFlag, format] = process.argv.slice(2);
if (flag !== '-qa' || formatFlag !== '--queryformat' || !format) {
  process.stderr.write('fake rpm: unexpected arguments ' + process.argv.slice(2).join(' ') + '\\n');
  process.exit(2);
}
for (const [NAME, VERSION, RELEASE, ARCH] of packages) {
  const tags = { NAME, VERSION, RELEASE, ARCH };
  process.stdout.write(format.replace(/%\\{(\\w+)\\}/g, (_, tag) => tags[tag]).replace(/\\\\t/g, '\\t').replace(/\\\\n/g, '\\n'));
}
`;
  const path = join(binDir, 'rpm');
  writeFileSync(path, source);
  chmodSync(path, 0o755);
}

// ---- The PHP server -------------------------------------------------------------------------

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `php -S` with a router that applies the shipped httpd Aliases (php -S has no Alias) and
 *  otherwise serves the document root as httpd would (PHP files executed, the rest static). */
function writeRouter(dir: string, aliases: Record<string, string>): string {
  const path = join(dir, 'router.php');
  writeFileSync(
    path,
    `<?php
$aliases = json_decode(${JSON.stringify(JSON.stringify(aliases))}, true);
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if (isset($aliases[$path])) { require __DIR__ . '/docroot/' . $aliases[$path]; return true; }
return false;
`,
  );
  return path;
}

async function waitForHttp(url: string, php: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (php.exitCode !== null) throw new Error(`php -S exited with ${php.exitCode}: ${stderr()}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`php -S did not answer on ${url} within 10 s: ${stderr()}`);
}

// ---- The test -------------------------------------------------------------------------------

const shipped = readShippedApp();
const imds = new FakeImds();
let workDir: string;
let php: ChildProcess;
let baseUrl: string;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'details-page-'));
  const docroot = join(workDir, 'docroot');
  const binDir = join(workDir, 'bin');
  mkdirSync(docroot);
  mkdirSync(binDir);
  for (const [path, content] of shipped.files) {
    if (path.startsWith('/var/www/html/')) writeFileSync(join(docroot, basename(path)), content);
  }
  writeFakeRpm(binDir);
  const router = writeRouter(workDir, aliasesOf(shipped.files.get('/etc/httpd/conf.d/app.conf') ?? ''));
  const imdsUrl = await imds.start();
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  let stderr = '';
  php = spawn('php', ['-S', `127.0.0.1:${port}`, '-t', docroot, router], {
    env: { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}`, APP_IMDS_ENDPOINT: imdsUrl },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  php.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const started = new Promise<void>((resolve, reject) => {
    php.once('spawn', resolve);
    php.once('error', (error) =>
      reject(new Error(`php-cli is needed for this test and could not start (${error.message}); run make setup (installs php-cli)`)),
    );
  });
  await started;
  await waitForHttp(`${baseUrl}/health.php`, php, () => stderr);
});

afterAll(async () => {
  php?.kill();
  await imds.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

beforeEach(() => {
  imds.calls.length = 0;
  imds.acceptTokens = true;
});

describe('what app.yaml ships', () => {
  it('writes the welcome page, the health page, details.php and the httpd config', () => {
    expect([...shipped.files.keys()].sort()).toEqual([
      '/etc/httpd/conf.d/app.conf',
      '/var/www/html/details.php',
      '/var/www/html/health.php',
      '/var/www/html/index.html',
    ]);
  });

  it.each([...shipped.files.keys()])('ships %s byte for byte (no ${…} for Fn::Sub to rewrite)', (path) => {
    expect(shipped.files.get(path)).not.toContain('${');
  });

  it('aliases /details.json to details.php', () => {
    expect(aliasesOf(shipped.files.get('/etc/httpd/conf.d/app.conf')!)).toEqual({ '/details.json': 'details.php' });
  });
});

describe('details.json served by php -S', () => {
  it("is what verify-alb's parser reads: the AMI and instance from IMDS, the package count from rpm", async () => {
    const response = await fetch(`${baseUrl}/details.json`);
    const body = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(parseDetailsJson(body)).toEqual({ amiId: AMI_ID, instanceId: INSTANCE_ID, packageCount: PACKAGES.length });
    expect(JSON.parse(body)).toMatchObject({ instanceType: 't3.micro', availabilityZone: 'us-east-1a', releaseVersion: '2023.6.20241121' });
  });

  it('uses IMDSv2: a token PUT first, then only GETs that carry it', async () => {
    await fetch(`${baseUrl}/details.json`);

    expect(imds.calls[0]).toEqual({ method: 'PUT', path: '/latest/api/token', token: undefined });
    const gets = imds.calls.slice(1);
    expect(gets.map((call) => call.path)).toEqual(expect.arrayContaining(['/latest/meta-data/ami-id', '/latest/meta-data/instance-id']));
    expect(gets).toEqual(gets.map((call) => ({ ...call, method: 'GET', token: imds.lastIssued })));
  });

  it('answers 503 with an error (which the parser rejects) when IMDS gives no token', async () => {
    imds.acceptTokens = false;

    const response = await fetch(`${baseUrl}/details.json`);
    const body = await response.text();

    expect(response.status).toBe(503);
    expect(JSON.parse(body)).toEqual({ error: expect.stringContaining('/latest/api/token answered HTTP 400') });
    expect(() => parseDetailsJson(body)).toThrow(DetailsJsonError);
  });

  it("satisfies the bootstrap's own pre-signal check (the grep on the AMI ID)", async () => {
    const grep = /grep -q '([^']*)\$\{AmazonMachineImage\}([^']*)'/.exec(shipped.script);
    expect(grep).not.toBeNull();
    const body = await (await fetch(`${baseUrl}/details.json`)).text();

    expect(body).toContain(`${grep![1]}${AMI_ID}${grep![2]}`);
  });
});

describe('the human pages served by php -S', () => {
  it("details.php shows the AMI ID and the seed's package lines", async () => {
    const response = await fetch(`${baseUrl}/details.php`);
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(html).toContain(`<span id="ami-id">${AMI_ID}</span>`);
    expect(html).toContain('[httpd.x86_64] - {2.4.62-1.amzn2023}');
    expect(html).toContain(`<b>Installed Packages:</b> ${PACKAGES.length}`);
  });

  it('the health page answers ok without touching IMDS', async () => {
    const response = await fetch(`${baseUrl}/health.php`);

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok\n');
    expect(imds.calls).toEqual([]);
  });

  it("the welcome page is the seed's", async () => {
    const response = await fetch(`${baseUrl}/`);

    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Welcome to Re:Invent 2020 The Well Architected Way');
  });
});
