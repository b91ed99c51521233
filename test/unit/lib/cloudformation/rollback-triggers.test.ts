import { planRollbackTriggers, slotAlarmOutputs } from '../../../../actions/lib/cloudformation/rollback-triggers';
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

  it("takes one slot's alarms on a slots stack, or none, as a slots step names them", () => {
    const outputs = { BlueHttp5xxAlarmArn: 'arn:blue-5xx', BlueUnhealthyHostsAlarmArn: 'arn:blue-unhealthy', GreenHttp5xxAlarmArn: 'arn:green-5xx', GreenUnhealthyHostsAlarmArn: 'arn:green-unhealthy' };
    expect(slotAlarmOutputs('Green')).toEqual(['GreenHttp5xxAlarmArn', 'GreenUnhealthyHostsAlarmArn']);
    const green = planRollbackTriggers(outputs, 0, slotAlarmOutputs('Green'));
    expect(green.configuration).toEqual({ RollbackTriggers: [{ Arn: 'arn:green-5xx', Type: 'AWS::CloudWatch::Alarm' }, { Arn: 'arn:green-unhealthy', Type: 'AWS::CloudWatch::Alarm' }], MonitoringTimeInMinutes: 0 });
    expect(green.missingOutputs).toEqual([]);
    // A step that watches none sends an explicit empty list (never the previous update's triggers), and warns of nothing.
    const none = planRollbackTriggers(outputs, 0, []);
    expect(none.configuration).toEqual({ RollbackTriggers: [], MonitoringTimeInMinutes: 0 });
    expect(none.missingOutputs).toEqual([]);
  });
});
