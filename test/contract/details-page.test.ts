/**
 * Contract test of the app's details page (DESIGN.md §3.3): the pages that templates/app.yaml
 * really ships (extracted from the launch template's UserData, not a copy) run on a real PHP
 * server (`php -S`), against an IMDS stand-in that speaks only IMDSv2 and a stand-in `rpm` on
 * PATH, and verify-alb's own parser (`parseDetailsJson`) must read what they print. The server is
 * started exactly as the local data plane starts each instance (local/data-plane/instance.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DetailsJsonError, parseDetailsJson } from '../../actions/lib/verify/details';
import { aliasesOf, readShippedApp, type RpmPackage } from '../../local/data-plane/app-pages';
import { startInstance, type RunningInstance } from '../../local/data-plane/instance';

jest.setTimeout(20_000);

const AMI_ID = 'ami-0a1b2c3d4e5f60718';
const INSTANCE_ID = 'i-0123456789abcdef0';

/** What the stand-in `rpm -qa` knows is installed. */
const PACKAGES: RpmPackage[] = [
  { name: 'system-release', version: '2023.6.20241121', release: '0.amzn2023', arch: 'noarch' },
  { name: 'httpd', version: '2.4.62', release: '1.amzn2023', arch: 'x86_64' },
  { name: 'php8.3-fpm', version: '8.3.10', release: '1.amzn2023.0.1', arch: 'x86_64' },
  { name: 'kernel', version: '6.1.115', release: '126.197.amzn2023', arch: 'x86_64' },
  { name: 'aws-cfn-bootstrap', version: '2.0', release: '31.amzn2023', arch: 'noarch' },
];

const shipped = readShippedApp();
let workDir: string;
let instance: RunningInstance;
let baseUrl: string;

async function startPages(spoiled: boolean): Promise<RunningInstance> {
  return startInstance(
    { instanceId: INSTANCE_ID, amiId: AMI_ID, instanceType: 't3.micro', availabilityZone: 'us-east-1a', packages: PACKAGES, spoiled },
    { dir: join(workDir, spoiled ? 'spoiled' : 'instance'), logFile: join(workDir, spoiled ? 'php-spoiled.log' : 'php.log') },
  );
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'details-page-'));
  instance = await startPages(false);
  baseUrl = instance.url;
});

afterAll(async () => {
  await instance?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

beforeEach(() => {
  instance.imds.calls.length = 0;
  instance.imds.acceptTokens = true;
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

    expect(instance.imds.calls[0]).toEqual({ method: 'PUT', path: '/latest/api/token', token: undefined });
    const gets = instance.imds.calls.slice(1);
    expect(gets.map((call) => call.path)).toEqual(expect.arrayContaining(['/latest/meta-data/ami-id', '/latest/meta-data/instance-id']));
    expect(gets).toEqual(gets.map((call) => ({ ...call, method: 'GET', token: instance.imds.lastIssued })));
  });

  it('answers 503 with an error (which the parser rejects) when IMDS gives no token', async () => {
    instance.imds.acceptTokens = false;

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
    expect(instance.imds.calls).toEqual([]);
  });

  it("the welcome page is the seed's", async () => {
    const response = await fetch(`${baseUrl}/`);

    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Welcome to Re:Invent 2020 The Well Architected Way');
  });
});

describe('an instance of a spoiled AMI (its RPM database is corrupt)', () => {
  let spoiled: RunningInstance;
  beforeAll(async () => {
    spoiled = await startPages(true);
  });
  afterAll(async () => {
    await spoiled?.stop();
  });

  it('still passes the health check, so the load balancer keeps routing to it', async () => {
    const response = await fetch(`${spoiled.url}/health.php`);
    expect(response.status).toBe(200);
  });

  it("answers details.json with 503 through the page's own error path, which verify-alb counts as an error", async () => {
    const response = await fetch(`${spoiled.url}/details.json`);
    const body = await response.text();

    expect(response.status).toBe(503);
    expect(JSON.parse(body)).toEqual({ error: 'rpm -qa listed no packages' });
    expect(() => parseDetailsJson(body)).toThrow(DetailsJsonError);
  });
});
