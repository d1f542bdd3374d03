import { Option, type Command } from 'commander';
import { exportFormats, exportModel, type ExportTarget } from '../export.js';
import { writeAll, type CliIO } from '../output.js';
import { addBudgetOptions, budgetOf, type BudgetFlags } from './budget-options.js';

interface ExportFlags extends BudgetFlags {
  spec: string;
  weights: string;
  to: ExportTarget;
}

export function registerExport(program: Command, io: CliIO): void {
  const command = program
    .command('export')
    .description('write a spec with its weights as an ONNX model (model.onnx) or a TensorFlow.js LayersModel (model.json + weights)')
    .argument('<out>', 'output folder (created if needed)')
    .requiredOption('--spec <file>', 'network spec (JSON): dense or conv residual (presets such as resnet20 too), or recurrent')
    .requiredOption('--weights <file>', 'weights (.json or .safetensors, PyTorch names)')
    .addOption(new Option('--to <format>', 'onnx (any ONNX runtime, opset 17) or tfjs (tf.loadLayersModel)').choices(exportFormats).makeOptionMandatory());
  addBudgetOptions(command)
    .addHelpText('after', '\nExample:\n  gradscope export --spec apps/compare/examples/lstm.json --weights trained.safetensors --to onnx out/')
    .action(async (out: string, flags: ExportFlags) => {
      const files = await exportModel({ ...flags, out, budget: budgetOf(flags) });
      await writeAll(io.stdout, `${files.map((f) => `wrote ${f}`).join('\n')}\n`);
    });
}
