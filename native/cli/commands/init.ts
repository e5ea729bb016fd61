/** `unlearn init P`: creates an empty project file. */
import { createProject } from '../../store';
import { parseCommand, say } from './args';

export const INIT_USAGE = 'init P';

export async function initCommand(argv: string[]): Promise<void> {
  const { file } = parseCommand(argv, {}, INIT_USAGE);
  const project = createProject(file);
  project.close();
  say(`created project ${file}`);
}
