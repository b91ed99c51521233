import type { RollbackConfiguration } from '@aws-sdk/client-cloudformation';

/**
 * The app stack's outputs that name its CloudWatch alarms (templates/app.yaml). While an update
 * runs and for the monitoring window after it, an alarm going to ALARM makes CloudFormation roll
 * the whole update back, old Auto Scaling group included: the bake time of the blue/green deploy.
 */
export const ROLLBACK_ALARM_OUTPUTS = ['Http5xxAlarmArn', 'UnhealthyHostsAlarmArn'] as const;

/**
 * The alarm outputs a stack has: the replace template's two, or on a slots stack
 * (templates/app-slots.yaml) each slot's, `Blue…` and `Green…`. The soak evidence reads them all:
 * a quiet soak is quiet in both slots.
 */
export function alarmOutputsOf(outputs: ReadonlyMap<string | undefined, string | undefined>): string[] {
  const slotted = (['Blue', 'Green'] as const).flatMap(slotAlarmOutputs);
  return slotted.some((key) => outputs.has(key)) ? slotted : [...ROLLBACK_ALARM_OUTPUTS];
}

/** One slot's alarm outputs on a slots stack (templates/app-slots.yaml): `BlueHttp5xxAlarmArn`, … */
export function slotAlarmOutputs(prefix: 'Blue' | 'Green'): string[] {
  return ROLLBACK_ALARM_OUTPUTS.map((key) => `${prefix}${key}`);
}

/** CloudFormation accepts a monitoring window of 0 to 180 minutes. */
export const MAX_MONITORING_MINUTES = 180;

export interface RollbackPlan {
  configuration: RollbackConfiguration;
  alarmArns: string[];
  /** Alarm outputs the stack does not have (a stack made from an older template, or one whose outputs Ref the alarms on moto, which skips AWS::CloudWatch::Alarm). */
  missingOutputs: string[];
}

/**
 * Builds the RollbackConfiguration for CreateChangeSet. It belongs to the change set (and
 * UpdateStack), not to ExecuteChangeSet, which has no such field. It is always sent, even empty:
 * an update without it silently reuses the stack's previous triggers, which may name alarms that
 * no longer exist. With no alarms, the monitoring window is 0 (waiting for nothing only delays
 * the cleanup of the old group) unless `holdWindow`: the replace strategy verifies green inside
 * the window, and CloudFormation waits out a window without triggers too.
 */
export function planRollbackTriggers(
  outputs: Readonly<Record<string, string>>,
  monitoringMinutes: number,
  /** Which outputs name this update's alarms: the replace template's by default; a slots step names one slot's, or none. */
  alarmOutputs: readonly string[] = ROLLBACK_ALARM_OUTPUTS,
  options: { holdWindow?: boolean } = {},
): RollbackPlan {
  const alarmArns = alarmOutputs.map((key) => outputs[key]).filter((arn): arn is string => Boolean(arn));
  const missingOutputs = alarmOutputs.filter((key) => !outputs[key]);
  return {
    alarmArns,
    missingOutputs,
    configuration: {
      RollbackTriggers: alarmArns.map((Arn) => ({ Arn, Type: 'AWS::CloudWatch::Alarm' })),
      MonitoringTimeInMinutes: alarmArns.length > 0 || options.holdWindow ? monitoringMinutes : 0,
    },
  };
}
