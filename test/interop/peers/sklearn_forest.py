"""A scikit-learn model as a plant's data scientist ships it: a RandomForestRegressor over window
features, written as the ONNX-ML TreeEnsembleRegressor that skl2onnx emits for forests. skl2onnx is
not packaged by Debian, so the forest is written here with the ONNX project's own helpers
(python3-onnx), node for node from the fitted trees.

  sklearn_forest.py <dir>

reads <dir>/windows.json, written by the test:
  { "frames": F, "train": [[[...channels], ...F rows], ...], "label": [0|1, ...], "test": [windows] }
and writes <dir>/model.onnx (input "float_input" [N, 2 x channels]: each channel's mean then
population std, channel after channel; output "variable" [N, 1]: the forest's mean vote) and
<dir>/expected.json { "score": [...] }, scikit-learn's own predictions for the test windows.
"""
import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper
from sklearn.ensemble import RandomForestRegressor


def features(windows):
    w = np.asarray(windows, dtype=np.float64)
    return np.stack([w.mean(axis=1), w.std(axis=1)], axis=2).reshape(len(w), -1)


def tree_ensemble(forest, inputs: int) -> onnx.ModelProto:
    a = {k: [] for k in ['nodes_treeids', 'nodes_nodeids', 'nodes_featureids', 'nodes_values', 'nodes_modes',
                         'nodes_truenodeids', 'nodes_falsenodeids', 'target_treeids', 'target_nodeids', 'target_weights']}
    for t, est in enumerate(forest.estimators_):
        tree = est.tree_
        for n in range(tree.node_count):
            leaf = tree.children_left[n] == -1
            a['nodes_treeids'].append(t)
            a['nodes_nodeids'].append(n)
            a['nodes_featureids'].append(0 if leaf else int(tree.feature[n]))
            a['nodes_values'].append(0.0 if leaf else float(tree.threshold[n]))
            a['nodes_modes'].append('LEAF' if leaf else 'BRANCH_LEQ')
            a['nodes_truenodeids'].append(0 if leaf else int(tree.children_left[n]))
            a['nodes_falsenodeids'].append(0 if leaf else int(tree.children_right[n]))
            if leaf:
                a['target_treeids'].append(t)
                a['target_nodeids'].append(n)
                a['target_weights'].append(float(tree.value[n][0][0]))
    node = helper.make_node('TreeEnsembleRegressor', ['float_input'], ['variable'], domain='ai.onnx.ml', n_targets=1,
                            aggregate_function='AVERAGE', target_ids=[0] * len(a['target_nodeids']), **a)
    graph = helper.make_graph([node], 'random_forest',
                              [helper.make_tensor_value_info('float_input', TensorProto.FLOAT, [None, inputs])],
                              [helper.make_tensor_value_info('variable', TensorProto.FLOAT, [None, 1])])
    model = helper.make_model(graph, producer_name='skl2onnx-style', opset_imports=[helper.make_opsetid('', 13), helper.make_opsetid('ai.onnx.ml', 1)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main(out: Path):
    spec = json.loads((out / 'windows.json').read_text())
    x_train, x_test = features(spec['train']), features(spec['test'])
    forest = RandomForestRegressor(n_estimators=8, max_depth=4, random_state=0).fit(x_train, spec['label'])
    onnx.save(tree_ensemble(forest, x_train.shape[1]), str(out / 'model.onnx'))
    (out / 'expected.json').write_text(json.dumps({'score': forest.predict(x_test).tolist()}))


if __name__ == '__main__':
    main(Path(sys.argv[1]))
