/**
 * Every parameters file the wiring references validates against its app template (DESIGN.md §6
 * "Contract"), and stays in the shape that keeps an AMI bump a one-line diff. When the template is
 * missing these tests fail, naming it: an unchecked parameters file must never pass.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import {
  ENVIRONMENTS_FILE,
  isAmiId,
  liveAmiIn,
  liveAmiParameter,
  loadValidatedParametersFile,
  parseEnvironments,
  parseRevocations,
  readTemplateParameters,
  REVOCATIONS_FILE,
  setParameterInFile,
  type EnvironmentConfig,
} from '../../actions/lib/parameters';

const ROOT = path.resolve(__dirname, '../..');
const at = (relative: string) => path.join(ROOT, relative);

/** The wiring, read synchronously so each environment becomes its own test; a wiring error
 *  becomes one failing test that carries the message. */
function readWiring(): { environments: EnvironmentConfig[]; error?: unknown } {
  try {
    const config = parseEnvironments(readFileSync(at(ENVIRONMENTS_FILE), 'utf8'), ENVIRONMENTS_FILE, ROOT);
    return { environments: config.promotionOrder.map((name) => config.environments[name]) };
  } catch (error) {
    return { environments: [], error };
  }
}

const wiring = readWiring();

describe('parameters files against their templates', () => {
  it(`${REVOCATIONS_FILE} exists and validates against its schema`, () => {
    expect(parseRevocations(readFileSync(at(REVOCATIONS_FILE), 'utf8'), REVOCATIONS_FILE).present).toBe(true);
  });

  it(`${ENVIRONMENTS_FILE} is valid and names at least one environment`, () => {
    if (wiring.error) throw wiring.error;
    expect(wiring.environments.length).toBeGreaterThan(0);
  });

  // An empty table is a jest error without our message; the test above carries it instead.
  const table = wiring.environments.map((environment) => [environment.name, environment] as const);
  if (table.length === 0) return;

  describe.each(table)('%s', (_name, environment) => {
    const file = environment.parametersFile;
    const template = environment.appTemplate;

    beforeAll(() => {
      if (!existsSync(at(template))) {
        throw new Error(`${template} is missing, so ${file} cannot be checked against it. Restore the template; this test never passes without it.`);
      }
    });

    it(`${file} validates against ${template}`, async () => {
      await expect(loadValidatedParametersFile(at(file), at(template))).resolves.toBeDefined();
    });

    it('sets every template parameter explicitly, in the template order (git shows all that runs; stable diffs)', async () => {
      const [parameters, declared] = await Promise.all([loadValidatedParametersFile(at(file), at(template)), readTemplateParameters(at(template))]);
      expect(Object.keys(parameters.parameters)).toEqual([...declared.parameters.keys()]);
    });

    it(`points at its own network stack (${environment.stacks.network}) and carries its tags`, async () => {
      const { parameters, tags } = await loadValidatedParametersFile(at(file), at(template));
      expect(parameters.NetworkStackName).toBe(environment.stacks.network);
      expect(isAmiId(liveAmiIn(parameters) ?? '')).toBe(true);
      expect(tags).toMatchObject({ Environment: environment.name });
    });

    it('is in canonical one-key-per-line shape, so an AMI change is a one-line diff per AMI key', async () => {
      const text = readFileSync(at(file), 'utf8');
      const { parameters, tags } = await loadValidatedParametersFile(at(file), at(template));
      expect(text).toBe(`${JSON.stringify({ Parameters: parameters, Tags: tags }, null, 2)}\n`);
      // replace: the one AMI line; slots: the live slot's AMI line (a patch also moves LiveSlot and the weights).
      const key = liveAmiParameter(parameters);
      const bumped = setParameterInFile(text, key, 'ami-0123456789abcdef0', file).split('\n');
      expect(bumped.filter((line, i) => line !== text.split('\n')[i])).toEqual([`    "${key}": "ami-0123456789abcdef0",`]);
    });
  });
});
