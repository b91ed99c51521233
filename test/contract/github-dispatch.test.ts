/**
 * The event path's contract with the patch workflow: the body EventBridge sends to GitHub (the
 * rule's input transformer in templates/github-dispatch.yaml, applied to an Image Builder "Image
 * State Change" event of the shape AWS documents) is a repository_dispatch that patch-pr.yml
 * accepts, with exactly the client_payload keys the workflow reads, valid for the gitops commands
 * that validate them. The rule matches AVAILABLE images of this pipeline's recipe and nothing else.
 *
 * moto can deploy none of this (its CloudFormation has no AWS::Events::Connection or
 * ApiDestination) and does not evaluate patterns or transformers, so the event pattern and the
 * transformer are evaluated here, by a small evaluator of the two features the template uses:
 * exact-value lists and `prefix`; `$.path` input paths and `<name>` placeholders.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';

import { parseCfnTemplate } from '../../actions/lib/cfn-yaml';
import { resolveEnvironment, resolvePipeline } from '../../actions/lib/gitops/commands/environment';

const ROOT = join(__dirname, '..', '..');
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const RECIPE = 'patch-dev-image-pipeline-web';

interface Target {
  Arn: unknown;
  InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: { 'Fn::Sub': string } };
}
interface Rule {
  Properties: { EventPattern: Record<string, unknown>; Targets: Target[] };
}

const template = parseCfnTemplate(readFileSync(join(ROOT, 'templates/github-dispatch.yaml'), 'utf8'), 'github-dispatch.yaml') as {
  Resources: Record<string, { Type: string } & Partial<Rule>>;
};
const rule = template.Resources.ImageAvailableRule as { Type: string } & Rule;

/** Fn::Sub with the stack's parameters and pseudo parameters. */
function sub(value: unknown, parameters: Record<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => sub(v, parameters));
  if (value && typeof value === 'object') {
    const fn = (value as { 'Fn::Sub'?: string })['Fn::Sub'];
    if (typeof fn === 'string') return fn.replace(/\$\{([^}]+)\}/g, (_m, name: string) => parameters[name] ?? `\${${name}}`);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sub(v, parameters)]));
  }
  return value;
}

const parameters = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, ImageRecipeName: RECIPE, PatchEnvironment: 'dev', GitHubRepository: 'acme/fleet' };
const pattern = sub(rule.Properties.EventPattern, parameters) as Record<string, unknown>;
const transformer = rule.Properties.Targets[0].InputTransformer;

/** EventBridge matching for the features the template uses: lists of exact values and `prefix`. */
function matches(patternNode: unknown, event: unknown): boolean {
  if (Array.isArray(patternNode)) {
    const values = Array.isArray(event) ? event : [event];
    return patternNode.some((p) => values.some((v) => (p && typeof p === 'object' && 'prefix' in p ? typeof v === 'string' && v.startsWith((p as { prefix: string }).prefix) : v === p)));
  }
  if (patternNode && typeof patternNode === 'object') {
    return Object.entries(patternNode).every(([key, child]) => event !== null && typeof event === 'object' && key in event && matches(child, (event as Record<string, unknown>)[key]));
  }
  throw new Error(`unsupported pattern node ${JSON.stringify(patternNode)}`);
}

/** An input path of the form $.a.b[0] against the event. */
function readPath(event: unknown, path: string): unknown {
  const steps = path.replace(/^\$\.?/, '').split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== '');
  return steps.reduce<unknown>((node, step) => (node as Record<string, unknown> | undefined)?.[/^\d+$/.test(step) ? Number(step) : step], event);
}

/** What the API destination POSTs: the template with each <name> replaced (inside quotes: as a string). */
function transform(event: unknown): unknown {
  const values = Object.fromEntries(Object.entries(transformer.InputPathsMap).map(([name, path]) => [name, readPath(event, path)]));
  const text = String(sub(transformer.InputTemplate, parameters)).replace(/<([A-Za-z0-9_]+)>/g, (_m, name: string) => String(values[name]));
  return JSON.parse(text);
}

/** "EC2 Image Builder Image State Change", as the EventBridge reference documents it. */
function imageEvent(status: string, recipe = RECIPE): Record<string, unknown> {
  return {
    version: '0',
    id: '8a7e2c4f-7d0c-6b1e-9b7a-1f0e3c4d5e6f',
    'detail-type': 'EC2 Image Builder Image State Change',
    source: 'aws.imagebuilder',
    account: ACCOUNT,
    time: '2026-12-01T05:40:00Z',
    region: REGION,
    resources: [`arn:aws:imagebuilder:${REGION}:${ACCOUNT}:image/${recipe}/1.0.0/7`],
    detail: { 'previous-state': { status: 'DISTRIBUTING' }, state: { status } },
  };
}

describe('the event path (templates/github-dispatch.yaml) against patch-pr.yml', () => {
  const workflowText = readFileSync(join(ROOT, '.github/workflows/patch-pr.yml'), 'utf8');
  const workflow = parse(workflowText) as { on: { repository_dispatch: { types: string[] } } };

  it('sends AVAILABLE images of this pipeline, and no failed build or other pipeline', () => {
    expect(rule.Type).toBe('AWS::Events::Rule');
    expect(rule.Properties.Targets).toHaveLength(1);
    expect(rule.Properties.Targets[0].Arn).toEqual({ 'Fn::GetAtt': ['DispatchDestination', 'Arn'] });
    expect(matches(pattern, imageEvent('AVAILABLE'))).toBe(true);
    expect(matches(pattern, imageEvent('FAILED'))).toBe(false);
    expect(matches(pattern, imageEvent('AVAILABLE', 'patch-prod-image-pipeline-web'))).toBe(false);
    // A recipe whose name merely starts the same is another pipeline: the prefix ends at "/".
    expect(matches(pattern, imageEvent('AVAILABLE', `${RECIPE}-2`))).toBe(false);
  });

  it('posts a repository_dispatch patch-pr.yml listens to, with exactly the payload keys it reads', () => {
    const body = transform(imageEvent('AVAILABLE')) as { event_type: string; client_payload: Record<string, string> };
    expect(workflow.on.repository_dispatch.types).toContain(body.event_type);
    const keysRead = new Set([...workflowText.matchAll(/github\.event\.client_payload\.([A-Za-z0-9_-]+)/g)].map((m) => m[1]));
    expect(new Set(Object.keys(body.client_payload))).toEqual(keysRead);
    expect(body.client_payload['image-arn']).toBe(`arn:aws:imagebuilder:${REGION}:${ACCOUNT}:image/${RECIPE}/1.0.0/7`);
  });

  it('passes the validation the workflow applies to the payload (the gitops commands\' input schemas)', () => {
    const { client_payload: payload } = transform(imageEvent('AVAILABLE')) as { client_payload: Record<string, string> };
    expect(resolveEnvironment.inputs.safeParse({ environment: payload.environment }).success).toBe(true);
    expect(resolvePipeline.inputs.safeParse({ environment: payload.environment, 'image-arn': payload['image-arn'] }).success).toBe(true);
    // The evaluator can fail: a payload built from the wrong path is refused by the same schema.
    const wrong = { ...imageEvent('AVAILABLE'), resources: ['not-an-arn'] };
    expect(resolvePipeline.inputs.safeParse({ 'image-arn': (transform(wrong) as { client_payload: Record<string, string> }).client_payload['image-arn'] }).success).toBe(false);
  });

  it('posts to this repository\'s dispatches endpoint only, through the connection holding the token', () => {
    const destination = template.Resources.DispatchDestination as unknown as { Properties: Record<string, unknown> };
    expect(sub(destination.Properties.InvocationEndpoint, parameters)).toBe('https://api.github.com/repos/acme/fleet/dispatches');
    expect(destination.Properties.HttpMethod).toBe('POST');
    const connection = template.Resources.GitHubConnection as unknown as { Properties: { AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: string; ApiKeyValue: unknown } } } };
    expect(connection.Properties.AuthParameters.ApiKeyAuthParameters.ApiKeyName).toBe('Authorization');
    expect(String(sub(connection.Properties.AuthParameters.ApiKeyAuthParameters.ApiKeyValue, { GitHubTokenSecretArn: 'arn:s', GitHubTokenVersion: 'v1' }))).toBe(
      'Bearer {{resolve:secretsmanager:arn:s:SecretString:::v1}}',
    );
  });
});
