import { parseMetadataBlock } from '../../../../actions/lib/gitops/commit-metadata';
import { composePatchPullRequest, MAX_BODY_CHARS, type PatchPullRequestInputs } from '../../../../actions/lib/gitops/patch-pull-request';
import { leadOf } from '../../../support/summary-lead';

const base: PatchPullRequestInputs = {
  environment: 'dev',
  parametersFile: 'parameters/dev.json',
  previousAmiId: 'ami-0123456789abcdef0',
  amiId: 'ami-0fedcba9876543210',
  imageArn: 'arn:aws:imagebuilder:us-east-1:123456789012:image/patch-dev-app/1.0.3/1',
  packageDiffMarkdown: '| Package | From | To |\n|---|---|---|\n| openssl | 3.0.8-1 | 3.0.8-2 |',
  findingsJson: JSON.stringify({ counts: { CRITICAL: 0, HIGH: 2, MEDIUM: 5, LOW: 1, INFORMATIONAL: 0, UNTRIAGED: 0 }, total: 8, scanned: true }),
  changesMarkdown: '| Action | Resource | Replacement |\n|---|---|---|\n| Modify | AppAutoScalingGroup | True |',
  runUrl: 'https://github.com/acme/fleet/actions/runs/42',
};

describe('composePatchPullRequest', () => {
  it('names the environment and both AMIs in the title, on a fixed branch per environment', () => {
    const pr = composePatchPullRequest(base);
    expect(pr.title).toBe('Bump dev AMI from ami-0123456789abcdef0 to ami-0fedcba9876543210');
    expect(pr.branch).toBe('ami-patch/dev');
    expect(composePatchPullRequest({ ...base, amiId: 'ami-0aaaaaaaaaaaaaaaa' }).branch).toBe(pr.branch);
  });

  it('puts the patch evidence in the body: AMIs, image, findings, packages, change set, run link', () => {
    const { body } = composePatchPullRequest(base);
    expect(body).toContain('deploys `ami-0fedcba9876543210` to `dev` in place of `ami-0123456789abcdef0`');
    expect(body).toContain(base.imageArn);
    expect(body).toContain('| Findings | ⚠️ 0 critical, 2 high, 5 medium, 1 low, 0 informational, 0 untriaged (8 total) |');
    // One severity table (the counts in the facts), the CRITICAL/HIGH list collapsed below.
    expect(body).not.toContain('| HIGH | 2 |');
    expect(body).toContain('### CRITICAL and HIGH findings\n\n_2 CRITICAL/HIGH finding(s); build-ami listed none of them (see its job summary)._');
    expect(body).toContain('| openssl | 3.0.8-1 | 3.0.8-2 |');
    expect(body).toContain('| Modify | AppAutoScalingGroup | True |');
    expect(body).toContain('[workflow run](https://github.com/acme/fleet/actions/runs/42)');
    expect(body.indexOf('### CRITICAL and HIGH findings')).toBeLessThan(body.indexOf('### Packages changed'));
    expect(body.indexOf('### Packages changed')).toBeLessThan(body.indexOf('### CloudFormation change-set preview'));
  });

  it("shows build-ami's CRITICAL/HIGH findings as one collapsed table, named once (by the section's heading)", () => {
    const notable = [
      { severity: 'HIGH', vulnerabilityId: 'CVE-2023-5363', packages: 'openssl-libs 3.0.8', fixedIn: '0:3.0.8-1.amzn2023.0.10', score: 7.5 },
      { severity: 'HIGH', vulnerabilityId: 'CVE-2024-2961', packages: 'glibc 2.34', fixedIn: 'NotAvailable' },
    ];
    const { body } = composePatchPullRequest({ ...base, findingsJson: JSON.stringify({ ...JSON.parse(base.findingsJson!), notable }) });
    expect(body).toContain(
      '### CRITICAL and HIGH findings\n\n<details><summary>Each finding, its package and fix (2)</summary>\n\n| Severity | Vulnerability | Package | Fixed in | Score |\n|---|---|---|---|---|\n' +
        '| HIGH | CVE-2023-5363 | openssl-libs 3.0.8 | 0:3.0.8-1.amzn2023.0.10 | 7.5 |\n| HIGH | CVE-2024-2961 | glibc 2.34 | NotAvailable |  |\n\n</details>',
    );
    expect(body.match(/CRITICAL and HIGH findings/g)).toHaveLength(1);
  });

  it('ends the commit message with a metadata block that reads back as a patch update', () => {
    const { commitMessage, title } = composePatchPullRequest(base);
    expect(commitMessage.split('\n')[0]).toBe(title);
    expect(parseMetadataBlock(commitMessage)).toEqual([
      {
        environment: 'dev',
        'parameters-file': 'parameters/dev.json',
        parameter: 'AmazonMachineImage',
        'previous-ami-id': base.previousAmiId,
        'ami-id': base.amiId,
        'update-type': 'patch',
        'image-arn': base.imageArn,
        'run-url': base.runUrl,
      },
    ]);
  });

  it.each([
    ['not scanned', JSON.stringify({ counts: {}, total: 0, scanned: false, reason: 'image scanning is off' }), '⚠️ not scanned (image scanning is off)'],
    ['missing', undefined, 'not reported'],
    ['not JSON', '{oops', 'not reported'],
    ['the wrong shape', '{"critical": 1}', 'not reported'],
    ['clean', JSON.stringify({ counts: { CRITICAL: 0, HIGH: 0 }, total: 0, scanned: true }), '0 critical, 0 high (0 total)'],
  ])('says so when findings are %s', (_name, findingsJson, cell) => {
    expect(composePatchPullRequest({ ...base, findingsJson }).body).toContain(`| Findings | ${cell} |`);
  });

  it('says which evidence is missing instead of leaving sections empty', () => {
    const { body } = composePatchPullRequest({ ...base, packageDiffMarkdown: ' ', changesMarkdown: undefined, imageArn: undefined, runUrl: undefined });
    expect(body).toContain('_build-ami reported no package diff._');
    expect(body).toContain('_No preview: the preview step did not run._');
    expect(body).toContain('| Image | not reported |');
  });

  it("cuts the longest section at a line end to fit GitHub's body limit, and says where the rest is", () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `| package-${i} | 1.0.${i} | 1.0.${i + 1} |`).join('\n');
    const { body } = composePatchPullRequest({ ...base, packageDiffMarkdown: `| Package | From | To |\n|---|---|---|\n${rows}` });
    expect(body.length).toBeLessThanOrEqual(MAX_BODY_CHARS);
    expect(body).toContain("_…cut to fit GitHub's PR body limit; the full text is in the [run's job summary](https://github.com/acme/fleet/actions/runs/42)._");
    expect(body).toContain('| Modify | AppAutoScalingGroup | True |');
    const packages = body.slice(body.indexOf('### Packages changed'), body.indexOf('_…cut'));
    expect(packages.trimEnd().split('\n').pop()).toMatch(/^\| package-\d+ \| [\d.]+ \| [\d.]+ \|$/);
  });
});

describe('the CVE delta and the gate verdict', () => {
  const withDelta: PatchPullRequestInputs = {
    ...base,
    findingsJson: JSON.stringify({
      counts: { CRITICAL: 0, HIGH: 2, MEDIUM: 5, LOW: 1, INFORMATIONAL: 0, UNTRIAGED: 0 },
      total: 8,
      scanned: true,
      gate: { threshold: 'critical', passed: true, text: 'no finding at or above CRITICAL: gate passed' },
      delta: { previousAmiId: base.previousAmiId, fixed: 4, introduced: 1, stillOpen: 7 },
    }),
    findingsDeltaMarkdown: '**CVE delta ami-0123456789abcdef0 → ami-0fedcba9876543210: fixes 4 (1 CRITICAL, 3 HIGH), introduces 1 (1 MEDIUM), 7 still open**',
  };

  it("puts the gate verdict and the delta in the facts table, the PR's first screenful", () => {
    const { body } = composePatchPullRequest(withDelta);
    const firstScreen = body.slice(0, body.indexOf('### '));
    expect(leadOf(body)).toEqual({
      heading: 'Patch `dev`',
      lead:
        '**Merging this PR deploys `ami-0fedcba9876543210` to `dev` in place of `ami-0123456789abcdef0`. Severity gate: ✅ no finding at or above CRITICAL: gate passed; ' +
        'CVE delta: fixes 4, ⚠️ introduces 1, 7 still open (against `ami-0123456789abcdef0`).** A new Auto Scaling group comes up beside the old one, the fleet is verified ' +
        'through the load balancer, and a failed verification fails back to the current AMI on its own.',
    });
    expect(firstScreen).toContain('| Severity gate | ✅ no finding at or above CRITICAL: gate passed |');
    expect(firstScreen).toContain('| CVE delta | fixes 4, ⚠️ introduces 1, 7 still open (against `ami-0123456789abcdef0`) |');
    // The delta's detail comes first among the sections, before the counts by severity.
    expect(body.indexOf('### CVE delta against the running AMI\n\n**CVE delta ami-0123456789abcdef0')).toBeGreaterThan(0);
    expect(body.indexOf('### CVE delta')).toBeLessThan(body.indexOf('### CRITICAL and HIGH findings'));
  });

  it('shows the AMI IDs of a missing delta and of an unscanned image as code spans, and keeps them plain in the commit message', () => {
    const reason = `the previous image of ${base.previousAmiId} was not scanned`;
    const findingsJson = JSON.stringify({ counts: {}, total: 0, scanned: false, reason: `GetImage of ${base.amiId} has no scan`, delta: { previousAmiId: base.previousAmiId, reason } });
    const { body, commitMessage } = composePatchPullRequest({ ...base, findingsJson });
    expect(leadOf(body).lead).toContain(`CVE delta: none: the previous image of \`${base.previousAmiId}\` was not scanned.**`);
    expect(body).toContain(`| CVE delta | none: the previous image of \`${base.previousAmiId}\` was not scanned |`);
    expect(body).toContain(`| Findings | ⚠️ not scanned (GetImage of \`${base.amiId}\` has no scan) |`);
    expect(body).toContain(`_Image not scanned: GetImage of \`${base.amiId}\` has no scan._`);
    expect(commitMessage).toContain(`\nFindings: not scanned (GetImage of ${base.amiId} has no scan)\n`);
    expect(commitMessage).toContain(`\nCVE delta: none: ${reason}\n`);
  });

  it('writes them into the commit message without table marks', () => {
    const { commitMessage } = composePatchPullRequest(withDelta);
    expect(commitMessage).toContain('\nSeverity gate: no finding at or above CRITICAL: gate passed\n');
    expect(commitMessage).toContain('\nCVE delta: fixes 4, introduces 1, 7 still open (against ami-0123456789abcdef0)\n');
  });

  it.each([
    ['a failed gate', { threshold: 'high', passed: false, text: '2 finding(s) at or above HIGH: gate failed' }, '| Severity gate | ❌ 2 finding(s) at or above HIGH: gate failed |'],
    ['no gate', { threshold: 'none', text: 'no severity gate (fail-on-severity: none)' }, '| Severity gate | no severity gate (fail-on-severity: none) |'],
  ])('shows %s as it is', (_name, gate, row) => {
    const findingsJson = JSON.stringify({ counts: {}, total: 0, scanned: true, gate });
    expect(composePatchPullRequest({ ...base, findingsJson }).body).toContain(row);
  });

  it('says why there is no delta, and "not reported" when build-ami sent none', () => {
    const reason = 'the AMI ami-0123456789abcdef0 has no Ec2ImageBuilderArn tag, so it was not built by Image Builder (or its tags were not copied)';
    const findingsJson = JSON.stringify({ counts: {}, total: 0, scanned: true, delta: { previousAmiId: base.previousAmiId, reason } });
    expect(composePatchPullRequest({ ...base, findingsJson }).body).toContain(`| CVE delta | none: ${reason.replace(base.previousAmiId, `\`${base.previousAmiId}\``)} |`);
    const { body } = composePatchPullRequest(base);
    expect(body).toContain('| CVE delta | not reported |');
    expect(body).toContain('_build-ami reported no CVE delta._');
  });
});
