/**
 * The project's moto patch (local/moto-patches/image_deregistration_protection.py): that the
 * server local mode starts has it, and that moto itself still lacks it. The second test fails the
 * day moto implements the operations: then the patch goes.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { CreateImageCommand, DescribeImagesCommand, DisableImageDeregistrationProtectionCommand, EnableImageDeregistrationProtectionCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';

import { REPO_ROOT } from '../../local/env';
import { localBaseAmi, localClients, useLocalAws } from './harness';

useLocalAws();

describe('moto patch: image deregistration protection', () => {
  it('is still needed: unpatched moto has no EnableImageDeregistrationProtection', () => {
    const python = join(REPO_ROOT, '.venv', 'bin', 'python3');
    const has = execFileSync(python, ['-c', "from moto.ec2.responses.amis import AmisResponse as R; print(hasattr(R, 'enable_image_deregistration_protection'))"], { encoding: 'utf8' }).trim();
    // When this fails, moto implements it: delete local/moto-patches/image_deregistration_protection.py and its import in serve.py.
    expect(has).toBe('False');
  });

  it('the local moto sets, reports and clears the flag the way EC2 does', async () => {
    const { ec2 } = localClients();
    const { Instances = [] } = await ec2.send(new RunInstancesCommand({ ImageId: await localBaseAmi(), MinCount: 1, MaxCount: 1 }));
    const { ImageId } = await ec2.send(new CreateImageCommand({ InstanceId: Instances[0].InstanceId, Name: `protection-${Date.now()}` }));
    const protection = async () => (await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images?.[0]?.DeregistrationProtection;

    expect(await protection()).toBe('disabled');
    expect((await ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId }))).Return).toBe('enabled');
    expect(await protection()).toBe('enabled');
    await ec2.send(new DisableImageDeregistrationProtectionCommand({ ImageId }));
    expect(await protection()).toBe('disabled');
  });
});

describe('moto patch: a weighted ForwardConfig default action in a CloudFormation listener', () => {
  it('is still needed: unpatched moto drops ForwardConfig (KeyError TargetGroupArn)', () => {
    const python = join(REPO_ROOT, '.venv', 'bin', 'python3');
    const probe = [
      'from moto.elbv2.models import ELBv2Backend',
      'action = {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": "arn:tg/a", "Weight": 100}]}}',
      'try:',
      '    print(ELBv2Backend("us-east-1", "123456789012").convert_and_validate_properties({"DefaultActions": [action]}))',
      'except KeyError as error:',
      '    print("KeyError", error)',
    ].join('\n');
    // When this fails, moto keeps ForwardConfig itself: delete local/moto-patches/elbv2_forward_config.py and its import in serve.py.
    expect(execFileSync(python, ['-c', probe], { encoding: 'utf8' }).trim()).toBe("KeyError 'TargetGroupArn'");
  });
  // That the patched server keeps the weights on create and update: test/integration/app-slots.test.ts.
});
