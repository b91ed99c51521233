import { planRollbackTriggers } from '../../../../actions/lib/cloudformation/rollback-triggers';
import { HTTP5XX_ALARM, UNHEALTHY_ALARM } from './fixtures';

describe('planRollbackTriggers', () => {
  it('turns both alarm outputs into triggers with the monitoring window', () => {
    const plan = planRollbackTriggers({ Http5xxAlarmArn: HTTP5XX_ALARM, UnhealthyHostsAlarmArn: UNHEALTHY_ALARM, LoadBalancerUrl: 'http://x' }, 5);
    expect(plan.configuration).toEqual({
      RollbackTriggers: [
        { Arn: HTTP5XX_ALARM, Type: 'AWS::CloudWatch::Alarm' },
        { Arn: UNHEALTHY_ALARM, Type: 'AWS::CloudWatch::Alarm' },
      ],
      MonitoringTimeInMinutes: 5,
    });
    expect(plan.missingOutputs).toEqual([]);
  });

  it.each([
    [{ Http5xxAlarmArn: HTTP5XX_ALARM }, [HTTP5XX_ALARM], ['UnhealthyHostsAlarmArn'], 10],
    [{}, [], ['Http5xxAlarmArn', 'UnhealthyHostsAlarmArn'], 0],
  ])('skips absent outputs (%j), and sends an explicit empty configuration without alarms', (outputs, arns, missing, minutes) => {
    const plan = planRollbackTriggers(outputs, 10);
    expect(plan.alarmArns).toEqual(arns);
    expect(plan.missingOutputs).toEqual(missing);
    expect(plan.configuration.MonitoringTimeInMinutes).toBe(minutes);
    expect(plan.configuration.RollbackTriggers).toHaveLength(arns.length);
  });
});
