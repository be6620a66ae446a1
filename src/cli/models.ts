// `grove models list|show|register|set-alias|delete-alias`: the model registry.
import type { Command } from 'commander';
import type { AliasChange, RegisteredModel } from '../track/store.js';
import { exportRegisteredOnnx } from '../export/registry.js';
import { registerModel } from '../track/register-model.js';
import { parseModelUri } from '../track/model-uri.js';
import { ONNX_HELP, addOnnxOptions } from './export.js';
import { intOption } from './options.js';
import { addOutputOptions, formatCsv, formatTable, formatTime, note, printJson, type OutputFlags } from './output.js';
import { addTrackingUriOption, withStore, type TrackingFlags } from './tracking-store.js';

const aliasList = (m: RegisteredModel) =>
  Object.entries(m.aliases)
    .map(([a, v]) => `${a}=${v}`)
    .join(' ');

const changeToJson = (c: AliasChange) => ({ model: c.name, alias: c.alias, old_version: c.oldVersion, new_version: c.newVersion, time: c.time, who: c.who });

async function listModels(flags: TrackingFlags & OutputFlags): Promise<void> {
  await withStore(flags, { create: false }, async (store) => {
    const models = await store.listRegisteredModels();
    if (flags.json) {
      return printJson(
        models.map((m) => ({ name: m.name, latest_version: m.latestVersion, aliases: m.aliases, description: m.description, created: m.createdTime, updated: m.updatedTime, tags: m.tags })),
      );
    }
    if (flags.csv) {
      return void process.stdout.write(
        formatCsv(
          ['name', 'latest_version', 'aliases', 'created', 'updated'],
          models.map((m) => [m.name, m.latestVersion, aliasList(m), m.createdTime, m.updatedTime]),
        ),
      );
    }
    if (models.length === 0) return note('no registered models yet');
    process.stdout.write(
      formatTable(
        ['name', 'latest', 'aliases', 'updated (UTC)'],
        models.map((m) => [m.name, m.latestVersion, aliasList(m), formatTime(m.updatedTime)]),
      ),
    );
  });
}

async function showModel(name: string, flags: TrackingFlags & OutputFlags): Promise<void> {
  await withStore(flags, { create: false }, async (store) => {
    const model = await store.getRegisteredModel(name);
    const versions = await store.listModelVersions(name);
    const history = await store.getAliasHistory(name);
    if (flags.json) {
      return printJson({
        name: model.name,
        description: model.description,
        tags: model.tags,
        created: model.createdTime,
        updated: model.updatedTime,
        latest_version: model.latestVersion,
        aliases: model.aliases,
        versions: versions.map((v) => ({
          version: v.version,
          run_id: v.runId,
          artifact: v.artifact,
          created: v.createdTime,
          description: v.description,
          tags: v.tags,
          aliases: v.aliases,
          size: v.size,
          sha256: v.sha256,
          uri: `models:/${v.name}/${v.version}`,
        })),
        alias_history: history.map(changeToJson),
      });
    }
    const out = [`model:        ${model.name}`, `description:  ${model.description || '-'}`, `aliases:      ${aliasList(model) || '-'}`, '', 'versions:'];
    out.push(
      versions.length
        ? formatTable(
            ['version', 'run_id', 'artifact', 'created (UTC)', 'aliases', 'description'],
            versions.map((v) => [v.version, v.runId, v.artifact, formatTime(v.createdTime), v.aliases.join(' '), v.description]),
          ).trimEnd()
        : '  (none)',
    );
    out.push('', 'alias history:');
    out.push(
      history.length
        ? formatTable(
            ['time (UTC)', 'alias', 'from', 'to', 'who'],
            history.map((h) => [formatTime(h.time), h.alias, h.oldVersion ?? '-', h.newVersion ?? '(deleted)', h.who]),
          ).trimEnd()
        : '  (none)',
    );
    process.stdout.write(out.join('\n') + '\n');
  });
}

async function setAlias(name: string, alias: string, version: number, flags: TrackingFlags & OutputFlags): Promise<void> {
  await withStore(flags, { create: false }, async (store) => {
    const change = await store.setAlias(name, alias, version);
    if (flags.json) return printJson(changeToJson(change));
    const from = change.oldVersion === null ? '(new)' : `version ${change.oldVersion}`;
    process.stdout.write(change.oldVersion === change.newVersion ? `${name}@${alias} already points at version ${version}\n` : `${name}@${alias}: ${from} -> version ${change.newVersion}\n`);
  });
}

interface RegisterFlags extends TrackingFlags, OutputFlags {
  name: string;
  alias?: string;
  description?: string;
  experiment: string;
}

async function registerFrom(source: string, flags: RegisterFlags): Promise<void> {
  const uri = parseModelUri(source);
  // a file must be a loadable model before anything is written
  if (uri.kind === 'file') await (await import('../forest/load-model.js')).loadForestModel(uri.path); // a regressor or a classifier
  await withStore(flags, { create: uri.kind === 'file' }, async (store) => {
    const v = await registerModel(store, source, { name: flags.name, alias: flags.alias, description: flags.description, experiment: flags.experiment });
    if (flags.json)
      return printJson({ name: v.name, version: v.version, run_id: v.runId, artifact: v.artifact, sha256: v.sha256, size: v.size, aliases: v.aliases, model_uri: `models:/${v.name}/${v.version}` });
    process.stdout.write(`registered models:/${v.name}/${v.version} (run ${v.runId}${v.aliases.length ? `, aliases ${v.aliases.join(' ')}` : ''})\n`);
  });
}

async function deleteAlias(name: string, alias: string, flags: TrackingFlags & OutputFlags): Promise<void> {
  await withStore(flags, { create: false }, async (store) => {
    const change = await store.deleteAlias(name, alias);
    if (flags.json) return printJson(changeToJson(change));
    process.stdout.write(`${name}@${alias} deleted (it pointed at version ${change.oldVersion})\n`);
  });
}

async function exportVersion(uri: string, flags: TrackingFlags & OutputFlags & { format: 'onnx'; outputName?: string; probabilityName?: string; precision?: 'float' | 'double' }): Promise<void> {
  await withStore(flags, { create: false }, async (store) => {
    const r = await exportRegisteredOnnx(store, uri, { outputName: flags.outputName, probabilityName: flags.probabilityName, precision: flags.precision });
    for (const line of r.notes) note(`grove: ${line}`);
    const fetch = `runs:/${r.version.runId}/${r.artifact.name}`;
    if (flags.json) {
      return printJson({
        model: r.version.name,
        version: r.version.version,
        format: flags.format,
        artifact: r.artifact.name,
        run_id: r.version.runId,
        uri: fetch,
        size: r.artifact.size,
        sha256: r.artifact.sha256,
        tags: r.version.tags,
        notes: r.notes,
      });
    }
    process.stdout.write(`${r.version.name} version ${r.version.version}: stored ${r.artifact.name} (${r.artifact.size} bytes) as ${fetch}\n`);
  });
}

export function register(program: Command): void {
  const models = program.command('models').description('registered models, their versions and aliases');

  const list = models.command('list').description('list registered models with their latest version and aliases');
  addOutputOptions(list);
  addTrackingUriOption(list);
  list.action((flags: TrackingFlags & OutputFlags) => listModels(flags));

  const show = models.command('show').description('show a model: its versions, aliases and the history of alias moves').argument('<name>', 'registered model name');
  addOutputOptions(show, false);
  addTrackingUriOption(show);
  show.action((name: string, flags: TrackingFlags & OutputFlags) => showModel(name, flags));

  const reg = models
    .command('register')
    .description('register a model file (e.g. one kept by a failed registration) or a runs:/ or models:/ URI as a new version of <name>')
    .argument('<file-or-uri>', 'a model file, runs:/<run-id>/<artifact> or models:/<name>/<version>, models:/<name>@<alias>')
    .requiredOption('--name <name>', 'registered model name (created if missing)')
    .option('--alias <alias>', 'point this alias at the new version')
    .option('--description <text>', 'description of the new version')
    .option('--experiment <name>', 'experiment of the run created for a model file', 'Default')
    .addHelpText('after', '\nExample:\n  grove models register ./grove-model-0c7f....grove --name big --alias production');
  addOutputOptions(reg, false);
  addTrackingUriOption(reg);
  reg.action((source: string, flags: RegisterFlags) => registerFrom(source, flags));

  const set = models
    .command('set-alias')
    .description('point an alias at a version (moving it if it exists); every move is recorded')
    .argument('<name>', 'registered model name')
    .argument('<alias>', 'alias, e.g. production')
    .argument('<version>', 'version number', intOption('<version>', 1))
    .addHelpText('after', '\nExample:\n  grove models set-alias diabetes production 3   # then: grove predict models:/diabetes@production ...');
  addOutputOptions(set, false);
  addTrackingUriOption(set);
  set.action((name: string, alias: string, version: number, flags: TrackingFlags & OutputFlags) => setAlias(name, alias, version, flags));

  const exp = models
    .command('export')
    .description('store a registered version in another format (ONNX) as an extra artifact of its run, named by the version tag onnx_artifact')
    .argument('<model-uri>', 'models:/<name>/<version>, models:/<name>/latest or models:/<name>@<alias>')
    .addHelpText(
      'after',
      `${ONNX_HELP}\n\nThe file is stored as <artifact>.onnx (model.onnx for a trained model; model-double.onnx with\n--precision double) in the version's run, and the version's tag onnx_artifact names the latest one;\nthe dashboard's Models page offers it for download. Running the command again is a no-op.\n\nExamples:\n  grove models export models:/diabetes@production\n  grove export models:/diabetes@production --output diabetes.onnx   # the same graph, as a local file`,
    );
  addOnnxOptions(exp);
  addOutputOptions(exp, false);
  addTrackingUriOption(exp);
  exp.action((uri: string, flags: TrackingFlags & OutputFlags & { format: 'onnx'; outputName?: string; probabilityName?: string; precision?: 'float' | 'double' }) => exportVersion(uri, flags));

  const del = models
    .command('delete-alias')
    .description('remove an alias (the deletion is recorded in the alias history)')
    .argument('<name>', 'registered model name')
    .argument('<alias>', 'alias to delete');
  addOutputOptions(del, false);
  addTrackingUriOption(del);
  del.action((name: string, alias: string, flags: TrackingFlags & OutputFlags) => deleteAlias(name, alias, flags));
}
