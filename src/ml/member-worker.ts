import { parentPort, workerData } from 'node:worker_threads';
import { runTask, type MemberTask } from './member-pool';
import { rulDataset } from './rul-model';

// A MemberPool worker: fits one network, streams its log lines, returns its weights.
const task = workerData as MemberTask;
const port = parentPort;
if (port) {
  const { model, fit } = runTask(task, rulDataset(task.split, task.opts), (line) => port.postMessage({ type: 'log', line }));
  port.postMessage({ type: 'done', weights: model.snapshot(), fit });
}
