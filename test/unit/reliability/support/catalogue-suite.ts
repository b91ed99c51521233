/**
 * A suite that implements some of the catalogues' unit rows outside faults.test.ts and
 * bad-inputs.test.ts: it must implement exactly the rows UNIT_FAULTS_ELSEWHERE and
 * UNIT_BAD_INPUTS_ELSEWHERE give its file, in order, and each row runs as its own test. One piece,
 * so those two suites' counts and every such file agree on who runs what.
 */
import { BAD_INPUTS, casesOf, FAULTS, UNIT_BAD_INPUTS_ELSEWHERE, UNIT_FAULTS_ELSEWHERE } from '../catalogue';

export function describeCatalogueRows(
  title: string,
  file: string,
  implementations: Readonly<Record<string, () => Promise<void>>>,
  beforeEachRow?: () => void,
): void {
  describe(title, () => {
    const ids = [...(UNIT_BAD_INPUTS_ELSEWHERE[file] ?? []), ...(UNIT_FAULTS_ELSEWHERE[file] ?? [])];
    const cases = [...casesOf(BAD_INPUTS, 'unit'), ...casesOf(FAULTS, 'unit')].filter((c) => ids.includes(c.id));
    if (beforeEachRow) beforeEach(beforeEachRow);

    it('implements its rows of the catalogue', () => {
      expect(cases.map((c) => c.id)).toEqual(ids);
      expect(Object.keys(implementations)).toEqual(ids);
    });

    it.each(cases)('$id $name', async ({ id }) => {
      await implementations[id]();
    }, 30_000);
  });
}
