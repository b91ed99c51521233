import { actionInputDefaults, inputEnvName, parseAnnotations, parseCommandFile, runBundledAction } from '../../../local/run-action';

describe('inputEnvName (the runner\'s INPUT_ naming)', () => {
  it.each([
    ['pipeline-arn', 'INPUT_PIPELINE-ARN'],
    ['stack-name', 'INPUT_STACK-NAME'],
    ['region', 'INPUT_REGION'],
    ['my input', 'INPUT_MY_INPUT'],
  ])('%s → %s', (name, expected) => {
    expect(inputEnvName(name)).toBe(expected);
  });
});

describe('parseCommandFile (GITHUB_OUTPUT)', () => {
  it('reads the heredoc form @actions/core writes, including multiline and empty values', () => {
    const delimiter = 'ghadelimiter_2f9a0e3c-7a3b-4a8e-9a57-0f3f5d2d4c11';
    const content = [
      `ami-id<<${delimiter}`,
      'ami-0123456789abcdef0',
      delimiter,
      `package-diff-markdown<<${delimiter}`,
      '| Package | Old | New |',
      '|---|---|---|',
      '| bash | 5.2.15-1 | 5.2.15-2 |',
      delimiter,
      `empty<<${delimiter}`,
      delimiter,
      '',
    ].join('\n');
    expect(parseCommandFile(content)).toEqual({
      'ami-id': 'ami-0123456789abcdef0',
      'package-diff-markdown': '| Package | Old | New |\n|---|---|---|\n| bash | 5.2.15-1 | 5.2.15-2 |',
      empty: '',
    });
  });

  it('reads name=value lines (shell steps) and keeps "=" inside values', () => {
    expect(parseCommandFile('changed=true\nquery=a=b\n')).toEqual({ changed: 'true', query: 'a=b' });
  });

  it('lets a later value of the same name win, as the runner does', () => {
    expect(parseCommandFile('healthy=false\nhealthy=true\n')).toEqual({ healthy: 'true' });
  });

  it('handles CRLF line endings', () => {
    expect(parseCommandFile('a<<EOF\r\nx\r\ny\r\nEOF\r\nb=1\r\n')).toEqual({ a: 'x\ny', b: '1' });
  });

  it.each([
    ['an unterminated heredoc', 'a<<EOF\nvalue\n', /never closed/],
    ['a line with neither form', 'just text\n', /neither name=value/],
  ])('rejects %s', (_label, content, message) => {
    expect(() => parseCommandFile(content)).toThrow(message);
  });
});

describe('parseAnnotations (workflow commands in stdout)', () => {
  it('decodes level, properties and escaped message', () => {
    const stdout = [
      'plain log line',
      '::error file=parameters/dev.json,line=3::Parameters file invalid%0Akey "AmazonMachineImage"%3A bad',
      '::warning::No package diff%2C previous AMI not built by Image Builder',
      '::notice::No changes',
      '::debug::not an annotation',
    ].join('\n');
    expect(parseAnnotations(stdout)).toEqual([
      { level: 'error', message: 'Parameters file invalid\nkey "AmazonMachineImage": bad', properties: { file: 'parameters/dev.json', line: '3' } },
      { level: 'warning', message: 'No package diff, previous AMI not built by Image Builder', properties: {} },
      { level: 'notice', message: 'No changes', properties: {} },
    ]);
  });
});

describe('actionInputDefaults (what the runner fills in from action.yml)', () => {
  const actionYml = [
    'name: x',
    'inputs:',
    '  timeout-minutes:',
    '    description: t',
    "    default: '90'",
    '  watch-seconds:',
    '    default: 60',
    '  github-token:',
    '    default: ${{ github.token }}',
    '  stack-name:',
    '    required: true',
    'runs:',
    '  using: node24',
    '  main: dist/index.js',
  ].join('\n');

  it('takes every default as a string, github.token from GITHUB_TOKEN, and leaves inputs without one unset', () => {
    expect(actionInputDefaults(actionYml, { GITHUB_TOKEN: 'ghs_local' })).toEqual({ 'timeout-minutes': '90', 'watch-seconds': '60', 'github-token': 'ghs_local' });
    expect(actionInputDefaults(actionYml, {})['github-token']).toBe('');
  });

  it('refuses an expression it cannot evaluate instead of passing it through literally', () => {
    expect(() => actionInputDefaults('inputs:\n  ref:\n    default: ${{ github.ref }}\n', {})).toThrow(/cannot evaluate/);
  });
});

describe('runBundledAction refuses inputs its action.yml does not declare', () => {
  it('names the input and the action, before anything runs', async () => {
    // verify-alb declares expected-ami-id; "expected-ami" is a near miss a runner would only warn about.
    await expect(runBundledAction('verify-alb', { 'stack-name': 'app', 'expected-ami': 'ami-0123456789abcdef0' })).rejects.toThrow(
      /^runBundledAction\('verify-alb'\) passes the input "expected-ami", which actions\/verify-alb\/action\.yml does not declare \(it declares: stack-name, target-group-arn, expected-ami-id, .*\)\. Use the action's input names\.$/,
    );
  });
});
