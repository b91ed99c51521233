/**
 * Reads the cutover settings out of an app template (templates/app.yaml, or one slot of
 * templates/app-slots.yaml: {@link slotFleet}): the target group's
 * health check and deregistration delay, the ASG's health-check type and grace period, and the
 * CreationPolicy signal timeout, and the bootstrap's wait before cfn-signal. A value may be a
 * literal, a `!FindInMap` with literal keys, or a `!Ref Parameter`, read from that parameter's
 * Default (what a deploy uses unless parameters/<env>.json overrides it); a value the template does
 * not set is AWS's default, and the table says which is which.
 */
import { readFileSync } from 'node:fs';

import { parseCfnTemplate } from '../../actions/lib/cfn-yaml';
import { InputError } from '../../actions/lib/errors';
import { AWS_DEFAULT_SETTINGS, type CutoverSettings } from './cutover';

/** Where a setting's value came from, for the table. */
export type SettingSource = 'template' | `parameter ${string}` | 'AWS default' | 'not in the template';

export interface TemplateCutoverSettings {
  settings: CutoverSettings;
  sources: Record<keyof CutoverSettings, SettingSource>;
}

interface Resource {
  Type?: string;
  Properties?: Record<string, unknown>;
  CreationPolicy?: { ResourceSignal?: { Timeout?: unknown } };
}

interface Template {
  Parameters?: Record<string, { Default?: unknown }>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Resources?: Record<string, Resource>;
}

/** ISO 8601 durations as CloudFormation accepts them for signal timeouts: PT#H#M#S. */
export function parseIsoDurationSeconds(text: string): number | undefined {
  const match = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(text.trim());
  if (!match || text.trim() === 'PT') return undefined;
  const [, h = '0', m = '0', s = '0'] = match;
  return Number(h) * 3600 + Number(m) * 60 + Number(s);
}

/** The resource with this logical ID (the contract's), else the only resource of this type. */
function findResource(template: Template, logicalId: string, type: string, file: string): Resource {
  const resources = template.Resources ?? {};
  if (resources[logicalId]?.Type === type) return resources[logicalId];
  const ofType = Object.values(resources).filter((r) => r.Type === type);
  if (ofType.length === 1) return ofType[0];
  throw new InputError(
    `Cutover model for ${file}: no ${type} named ${logicalId} (found ${ofType.length} of that type). Keep the logical ID ${logicalId} from DESIGN.md's app stack contract.`,
    { file },
  );
}

/**
 * The `!Sub` variable in the launch template's UserData that holds the bootstrap's wait between its
 * local check and cfn-signal (templates/app.yaml, Mappings.Cutover.Instance). Absent means 0.
 */
const SIGNAL_DELAY_KEY = 'AlbSettleSeconds';

/** The first value stored under `key` anywhere inside `node` (depth first). */
function findKey(node: unknown, key: string): unknown {
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = findKey(item, key);
      if (found !== undefined) return found;
    }
  } else if (typeof node === 'object' && node !== null) {
    for (const [k, v] of Object.entries(node)) {
      if (k === key) return v;
      const found = findKey(v, key);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The logical IDs of the fleet whose settings bound the cutover: app.yaml's, or one slot's of app-slots.yaml. */
export interface FleetResources {
  targetGroup: string;
  autoScalingGroup: string;
  launchTemplate: string;
}

export const REPLACE_FLEET: FleetResources = { targetGroup: 'AppTargetGroup', autoScalingGroup: 'AppAutoScalingGroup', launchTemplate: 'AppLaunchTemplate' };
export const slotFleet = (slot: 'Blue' | 'Green'): FleetResources => ({
  targetGroup: `${slot}TargetGroup`,
  autoScalingGroup: `${slot}AutoScalingGroup`,
  launchTemplate: `${slot}LaunchTemplate`,
});

export function readCutoverSettings(templateText: string, file: string, fleet: FleetResources = REPLACE_FLEET): TemplateCutoverSettings {
  const template = parseCfnTemplate(templateText, file) as Template;
  const targetGroup = findResource(template, fleet.targetGroup, 'AWS::ElasticLoadBalancingV2::TargetGroup', file);
  const group = findResource(template, fleet.autoScalingGroup, 'AWS::AutoScaling::AutoScalingGroup', file);
  const tg = targetGroup.Properties ?? {};
  const asg = group.Properties ?? {};
  const attributes = Array.isArray(tg.TargetGroupAttributes) ? (tg.TargetGroupAttributes as Array<{ Key?: unknown; Value?: unknown }>) : [];
  const deregistration = attributes.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value;

  const settings = { ...AWS_DEFAULT_SETTINGS };
  const sources = Object.fromEntries(Object.keys(settings).map((k) => [k, 'AWS default'])) as TemplateCutoverSettings['sources'];

  /** Resolves a literal or a `!Ref` to a parameter default; `undefined` leaves AWS's default. */
  const resolve = (raw: unknown): { value: unknown; source: SettingSource } | undefined => {
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw === 'object' && raw !== null && 'Ref' in raw) {
      const name = String((raw as { Ref: unknown }).Ref);
      const fallback = template.Parameters?.[name]?.Default;
      if (fallback === undefined) {
        throw new InputError(`Cutover model for ${file}: ${name} has no Default, so the template alone does not decide it. Give ${name} a Default.`, { file });
      }
      return { value: fallback, source: `parameter ${name}` };
    }
    const findInMap = typeof raw === 'object' && raw !== null ? (raw as { 'Fn::FindInMap'?: unknown })['Fn::FindInMap'] : undefined;
    if (Array.isArray(findInMap) && findInMap.length === 3 && findInMap.every((k) => typeof k === 'string')) {
      const [map, top, second] = findInMap as string[];
      const value = template.Mappings?.[map]?.[top]?.[second];
      if (value === undefined) {
        throw new InputError(`Cutover model for ${file}: !FindInMap [${map}, ${top}, ${second}] names no value. Add it to Mappings.${map}.`, { file });
      }
      return { value, source: 'template' };
    }
    if (typeof raw === 'object') {
      throw new InputError(`Cutover model for ${file}: ${JSON.stringify(raw)} is not a literal, a !FindInMap with literal keys or a !Ref, so it cannot be modeled. Use one of those.`, { file });
    }
    return { value: raw, source: 'template' };
  };

  const setNumber = (key: keyof CutoverSettings, raw: unknown, parse: (v: string) => number | undefined = (v) => (v.trim() === '' ? undefined : Number(v))) => {
    const found = resolve(raw);
    if (!found) return;
    const value = parse(String(found.value));
    if (value === undefined || !Number.isFinite(value)) {
      throw new InputError(`Cutover model for ${file}: ${key} = ${JSON.stringify(found.value)} is not a duration or a number. Fix it in the template.`, { file });
    }
    (settings as Record<string, unknown>)[key] = value;
    sources[key] = found.source;
  };

  setNumber('healthCheckIntervalSeconds', tg.HealthCheckIntervalSeconds);
  setNumber('healthCheckTimeoutSeconds', tg.HealthCheckTimeoutSeconds);
  setNumber('healthyThresholdCount', tg.HealthyThresholdCount);
  setNumber('unhealthyThresholdCount', tg.UnhealthyThresholdCount);
  setNumber('deregistrationDelaySeconds', deregistration);
  setNumber('healthCheckGracePeriodSeconds', asg.HealthCheckGracePeriod);
  setNumber('signalTimeoutSeconds', group.CreationPolicy?.ResourceSignal?.Timeout, parseIsoDurationSeconds);
  setNumber('signalDelaySeconds', findKey(findResource(template, fleet.launchTemplate, 'AWS::EC2::LaunchTemplate', file), SIGNAL_DELAY_KEY));
  if (sources.signalDelaySeconds === 'AWS default') sources.signalDelaySeconds = 'not in the template';
  const type = resolve(asg.HealthCheckType);
  if (type) {
    settings.healthCheckType = String(type.value);
    sources.healthCheckType = type.source;
  }
  return { settings, sources };
}

/** Reads and models the template file; see `readCutoverSettings`. */
export function readCutoverSettingsFile(path: string, fleet: FleetResources = REPLACE_FLEET): TemplateCutoverSettings {
  return readCutoverSettings(readFileSync(path, 'utf8'), path, fleet);
}
