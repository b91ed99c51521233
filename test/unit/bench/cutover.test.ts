import { InputError } from '../../../actions/lib/errors';
import { AWS_DEFAULT_SETTINGS, DEFAULT_ASSUMPTIONS, modelCutover, type CutoverSettings } from '../../../local/bench/cutover';
import { parseIsoDurationSeconds, readCutoverSettings, readCutoverSettingsFile } from '../../../local/bench/template-settings';

const tuned: CutoverSettings = {
  ...AWS_DEFAULT_SETTINGS,
  healthCheckIntervalSeconds: 10,
  healthyThresholdCount: 2,
  deregistrationDelaySeconds: 30,
  healthCheckType: 'ELB',
  healthCheckGracePeriodSeconds: 300,
  signalDelaySeconds: 25,
};

describe('modelCutover', () => {
  it('with AWS defaults: green went unhealthy while booting, needs 5 × 30 s, and blue leaves 85 s before it is healthy', () => {
    const t = modelCutover({ ...AWS_DEFAULT_SETTINGS, signalDelaySeconds: 25 });
    // registered 20 + 45 = 65; app ready 65 + 90 = 155; checks at 95, 125 fail (2 = unhealthy threshold).
    expect(t).toMatchObject({ registered: 65, appReady: 155, signalled: 180, failedChecks: 2, wentUnhealthy: true });
    expect(t.greenHealthy).toBe(155 + 4 * 30);
    expect(t.blueLeaves).toBe(190);
    expect(t.gap).toBe(85);
    expect(t.complete).toBe(190 + 300 + 60);
    expect(t.noticedByPoll - t.complete).toBe(DEFAULT_ASSUMPTIONS.pollLagSeconds);
    expect(t.badAmiRolledBack).toBe(20 + 300 + 60);
  });

  it('with a short interval, threshold 2 and a settle wait ≥ threshold × interval, green is healthy before blue leaves', () => {
    const t = modelCutover(tuned);
    expect(t.greenHealthy).toBe(165);
    expect(t.gap).toBe(0);
    expect(t.complete).toBe(180 + 10 + 30 + 60);
  });

  it('needs one passing check when the app is up before the target could go unhealthy', () => {
    const t = modelCutover({ ...AWS_DEFAULT_SETTINGS, healthCheckIntervalSeconds: 60 }, { ...DEFAULT_ASSUMPTIONS, bootSeconds: 50 });
    expect(t.failedChecks).toBe(0);
    expect(t.wentUnhealthy).toBe(false);
    expect(t.greenHealthy).toBe(65 + 60);
  });

  it.each([
    ['deregistration delay', { deregistrationDelaySeconds: 600 }, 'complete', 570],
    ['bootstrap wait', { signalDelaySeconds: 125 }, 'complete', 100],
    ['signal timeout', { signalTimeoutSeconds: 900 }, 'badAmiRolledBack', 600],
  ] as const)('moves the timeline by exactly the change in %s', (_name, change, field, delta) => {
    const base = modelCutover(tuned);
    expect(modelCutover({ ...tuned, ...change })[field] - base[field]).toBe(delta);
  });

  it('keeps blue for the rollback-trigger window, which moves completion by exactly that and covers a slow green', () => {
    const defaults = { ...AWS_DEFAULT_SETTINGS, signalDelaySeconds: 25 };
    const without = modelCutover(defaults);
    const within = modelCutover(defaults, { ...DEFAULT_ASSUMPTIONS, monitoringMinutes: 5 });
    expect(within.blueLeaves - without.blueLeaves).toBe(300);
    expect(within.complete - without.complete).toBe(300);
    expect(without.gap).toBeGreaterThan(0);
    expect(within.gap).toBe(0);
    expect(within.badAmiRolledBack).toBe(without.badAmiRolledBack);
  });

  it('flags an ELB-checked ASG whose grace period ends before a booting instance turns healthy', () => {
    expect(modelCutover({ ...tuned, healthCheckGracePeriodSeconds: 30 }).asgReplacesBootingInstances).toBe(true);
    expect(modelCutover({ ...tuned, healthCheckGracePeriodSeconds: 300 }).asgReplacesBootingInstances).toBe(false);
    // EC2 health checks ignore the target group.
    expect(modelCutover({ ...tuned, healthCheckType: 'EC2', healthCheckGracePeriodSeconds: 0 }).asgReplacesBootingInstances).toBe(false);
  });
});

const template = (tg: string, asg: string, extra = '') => `
Parameters:
  SignalTimeout: { Type: String, Default: PT15M }
  Interval: { Type: Number, Default: 15 }
Mappings:
  Cutover:
    TargetGroup: { Dereg: 45, Healthy: 3 }
    Instance: { Settle: 40 }
Resources:
  AppTargetGroup:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
${tg}
  AppLaunchTemplate:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        UserData:
          Fn::Base64: !Sub
            - 'sleep \${AlbSettleSeconds}'
            - AlbSettleSeconds: !FindInMap [Cutover, Instance, Settle]
  AppAutoScalingGroup:
    Type: AWS::AutoScaling::AutoScalingGroup
    CreationPolicy:
      ResourceSignal:
        Timeout: !Ref SignalTimeout
    Properties:
${asg}
${extra}`;

describe('readCutoverSettings', () => {
  it('reads literals, !FindInMap and !Ref parameter defaults, and says where each value came from', () => {
    const { settings, sources } = readCutoverSettings(
      template(
        `      HealthCheckIntervalSeconds: !Ref Interval
      HealthyThresholdCount: !FindInMap [Cutover, TargetGroup, Healthy]
      TargetGroupAttributes:
        - { Key: stickiness.enabled, Value: 'false' }
        - { Key: deregistration_delay.timeout_seconds, Value: !FindInMap [Cutover, TargetGroup, Dereg] }`,
        `      HealthCheckType: ELB
      HealthCheckGracePeriod: 120`,
      ),
      'app.yaml',
    );
    expect(settings).toEqual({
      ...AWS_DEFAULT_SETTINGS,
      healthCheckIntervalSeconds: 15,
      healthyThresholdCount: 3,
      deregistrationDelaySeconds: 45,
      healthCheckType: 'ELB',
      healthCheckGracePeriodSeconds: 120,
      signalTimeoutSeconds: 900,
      signalDelaySeconds: 40,
    });
    expect(sources).toMatchObject({
      healthCheckIntervalSeconds: 'parameter Interval',
      healthyThresholdCount: 'template',
      unhealthyThresholdCount: 'AWS default',
      signalTimeoutSeconds: 'parameter SignalTimeout',
      signalDelaySeconds: 'template',
    });
  });

  it.each([
    ['a !FindInMap to nothing', `      HealthyThresholdCount: !FindInMap [Cutover, TargetGroup, Nope]`, /names no value\. Add it to Mappings\.Cutover/],
    ['an expression it cannot evaluate', `      HealthyThresholdCount: !If [Prod, 2, 3]`, /is not a literal, a !FindInMap with literal keys or a !Ref/],
    ['a value that is no number', `      HealthyThresholdCount: many`, /healthyThresholdCount = "many" is not a duration or a number/],
  ])('rejects %s with an InputError that says what to do', (_what, tg, message) => {
    const error = (() => {
      try {
        readCutoverSettings(template(tg, '      MinSize: 1'), 'app.yaml');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(message);
  });

  it('rejects a template without the contract’s target group', () => {
    expect(() => readCutoverSettings('Resources: {}', 'app.yaml')).toThrow(/no AWS::ElasticLoadBalancingV2::TargetGroup named AppTargetGroup/);
  });

  it.each([
    ['PT10M', 600],
    ['PT1H30M', 5400],
    ['PT45S', 45],
    ['PT2H5M7S', 7507],
    ['PT', undefined],
    ['10M', undefined],
    ['P1D', undefined],
  ])('parses the ISO 8601 duration %s', (text, seconds) => {
    expect(parseIsoDurationSeconds(text)).toBe(seconds);
  });
});

describe('templates/app.yaml, as modeled', () => {
  const { settings, sources } = readCutoverSettingsFile('templates/app.yaml');

  it('sets every cutover setting itself rather than leaving AWS defaults', () => {
    expect(Object.entries(sources).filter(([, source]) => source === 'AWS default' || source === 'not in the template')).toEqual([]);
  });

  it('with a baked AMI (boot 45–120 s), has green healthy before blue stops taking requests, and the ASG does not kill booting instances', () => {
    for (const bootSeconds of [45, 90, 120]) {
      const t = modelCutover(settings, { ...DEFAULT_ASSUMPTIONS, bootSeconds });
      expect({ bootSeconds, gap: t.gap, replaces: t.asgReplacesBootingInstances }).toEqual({ bootSeconds, gap: 0, replaces: false });
    }
  });

  it('cuts over faster than the same template with AWS defaults', () => {
    const defaults = modelCutover({ ...AWS_DEFAULT_SETTINGS, signalDelaySeconds: settings.signalDelaySeconds });
    expect(modelCutover(settings).complete).toBeLessThan(defaults.complete);
  });
});
