/**
 * The local data plane's instances follow moto's EC2: every running instance of an Auto Scaling
 * group (or registered as a load balancer target) gets a serving process (instance.ts), and an
 * instance moto stops or terminates loses its process. moto instances never boot, so this is what
 * makes "the instance runs" mean "the instance answers HTTP". Reconciled by polling
 * DescribeInstances: a process starts or stops within one sync of moto's change.
 */
import { join } from 'node:path';

import { paginateDescribeInstances, type EC2Client } from '@aws-sdk/client-ec2';

import { errorMessage } from '../../actions/lib/errors';
import { readShippedApp, type ShippedApp } from './app-pages';
import type { ImageProfile } from './image-profile';
import { startInstance, type RunningInstance } from './instance';

/** The port the app listens on (httpd on an instance; the target group's traffic port). */
export const APP_PORT = 80;

export interface FleetDeps {
  /** EC2 of each region the fleet follows. */
  regions: readonly { region: string; ec2: EC2Client }[];
  profileOf: (amiId: string, ec2: EC2Client) => Promise<ImageProfile>;
  /** Where each instance's app root goes (one directory per instance). */
  workDir: string;
  logDir: string;
  log: (line: string) => void;
}

interface Ec2Instance {
  id: string;
  state: string;
  amiId: string;
  instanceType: string;
  availabilityZone: string;
  inAutoScalingGroup: boolean;
  /** The EC2 of the instance's region, where its AMI is described. */
  ec2: EC2Client;
}

export class InstanceFleet {
  /** EC2's state of every instance moto knows, as of the last sync. */
  readonly states = new Map<string, string>();
  /** Why the last instance that should serve could not start (php missing, a port race), until one starts. */
  lastStartError?: string;
  private readonly serving = new Map<string, RunningInstance>();
  private readonly app: ShippedApp = readShippedApp();

  constructor(private readonly deps: FleetDeps) {}

  /** Where the instance's `port` answers on this machine, if it serves. Only the app port serves. */
  endpointOf(instanceId: string, port: number): string | undefined {
    return port === APP_PORT ? this.serving.get(instanceId)?.url : undefined;
  }

  instance(instanceId: string): RunningInstance | undefined {
    return this.serving.get(instanceId);
  }

  servingIds(): string[] {
    return [...this.serving.keys()];
  }

  /**
   * One reconciliation: reads EC2, stops the processes of instances that no longer run, then
   * starts those of running instances that should serve (in an ASG, or in `registered`).
   */
  async sync(registered: ReadonlySet<string>): Promise<void> {
    const instances = await this.describeInstances();
    this.states.clear();
    for (const i of instances) this.states.set(i.id, i.state);
    const wanted = new Map(instances.filter((i) => i.state === 'running' && (i.inAutoScalingGroup || registered.has(i.id))).map((i) => [i.id, i]));

    const leaving = [...this.serving.keys()].filter((id) => !wanted.has(id));
    await Promise.all(leaving.map((id) => this.stopInstance(id, `EC2 says ${this.states.get(id) ?? 'gone'}`)));

    const arriving = [...wanted.values()].filter((i) => !this.serving.has(i.id));
    await Promise.all(arriving.map((i) => this.startServing(i)));
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.serving.keys()].map((id) => this.stopInstance(id, 'data plane stopping')));
  }

  private async startServing(instance: Ec2Instance): Promise<void> {
    try {
      const profile = await this.deps.profileOf(instance.amiId, instance.ec2);
      const running = await startInstance(
        { instanceId: instance.id, amiId: instance.amiId, instanceType: instance.instanceType, availabilityZone: instance.availabilityZone, packages: profile.packages, spoiled: profile.spoiled },
        { dir: join(this.deps.workDir, instance.id), logFile: join(this.deps.logDir, `${instance.id}.log`), app: this.app },
      );
      this.serving.set(instance.id, running);
      this.lastStartError = undefined;
      this.deps.log(
        `instance ${instance.id} (${instance.amiId}${profile.spoiled ? ', SPOILED AMI: corrupt RPM database' : ''}) serves on ${running.url}; IMDSv2 stand-in ${running.imds.url}; packages: ${profile.packages.length} (${profile.source})`,
      );
    } catch (error) {
      // Left for the next sync to retry; until then the instance fails its health checks, as a broken boot would.
      this.lastStartError = `instance ${instance.id} could not start serving: ${errorMessage(error)}`;
      this.deps.log(this.lastStartError);
    }
  }

  private async stopInstance(id: string, why: string): Promise<void> {
    const running = this.serving.get(id);
    if (!running) return;
    this.serving.delete(id);
    await running.stop();
    this.deps.log(`instance ${id} stopped serving (${why})`);
  }

  private async describeInstances(): Promise<Ec2Instance[]> {
    const found: Ec2Instance[] = [];
    for (const { region, ec2 } of this.deps.regions) {
      for await (const page of paginateDescribeInstances({ client: ec2 }, {})) {
        for (const i of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
          found.push({
            id: i.InstanceId ?? '',
            state: i.State?.Name ?? 'unknown',
            amiId: i.ImageId ?? '',
            instanceType: i.InstanceType ?? 't3.micro',
            availabilityZone: i.Placement?.AvailabilityZone ?? `${region}a`,
            inAutoScalingGroup: (i.Tags ?? []).some((t) => t.Key === 'aws:autoscaling:groupName'),
            ec2,
          });
        }
      }
    }
    return found;
  }
}
