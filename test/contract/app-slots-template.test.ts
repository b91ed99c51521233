/**
 * templates/app-slots.yaml against templates/app.yaml: each slot's instances are the same
 * instances the replace strategy ships (the same pages, the same bootstrap), only signalling their
 * own slot's group and checking their own slot's AMI. The local data plane serves app.yaml's pages
 * for every instance, which is true of slots instances only while this holds. And the template must
 * stay deployable: inline up to CloudFormation's TemplateBody limit, through S3 (the wiring's
 * templateBucket, actions/lib/cloudformation/template-source.ts) up to the TemplateURL limit.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';

import { MAX_TEMPLATE_URL_BYTES } from '../../actions/lib/cloudformation/template-source';
import { readShippedApp } from '../../local/data-plane/app-pages';

const ROOT = join(__dirname, '../..');
const SLOTS = join(ROOT, 'templates/app-slots.yaml');
const REPLACE = join(ROOT, 'templates/app.yaml');

describe('templates/app-slots.yaml', () => {
  const replace = readShippedApp(REPLACE);

  it.each(['Blue', 'Green'])('the %s slot ships the pages of templates/app.yaml, byte for byte', (slot) => {
    const app = readShippedApp(SLOTS, `${slot}LaunchTemplate`);
    expect([...app.files.keys()]).toEqual([...replace.files.keys()]);
    for (const [path, content] of replace.files) expect({ path, content: app.files.get(path) }).toEqual({ path, content });
  });

  it.each(['Blue', 'Green'])('the %s slot runs the bootstrap of templates/app.yaml, signalling its own group about its own AMI', (slot) => {
    const script = readShippedApp(SLOTS, `${slot}LaunchTemplate`).script;
    const expected = replace.script.replace('--resource AppAutoScalingGroup', "--resource '${SlotGroup}'").replaceAll('${AmazonMachineImage}', '${SlotAmi}');
    expect(script).toBe(expected);
  });

  it('fits in what CloudFormation reads from S3 (a larger one than the inline limit is uploaded)', () => {
    expect(statSync(SLOTS).size).toBeLessThanOrEqual(MAX_TEMPLATE_URL_BYTES);
  });
});
