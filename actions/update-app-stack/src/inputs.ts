import { z } from 'zod';

import { amiOwnersInput } from '../../lib/action/ami-owners-input';
import { wholeNumberInput } from '../../lib/action/number-inputs';
import { MAX_MONITORING_MINUTES } from '../../lib/cloudformation/rollback-triggers';
import type { UpdateAppStackInputs } from '../../lib/cloudformation/update-app-stack';
import { SLOTS_DEFAULTS } from '../../lib/parameters';
import { resolveRegion } from '../../lib/region';
import { maxErrorRateInput } from '../../lib/verify/inputs';

/** The inputs of action.yml, in order (a contract test checks action.yml against this list). */
export const UPDATE_APP_STACK_INPUT_NAMES = [
  'stack-name',
  'parameters-file',
  'template',
  'template-bucket',
  'region',
  'mode',
  'timeout-minutes',
  'rollback-monitoring-minutes',
  'revoked-file',
  'verify-url',
  'verify-path',
  'verify-seconds',
  'max-error-rate',
  'canary-weight',
  'canary-seconds',
  'failback',
  'staged-proof',
  'staged-ami-id',
  'ami-owners',
] as const;
export const UPDATE_APP_STACK_OUTPUT_NAMES = ['changed', 'change-set-id', 'stack-status', 'previous-ami-id', 'ami-id', 'changes-markdown', 'failed-step', 'flipped-back-to', 'stage-evidence', 'stage-failed'] as const;

/**
 * 60 minutes: a replacing update takes 4–12 min (green launch, signals, old group drained) plus the rollback-monitoring window, and a busy stack may need
 * waiting for first. 360 is GitHub's limit for a job on hosted runners.
 */
export const DEFAULT_TIMEOUT_MINUTES = 60;
export const MAX_TIMEOUT_MINUTES = 360;
/** Five minutes of alarm watching after the update: a short bake that catches a green fleet failing under traffic. */
export const DEFAULT_MONITORING_MINUTES = 5;

// CloudFormation's stack-name rule: a letter, then letters, digits and hyphens, at most 128.
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

const minutes = (fallback: number, min: number, max: number, why: string) => wholeNumberInput('minutes', fallback, { min, max, maxWhy: why });

/** Raw action inputs → typed values; every rule here runs before any AWS call. */
export const updateAppStackInputSchema = z
  .object({
    'stack-name': z.string({ message: 'is required' }).regex(STACK_NAME, 'must be a CloudFormation stack name (a letter, then letters, digits and hyphens; at most 128)'),
    'parameters-file': z.string({ message: 'is required (e.g. parameters/dev.json)' }),
    template: z.string().optional(),
    // S3 bucket names: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.
    'template-bucket': z
      .string()
      .regex(/^$|^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (lowercase letters, digits, dots and hyphens), or empty for none')
      .optional(),
    region: z.string().optional(),
    mode: z.enum(['deploy', 'preview'], { message: 'must be deploy (create and execute a change set) or preview (create, show, delete)' }).default('deploy'),
    'timeout-minutes': minutes(DEFAULT_TIMEOUT_MINUTES, 1, MAX_TIMEOUT_MINUTES, "GitHub's job limit"),
    'rollback-monitoring-minutes': minutes(DEFAULT_MONITORING_MINUTES, 0, MAX_MONITORING_MINUTES, "CloudFormation's limit for MonitoringTimeInMinutes"),
    'revoked-file': z.string().default('parameters/revoked.json'),
    // The slots steps (a template that declares LiveSlot, mode deploy); ignored otherwise.
    'verify-url': z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL (default: the stack output LoadBalancerUrl)' }).optional(),
    'verify-path': z.string().regex(/^\/[^\s?#]*$/, 'must be a URL path starting with "/", e.g. /details.json').default('/details.json'),
    'verify-seconds': wholeNumberInput('seconds', 60, { min: 0, max: 3600 }),
    // verify-alb's own input (the slots steps pass it on): the same grammar, bounds and messages.
    'max-error-rate': maxErrorRateInput,
    'canary-weight': wholeNumberInput('percent', SLOTS_DEFAULTS.canaryWeight, { min: 0, max: 50 }),
    'canary-seconds': wholeNumberInput('seconds', SLOTS_DEFAULTS.canarySeconds, { min: 0, max: 3600 }),
    failback: z.enum(['true', 'false'], { message: 'must be true or false' }).default('false'),
    // gitops resolve-environment's staged-proof: the stage deploy's proof of the slot a switch makes live.
    'staged-proof': z
      .string()
      .default('')
      .transform((text, ctx) => {
        if (text === '') return undefined;
        const parsed = stagedProofSchema.safeParse((() => { try { return JSON.parse(text); } catch { return undefined; } })());
        if (!parsed.success) {
          ctx.addIssue({ code: 'custom', message: 'must be empty or gitops resolve-environment\'s staged-proof: {"amiId": "ami-…", "provenAt": "<ISO 8601 time>"}' });
          return z.NEVER;
        }
        return { amiId: parsed.data.amiId, provenAt: new Date(parsed.data.provenAt) };
      }),
    // gitops check-switch's staged-ami-id: the AMI git says is staged and not switched to yet.
    'staged-ami-id': z
      .string()
      .regex(/^$|^ami-[0-9a-f]{8,17}$/, 'must be empty or an AMI ID (gitops check-switch\'s staged-ami-id)')
      .default('')
      .transform((v) => v || undefined),
    'ami-owners': amiOwnersInput,
  })
  .superRefine((v, ctx) => {
    if (v.mode === 'deploy' && v['timeout-minutes'] <= v['rollback-monitoring-minutes']) {
      ctx.addIssue({
        code: 'custom',
        path: ['timeout-minutes'],
        message: `must be larger than rollback-monitoring-minutes (${v['rollback-monitoring-minutes']}): the update is not finished until its monitoring window ends`,
      });
    }
  });

const stagedProofSchema = z.object({ amiId: z.string().regex(/^ami-[0-9a-f]{8,17}$/), provenAt: z.iso.datetime() });

export type UpdateAppStackRawInputs = z.infer<typeof updateAppStackInputSchema>;

/** The logic's inputs, with the run identity from the runner's environment. */
export function toUpdateAppStackInputs(raw: UpdateAppStackRawInputs, env: NodeJS.ProcessEnv): UpdateAppStackInputs {
  return {
    region: resolveRegion(raw.region, env),
    stackName: raw['stack-name'],
    parametersFile: raw['parameters-file'],
    templateFile: raw.template,
    templateBucket: raw['template-bucket'] || undefined,
    mode: raw.mode,
    timeoutMinutes: raw['timeout-minutes'],
    rollbackMonitoringMinutes: raw['rollback-monitoring-minutes'],
    revocationsFile: raw['revoked-file'],
    slots: {
      verifyUrl: raw['verify-url'],
      verifyPath: raw['verify-path'],
      proveSeconds: raw['verify-seconds'],
      maxErrorRate: raw['max-error-rate'],
      settings: { canaryWeight: raw['canary-weight'], canarySeconds: raw['canary-seconds'], bakeSeconds: SLOTS_DEFAULTS.bakeSeconds },
      failback: raw.failback === 'true',
      stagedProof: raw['staged-proof'],
      restage: raw['staged-ami-id'],
    },
    amiOwners: raw['ami-owners'],
    run: { id: env.GITHUB_RUN_ID, attempt: env.GITHUB_RUN_ATTEMPT, commit: env.GITHUB_SHA },
  };
}
