/** `vigil rules check`: loads rule folders exactly as a scan would and reports every problem. */
import { ruleSetup } from './files.ts';
import { buildDetector, type LoadReport } from './detector.ts';

export async function checkRules(paths: readonly string[]): Promise<LoadReport> {
  const { setup, issues } = await ruleSetup(paths, false, 'local');
  const { report } = buildDetector(setup);
  return { ...report, issues: [...issues, ...report.issues] };
}
